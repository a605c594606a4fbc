# %% [markdown]
# # Exercise: average pooling
#
# Derive the gradient of 2-D average pooling, as in the
# [average pooling chapter](../../layers/avg_pool2d/): equations (5) and (6). Each window
# shares its upstream gradient equally among the entries it averaged.
#
# Fill in every line that ends in `...`, then run the cell. `check` says at once whether
# yours is exact, approximately equal (within the tolerance every test of this project
# uses) or wrong, with the largest difference. The solution is folded below each
# exercise. [All exercises](../).

# %%
import numpy as np

from backprop_ref.exercises import check, expected
from backprop_ref.functional import avg_pool2d

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 6, 6))  # (N, C, H, W)
Y = avg_pool2d(X, 2)  # 2x2 windows, stride 2: (2, 3, 3, 3)
dY = rng.standard_normal(Y.shape)
want = expected("avg_pool2d", dY, input=X, kernel_size=2)

# %% [markdown]
# ## 1. 2x2 windows, stride 2
#
# Every window holds 4 entries, and every entry is in exactly one window.

# %% tags=["exercise"]
dX = ...  # your code: equations (5) and (6)
check("avg_pool2d", dX, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# G = dY / 4  # (5)
# dX = G.repeat(2, axis=2).repeat(2, axis=3)  # (6)
# check("avg_pool2d", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. Overlapping windows with padding
#
# 3x3 windows, stride 2, one row and column of zero padding on each side. With torch's
# default `count_include_pad=True` the padding counts: every divisor $D$ is 9 (3a).
# Spread over the padded input, then crop the padding away.

# %%
k, s, P = 3, 2, 1
Y2 = avg_pool2d(X, k, stride=s, padding=P)  # (2, 3, 3, 3)
dY2 = rng.standard_normal(Y2.shape)
want = expected("avg_pool2d", dY2, input=X, kernel_size=k, stride=s, padding=P)

# %% tags=["exercise"]
dX = ...  # your code: (5), (6), then crop
check("avg_pool2d, padded", dX, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# G = dY2 / (k * k)  # (5), D = 9
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
