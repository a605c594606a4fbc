# %% [markdown]
# # Exercise: max pooling
#
# Derive the gradient of 2-D max pooling, as in the
# [max pooling chapter](../../layers/max_pool2d/): equation (3). Each window's upstream
# gradient goes whole to its winner; where windows overlap, the shares add. With ties,
# torch's winner is the **first** maximum of the window in row-major order.
#
# Fill in every line that ends in `...` (a line may become several), then run the cell.
# `check` says at once whether yours is exact, approximately equal (within the tolerance
# every test of this project uses) or wrong, with the largest difference. The solution is
# folded below each exercise. [All exercises](../).

# %%
import numpy as np

from backprop_ref.exercises import check, expected
from backprop_ref.functional import max_pool2d

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 6, 6))  # (N, C, H, W), no two entries equal
Y = max_pool2d(X, 2)  # 2x2 windows, stride 2: (2, 3, 3, 3)
dY = rng.standard_normal(Y.shape)
want = expected("max_pool2d", dY, input=X, kernel_size=2)

# %% [markdown]
# ## 1. 2x2 windows, stride 2
#
# The windows do not overlap, and each has one largest entry.

# %% tags=["exercise"]
dX = ...  # your code: equation (3)
check("max_pool2d", dX, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# N, C, H, W = X.shape
# win = X.reshape(N, C, H // 2, 2, W // 2, 2)  # (n, c, i, p, j, q)
# Yb = win.max(axis=(3, 5), keepdims=True)  # each window's maximum
# mask = win == Yb  # its winner (one per window: no ties here)
# dX = (mask * dY[:, :, :, None, :, None]).reshape(X.shape)
# check("max_pool2d", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. Overlapping windows with ties
#
# Small integers this time, so most windows hold their maximum more than once; 3x3
# windows with stride 2 overlap by one row and one column. Only the first maximum of
# each window (row-major: along the row, then the next row) gets that window's gradient.

# %%
k, s = 3, 2
X2 = rng.integers(0, 3, size=(2, 2, 7, 7)).astype(np.float64)
Y2 = max_pool2d(X2, k, stride=s)  # (2, 2, 3, 3)
dY2 = rng.standard_normal(Y2.shape)
want = expected("max_pool2d", dY2, input=X2, kernel_size=k, stride=s)

# %% tags=["exercise"]
dX = ...  # your code: equation (3), the first maximum of each window wins
check("max_pool2d, ties", dX, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# N, C = X2.shape[:2]
# Ho, Wo = dY2.shape[2:]
# n, c = np.indices((N, C))
# dX = np.zeros_like(X2)
# for i in range(Ho):
#     for j in range(Wo):
#         win = X2[:, :, i * s : i * s + k, j * s : j * s + k].reshape(N, C, k * k)
#         first = win.argmax(axis=2)  # argmax returns the first maximum, row-major
#         h, w = i * s + first // k, j * s + first % k
#         dX[n, c, h, w] += dY2[:, :, i, j]  # overlapping windows add
# check("max_pool2d, ties", dX, want)
# ```
#
# </details>
