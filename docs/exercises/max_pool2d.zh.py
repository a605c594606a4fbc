# %% [markdown]
# # 练习：最大池化
#
# 推导二维最大池化的梯度，即[最大池化一章](../../layers/max_pool2d/)中的式 (3)。
# 每个窗口的上游梯度全部交给它的胜出者；窗口重叠之处，各份梯度相加。
# 出现并列的最大值时，torch 以窗口中按行优先顺序的**第一个**最大值为胜出者。
#
# 把每一行以 `...` 结尾的代码补全（一行可以写成多行），然后运行该单元格。
# `check` 会立即告诉你，你的结果是完全一致（exact）、近似相等（approximately equal，
# 即在本项目所有测试共用的容差之内）还是错误（wrong），并给出最大差值。
# 答案折叠在每道练习下方。[全部练习](../)。

# %%
import numpy as np

from backprop_ref.exercises import check, expected
from backprop_ref.functional import max_pool2d

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 6, 6))  # (N, C, H, W)，没有两个元素相等
Y = max_pool2d(X, 2)  # 2x2 窗口，步幅 2：(2, 3, 3, 3)
dY = rng.standard_normal(Y.shape)
want = expected("max_pool2d", dY, input=X, kernel_size=2)

# %% [markdown]
# ## 1. 2x2 窗口，步幅 2
#
# 窗口互不重叠，每个窗口只有一个最大的元素。

# %% tags=["exercise"]
dX = ...  # 你的代码：式 (3)
check("max_pool2d", dX, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# N, C, H, W = X.shape
# win = X.reshape(N, C, H // 2, 2, W // 2, 2)  # (n, c, i, p, j, q)
# Yb = win.max(axis=(3, 5), keepdims=True)  # 每个窗口的最大值
# mask = win == Yb  # 窗口的胜出者（每个窗口一个：这里没有并列）
# dX = (mask * dY[:, :, :, None, :, None]).reshape(X.shape)
# check("max_pool2d", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. 有并列最大值的重叠窗口
#
# 这次用的是小整数，所以大多数窗口的最大值不止出现一次；
# 步幅为 2 的 3x3 窗口彼此重叠一行和一列。
# 只有每个窗口的第一个最大值（行优先：先沿着一行，再到下一行）得到该窗口的梯度。

# %%
k, s = 3, 2
X2 = rng.integers(0, 3, size=(2, 2, 7, 7)).astype(np.float64)
Y2 = max_pool2d(X2, k, stride=s)  # (2, 2, 3, 3)
dY2 = rng.standard_normal(Y2.shape)
want = expected("max_pool2d", dY2, input=X2, kernel_size=k, stride=s)

# %% tags=["exercise"]
dX = ...  # 你的代码：式 (3)，每个窗口的第一个最大值胜出
check("max_pool2d, ties", dX, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# N, C = X2.shape[:2]
# Ho, Wo = dY2.shape[2:]
# n, c = np.indices((N, C))
# dX = np.zeros_like(X2)
# for i in range(Ho):
#     for j in range(Wo):
#         win = X2[:, :, i * s : i * s + k, j * s : j * s + k].reshape(N, C, k * k)
#         first = win.argmax(axis=2)  # argmax 返回按行优先的第一个最大值
#         h, w = i * s + first // k, j * s + first % k
#         dX[n, c, h, w] += dY2[:, :, i, j]  # 重叠的窗口相加
# check("max_pool2d, ties", dX, want)
# ```
#
# </details>
