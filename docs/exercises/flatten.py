# %% [markdown]
# # Exercise: flatten
#
# Derive the gradient of `torch.flatten`, as in the [Flatten chapter](../../layers/flatten/):
# equation (2). Flatten moves no number and changes none, so neither does its backward.
#
# Fill in every line that ends in `...`, then run the cell. `check` says at once whether
# yours is exact, approximately equal (within the tolerance every test of this project
# uses) or wrong, with the largest difference. The solution is folded below each
# exercise. [All exercises](../).

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 4, 5))  # (N, C, H, W)
Y = X.reshape(2, 60)  # flatten(X, 1), (1)
dY = rng.standard_normal(Y.shape)
want = expected("flatten", dY, input=X, start_dim=1)

# %% [markdown]
# ## 1. Flatten from axis 1, as LeNet does

# %% tags=["exercise"]
dX = ...  # your code: equation (2)
check("flatten", dX, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dX = dY.reshape(X.shape)
# check("flatten", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. Only the middle axes
#
# `flatten(X, 1, 2)` merges $C$ and $H$ only: $Y$ is $(N, C H, W)$.

# %%
dY2 = rng.standard_normal((2, 12, 5))
want = expected("flatten", dY2, input=X, start_dim=1, end_dim=2)

# %% tags=["exercise"]
dX = ...  # your code: equation (2)
check("flatten(X, 1, 2)", dX, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dX = dY2.reshape(X.shape)
# check("flatten(X, 1, 2)", dX, want)
# ```
#
# </details>
