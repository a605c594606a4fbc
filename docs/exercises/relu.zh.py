# %% [markdown]
# # 练习：ReLU
#
# 推导 $y_i = \max(x_i, 0)$ 的梯度，即 [ReLU 一章](../../layers/relu/)中的式 (2) 和 (3)，
# 在折点处采用 torch 的取法 $\text{ReLU}'(0) = 0$。
#
# 把每一行以 `...` 结尾的代码补全，然后运行该单元格。
# `check` 会立即告诉你，你的结果是完全一致（exact）、近似相等（approximately equal，
# 即在本项目所有测试共用的容差之内）还是错误（wrong），并给出最大差值。
# 答案折叠在下方。[全部练习](../)。

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 5)).astype(np.float32)  # float32，torch 的默认 dtype
X[0, :3] = 0.0  # 三个输入恰好位于折点
dY = rng.standard_normal(X.shape).astype(np.float32)  # 上游梯度
want = expected("relu", dY, input=X)

# %% [markdown]
# ## 1. 先求掩码，再求乘积
#
# 注意第一行的三个零：torch 不让任何梯度穿过它们。
# 结果要保持 float32，与输入一致。

# %% tags=["exercise"]
M = ...  # 你的代码：式 (2)，x > 0 处为 1，否则为 0
dX = ...  # 你的代码：式 (3)
check("relu", dX, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# M = (X > 0).astype(X.dtype)  # x = 0 处为 0：torch 的取法
# dX = M * dY
# check("relu", dX, want)
# ```
#
# </details>
