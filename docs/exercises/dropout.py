# %% [markdown]
# # Exercise: dropout
#
# Derive the gradient of dropout, as in the [Dropout chapter](../../layers/dropout/):
# equation (3). The mask is drawn, not computed from $X$: the backward reuses it.
#
# Fill in every line that ends in `...`, then run the cell. `check` says at once whether
# yours is exact, approximately equal (within the tolerance every test of this project
# uses) or wrong, with the largest difference. The solution is folded below each
# exercise. [All exercises](../).

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
p = 0.25
X = rng.standard_normal((4, 5))
mask = rng.random(X.shape) >= p  # True: kept; the forward's mask M
Y = X * mask / (1 - p)  # (2)
dY = rng.standard_normal(Y.shape)

# %% [markdown]
# ## 1. Training mode

# %%
want = expected("dropout", dY, input=X, p=p, mask=mask)

# %% tags=["exercise"]
dX = ...  # your code: equation (3)
check("dropout", dX, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dX = dY * mask / (1 - p)
# check("dropout", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. Evaluation mode
#
# With `training=False` dropout returns its input unchanged.

# %%
want = expected("dropout", dY, input=X, p=p, training=False)

# %% tags=["exercise"]
dX = ...  # your code: the gradient of Y = X
check("dropout, eval", dX, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dX = dY.copy()  # dY itself is right too
# check("dropout, eval", dX, want)
# ```
#
# </details>
