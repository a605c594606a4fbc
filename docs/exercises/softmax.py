# %% [markdown]
# # Exercise: softmax and log-softmax
#
# Derive the gradients of softmax and log-softmax along one axis, as in the
# [softmax chapter](../../layers/softmax/): equations (3) and (6). Never build the
# Jacobian (2): its product with the upstream gradient has a one-line form.
#
# Fill in every line that ends in `...`, then run the cell. `check` says at once whether
# yours is exact, approximately equal (within the tolerance every test of this project
# uses) or wrong, with the largest difference. The solution is folded below each
# exercise. [All exercises](../).

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 5))  # 4 rows of 5 scores; softmax along dim=1
E = np.exp(X - X.max(axis=1, keepdims=True))
P = E / E.sum(axis=1, keepdims=True)  # (1), each row sums to 1

# %% [markdown]
# ## 1. Softmax
#
# $dP$ is the upstream gradient of $P$; $\langle dP, P \rangle$ is one number per row.

# %%
dP = rng.standard_normal(P.shape)
want = expected("softmax", dP, input=X, dim=1)

# %% tags=["exercise"]
dX = ...  # your code: equation (3)
check("softmax", dX, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dX = P * (dP - (dP * P).sum(axis=1, keepdims=True))
# check("softmax", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. Log-softmax
#
# Now $Y = \log P$ and $dY$ is its upstream gradient.

# %%
dY = rng.standard_normal(P.shape)
want = expected("log_softmax", dY, input=X, dim=1)

# %% tags=["exercise"]
dX = ...  # your code: equation (6)
check("log_softmax", dX, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dX = dY - P * dY.sum(axis=1, keepdims=True)
# check("log_softmax", dX, want)
# ```
#
# </details>
