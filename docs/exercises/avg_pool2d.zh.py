# %% [markdown]
# # 练习：平均池化
#
# 推导二维平均池化的梯度，即[平均池化一章](../../layers/avg_pool2d/)中的式 (5) 和 (6)。
# 每个窗口把自己的上游梯度平均分给它所平均的那些元素。
#
# 把每一行以 `...` 结尾的代码补全，然后运行该单元格。
# `check` 会立即告诉你，你的结果是完全一致（exact）、近似相等（approximately equal，
# 即在本项目所有测试共用的容差之内）还是错误（wrong），并给出最大差值。
# 答案折叠在每道练习下方。[全部练习](../)。

# %%
import numpy as np

from backprop_ref.exercises import check, expected
from backprop_ref.functional import avg_pool2d

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 6, 6))  # (N, C, H, W)
Y = avg_pool2d(X, 2)  # 2x2 窗口，步幅 2：(2, 3, 3, 3)
dY = rng.standard_normal(Y.shape)
want = expected("avg_pool2d", dY, input=X, kernel_size=2)

# %% [markdown]
# ## 1. 2x2 窗口，步幅 2
#
# 每个窗口含 4 个元素，每个元素恰好属于一个窗口。

# %% tags=["exercise"]
dX = ...  # 你的代码：式 (5) 和 (6)
check("avg_pool2d", dX, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# G = dY / 4  # (5)
# dX = G.repeat(2, axis=2).repeat(2, axis=3)  # (6)
# check("avg_pool2d", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. 带填充的重叠窗口
#
# 3x3 窗口，步幅 2，每一边各填充一行、一列零。
# 在 torch 的默认设置 `count_include_pad=True` 下，填充也计入：每个除数 $D$ 都是 9（式 (3a)）。
# 先分摊到填充后的输入上，再把填充部分裁掉。

# %%
k, s, P = 3, 2, 1
Y2 = avg_pool2d(X, k, stride=s, padding=P)  # (2, 3, 3, 3)
dY2 = rng.standard_normal(Y2.shape)
want = expected("avg_pool2d", dY2, input=X, kernel_size=k, stride=s, padding=P)

# %% tags=["exercise"]
dX = ...  # 你的代码：(5)、(6)，再裁剪
check("avg_pool2d, padded", dX, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# G = dY2 / (k * k)  # (5)，D = 9
# N, C, H, W = X.shape
# dXp = np.zeros((N, C, H + 2 * P, W + 2 * P))
# for i in range(G.shape[2]):
#     for j in range(G.shape[3]):
#         rows, cols = slice(i * s, i * s + k), slice(j * s, j * s + k)
#         dXp[:, :, rows, cols] += G[:, :, i, j, None, None]  # (6)
# dX = dXp[:, :, P : P + H, P : P + W]
# check("avg_pool2d, padded", dX, want)
# ```
#
# </details>
