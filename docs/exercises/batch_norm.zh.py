# %% [markdown]
# # 练习：批量归一化
#
# 推导训练模式下批量归一化的梯度，
# 即[批量归一化一章](../../layers/batch_norm/)中的 $d\gamma$ (6)、$d\beta$ (7)，
# 然后是经由批量统计量的 $dX$，即闭式形式 (8)；最后是评估模式下的梯度 (9)。
#
# 把每一行以 `...` 结尾的代码补全（一行可以写成多行），然后运行该单元格。
# `check` 会立即告诉你每个梯度的结果：完全一致（exact）、近似相等（approximately equal，
# 即在本项目所有测试共用的容差之内）或错误（wrong），并给出最大差值。
# 答案折叠在每道练习下方。[全部练习](../)。

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 3, 2, 5))  # (N, C, H, W)
gamma = rng.standard_normal(3)  # 权重，每个通道一个
beta = rng.standard_normal(3)  # 偏置
eps = 1e-5
axes = (0, 2, 3)  # 除通道轴以外的所有轴
M = X.shape[0] * X.shape[2] * X.shape[3]  # 每个通道的元素数，40
mu = X.mean(axis=axes, keepdims=True)  # (1)，形状 (1, C, 1, 1)
v = ((X - mu) ** 2).mean(axis=axes, keepdims=True)  # (2)，有偏估计
sigma = np.sqrt(v + eps)
X_hat = (X - mu) / sigma  # (3)
g = gamma.reshape(1, 3, 1, 1)
Y = g * X_hat + beta.reshape(1, 3, 1, 1)  # (4)
dY = rng.standard_normal(Y.shape)
want = expected(
    "batch_norm", dY, input=X, running_mean=None, running_var=None,
    weight=gamma, bias=beta, training=True, eps=eps,
)  # fmt: skip

# %% [markdown]
# ## 1. 仿射部分：$d\gamma$ 和 $d\beta$
#
# 二者都是每个通道一个数，形状为 $(C,)$。

# %% tags=["exercise"]
dgamma = ...  # 你的代码：式 (6)
dbeta = ...  # 你的代码：式 (7)
check("batch_norm", {"weight": dgamma, "bias": dbeta}, want.pick("weight", "bias"))

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dgamma = (dY * X_hat).sum(axis=axes)
# dbeta = dY.sum(axis=axes)
# check("batch_norm", {"weight": dgamma, "bias": dbeta}, want.pick("weight", "bias"))
# ```
#
# </details>

# %% [markdown]
# ## 2. 训练模式下的 $dX$
#
# $\mu$ 和 $v$ 依赖于该通道的每个元素，所以每个 $dx_m$ 都要从所有这些元素汇集梯度：
# 先用 (5)，再用 (8)，其中的求和遍历该通道的 $M$ 个元素。

# %% tags=["exercise"]
dX_hat = ...  # 你的代码：式 (5)
dX = ...  # 你的代码：式 (8)
check("batch_norm, training", {"input": dX}, want.pick("input"))

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dX_hat = g * dY
# sum1 = dX_hat.sum(axis=axes, keepdims=True)
# sum2 = (dX_hat * X_hat).sum(axis=axes, keepdims=True)
# dX = (M * dX_hat - sum1 - X_hat * sum2) / (M * sigma)
# check("batch_norm, training", {"input": dX}, want.pick("input"))
# ```
#
# </details>

# %% [markdown]
# ## 3. 评估模式
#
# 评估时使用的是运行统计量，它们是常数：这一层就是逐通道的缩放加平移，
# 它的梯度也是如此 (9)。

# %%
v_run = rng.uniform(0.5, 2.0, 3)  # running_var
mu_run = rng.standard_normal(3)  # running_mean
want = expected(
    "batch_norm", dY, input=X, running_mean=mu_run, running_var=v_run,
    weight=gamma, bias=beta, training=False, eps=eps,
)  # fmt: skip

# %% tags=["exercise"]
dX = ...  # 你的代码：式 (9)
dgamma = ...  # 你的代码：(6)，x-hat 由运行统计量算出
dbeta = ...  # 你的代码：式 (7)
check("batch_norm, eval", {"input": dX, "weight": dgamma, "bias": dbeta}, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# s_run = np.sqrt(v_run + eps).reshape(1, 3, 1, 1)
# dX = g * dY / s_run
# X_hat_run = (X - mu_run.reshape(1, 3, 1, 1)) / s_run
# dgamma = (dY * X_hat_run).sum(axis=axes)
# dbeta = dY.sum(axis=axes)
# check("batch_norm, eval", {"input": dX, "weight": dgamma, "bias": dbeta}, want)
# ```
#
# </details>
