# %% [markdown]
# # Exercise: layer norm
#
# Derive the gradients of layer normalization, as in the
# [layer norm chapter](../../layers/layer_norm/): $d\gamma$ (6), $d\beta$ (7) and
# $dX$ (8). The statistics are per sample, over its $K$ normalized entries.
#
# Fill in every line that ends in `...`, then run the cell. `check` says at once whether
# yours is exact, approximately equal (within the tolerance every test of this project
# uses) or wrong, with the largest difference. The solution is folded below each
# exercise. [All exercises](../).

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 6))  # 4 samples, normalized_shape (6,)
gamma = rng.standard_normal(6)  # weight, one per normalized position
beta = rng.standard_normal(6)  # bias
eps = 1e-5
K = 6
mu = X.mean(axis=1, keepdims=True)  # (1)
v = ((X - mu) ** 2).mean(axis=1, keepdims=True)  # (2)
sigma = np.sqrt(v + eps)
X_hat = (X - mu) / sigma  # (3)
Y = gamma * X_hat + beta  # (4)
dY = rng.standard_normal(Y.shape)
args = dict(input=X, normalized_shape=(6,), weight=gamma, bias=beta)
want = expected("layer_norm", dY, **args)

# %% [markdown]
# ## 1. $d\gamma$ and $d\beta$
#
# Summed over the samples, one number per position: shape $(6,)$.

# %% tags=["exercise"]
dgamma = ...  # your code: equation (6)
dbeta = ...  # your code: equation (7)
check("layer_norm", {"weight": dgamma, "bias": dbeta}, want.pick("weight", "bias"))

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dgamma = (dY * X_hat).sum(axis=0)
# dbeta = dY.sum(axis=0)
# check("layer_norm", {"weight": dgamma, "bias": dbeta}, want.pick("weight", "bias"))
# ```
#
# </details>

# %% [markdown]
# ## 2. $dX$
#
# Each sample's mean and variance depend on all its entries: (5), then (8).

# %% tags=["exercise"]
dX_hat = ...  # your code: equation (5)
dX = ...  # your code: equation (8)
check("layer_norm", {"input": dX}, want.pick("input"))

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dX_hat = gamma * dY
# sum1 = dX_hat.sum(axis=1, keepdims=True)
# sum2 = (dX_hat * X_hat).sum(axis=1, keepdims=True)
# dX = (K * dX_hat - sum1 - X_hat * sum2) / (K * sigma)
# check("layer_norm", {"input": dX}, want.pick("input"))
# ```
#
# </details>
