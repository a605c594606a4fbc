# %% [markdown]
# # Exercise: ReLU
#
# Derive the gradient of $y_i = \max(x_i, 0)$, as in the [ReLU chapter](../../layers/relu/):
# equations (2) and (3), with torch's choice at the kink, $\text{ReLU}'(0) = 0$.
#
# Fill in every line that ends in `...`, then run the cell. `check` says at once whether
# yours is exact, approximately equal (within the tolerance every test of this project
# uses) or wrong, with the largest difference. The solution is folded below.
# [All exercises](../).

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 5)).astype(np.float32)  # float32, torch's default dtype
X[0, :3] = 0.0  # three inputs exactly at the kink
dY = rng.standard_normal(X.shape).astype(np.float32)  # the upstream gradient
want = expected("relu", dY, input=X)

# %% [markdown]
# ## 1. The mask, then the product
#
# Mind the three zeros in the first row: torch sends no gradient through them.
# Keep the result float32, like the input.

# %% tags=["exercise"]
M = ...  # your code: equation (2), 1 where x > 0, else 0
dX = ...  # your code: equation (3)
check("relu", dX, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# M = (X > 0).astype(X.dtype)  # 0 at x = 0: torch's choice
# dX = M * dY
# check("relu", dX, want)
# ```
#
# </details>
