# %% [markdown]
# # 练习：层归一化
#
# 推导层归一化的梯度，
# 即[层归一化一章](../../layers/layer_norm/)中的 $d\gamma$ (6)、$d\beta$ (7) 和 $dX$ (8)。
# 统计量按样本计算，范围是该样本中被归一化的 $K$ 个元素。
#
# 把每一行以 `...` 结尾的代码补全，然后运行该单元格。
# `check` 会立即告诉你，你的结果是完全一致（exact）、近似相等（approximately equal，
# 即在本项目所有测试共用的容差之内）还是错误（wrong），并给出最大差值。
# 答案折叠在每道练习下方。[全部练习](../)。

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 6))  # 4 个样本，normalized_shape (6,)
gamma = rng.standard_normal(6)  # 权重，每个被归一化的位置一个
beta = rng.standard_normal(6)  # 偏置
eps = 1e-5
K = 6
mu = X.mean(axis=1, keepdims=True)  # (1)
v = ((X - mu) ** 2).mean(axis=1, keepdims=True)  # (2)
sigma = np.sqrt(v + eps)
X_hat = (X - mu) / sigma  # (3)
Y = gamma * X_hat + beta  # (4)
dY = rng.standard_normal(Y.shape)
args = dict(input=X, normalized_shape=(6,), weight=gamma, bias=beta)
want = expected("layer_norm", dY, **args)

# %% [markdown]
# ## 1. $d\gamma$ 和 $d\beta$
#
# 对样本求和，每个位置一个数：形状为 $(6,)$。

# %% tags=["exercise"]
dgamma = ...  # 你的代码：式 (6)
dbeta = ...  # 你的代码：式 (7)
check("layer_norm", {"weight": dgamma, "bias": dbeta}, want.pick("weight", "bias"))

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dgamma = (dY * X_hat).sum(axis=0)
# dbeta = dY.sum(axis=0)
# check("layer_norm", {"weight": dgamma, "bias": dbeta}, want.pick("weight", "bias"))
# ```
#
# </details>

# %% [markdown]
# ## 2. $dX$
#
# 每个样本的均值和方差依赖于它的全部元素：先用 (5)，再用 (8)。

# %% tags=["exercise"]
dX_hat = ...  # 你的代码：式 (5)
dX = ...  # 你的代码：式 (8)
check("layer_norm", {"input": dX}, want.pick("input"))

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dX_hat = gamma * dY
# sum1 = dX_hat.sum(axis=1, keepdims=True)
# sum2 = (dX_hat * X_hat).sum(axis=1, keepdims=True)
# dX = (K * dX_hat - sum1 - X_hat * sum2) / (K * sigma)
# check("layer_norm", {"input": dX}, want.pick("input"))
# ```
#
# </details>
