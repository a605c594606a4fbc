# %% [markdown]
# # 练习：MSE 损失
#
# 推导均方误差对输入 $X$ 和目标 $T$ 的梯度，
# 即 [MSE 损失一章](../../layers/mse_loss/)中的式 (4) 至 (6)。
#
# 把每一行以 `...` 结尾的代码补全，然后运行该单元格。
# `check` 会立即告诉你每个梯度的结果：完全一致（exact）、近似相等（approximately equal，
# 即在本项目所有测试共用的容差之内）或错误（wrong），并给出最大差值。
# 答案折叠在每道练习下方。[全部练习](../)。

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 3))  # 预测值
T = rng.standard_normal((4, 3))  # 目标值，形状相同
n = X.size  # 元素个数，12

# %% [markdown]
# ## 1. 平均归约（默认）
#
# $L = \frac{1}{n} \sum_i (x_i - t_i)^2$ 是计算图的终点，
# 所以它的上游梯度是 $dL = 1$。

# %%
dL = 1.0
want = expected("mse_loss", dL, input=X, target=T)  # "mean"：默认值

# %% tags=["exercise"]
dX = ...  # 你的代码：式 (4)
dT = ...  # 你的代码：式 (6)
check("mse_loss, mean", {"input": dX, "target": dT}, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dX = dL * 2 / n * (X - T)
# dT = -dX
# check("mse_loss, mean", {"input": dX, "target": dT}, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. 求和归约，作为更大损失的一部分
#
# 现在 $L = \sum_i (x_i - t_i)^2$ 以权重 $0.5$ 出现在若干损失之和中，
# 所以它收到的上游梯度是 $dL = 0.5$。

# %%
dL = 0.5
want = expected("mse_loss", dL, input=X, target=T, reduction="sum")

# %% tags=["exercise"]
dX = ...  # 你的代码：式 (5)，求和
dT = ...  # 你的代码：式 (6)
check("mse_loss, sum", {"input": dX, "target": dT}, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dX = dL * 2 * (X - T)
# dT = -dX
# check("mse_loss, sum", {"input": dX, "target": dT}, want)
# ```
#
# </details>

# %% [markdown]
# ## 3. 不归约
#
# 当 `reduction="none"` 时，损失就是平方误差数组本身，
# 上游梯度 $dL$ 与它形状相同：每个元素一个数。

# %%
dL = rng.standard_normal(X.shape)
want = expected("mse_loss", dL, input=X, target=T, reduction="none")

# %% tags=["exercise"]
dX = ...  # 你的代码：式 (5)，不归约
dT = ...  # 你的代码：式 (6)
check("mse_loss, none", {"input": dX, "target": dT}, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# dX = dL * 2 * (X - T)
# dT = -dX
# check("mse_loss, none", {"input": dX, "target": dT}, want)
# ```
#
# </details>
