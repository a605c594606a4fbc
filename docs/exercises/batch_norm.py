# %% [markdown]
# # Exercise: batch norm
#
# Derive the gradients of batch normalization in training mode, as in the
# [batch norm chapter](../../layers/batch_norm/): $d\gamma$ (6), $d\beta$ (7), then
# $dX$ through the batch statistics, the closed form (8); and in evaluation mode (9).
#
# Fill in every line that ends in `...` (a line may become several), then run the cell.
# `check` says at once, for each gradient, whether yours is exact, approximately equal
# (within the tolerance every test of this project uses) or wrong, with the largest
# difference. The solution is folded below each exercise. [All exercises](../).

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 3, 2, 5))  # (N, C, H, W)
gamma = rng.standard_normal(3)  # weight, one per channel
beta = rng.standard_normal(3)  # bias
eps = 1e-5
axes = (0, 2, 3)  # every axis but the channel's
M = X.shape[0] * X.shape[2] * X.shape[3]  # entries per channel, 40
mu = X.mean(axis=axes, keepdims=True)  # (1), shape (1, C, 1, 1)
v = ((X - mu) ** 2).mean(axis=axes, keepdims=True)  # (2), biased
sigma = np.sqrt(v + eps)
X_hat = (X - mu) / sigma  # (3)
g = gamma.reshape(1, 3, 1, 1)
Y = g * X_hat + beta.reshape(1, 3, 1, 1)  # (4)
dY = rng.standard_normal(Y.shape)
want = expected(
    "batch_norm", dY, input=X, running_mean=None, running_var=None,
    weight=gamma, bias=beta, training=True, eps=eps,
)  # fmt: skip

# %% [markdown]
# ## 1. The affine part: $d\gamma$ and $d\beta$
#
# Each is one number per channel, shape $(C,)$.

# %% tags=["exercise"]
dgamma = ...  # your code: equation (6)
dbeta = ...  # your code: equation (7)
check("batch_norm", {"weight": dgamma, "bias": dbeta}, want.pick("weight", "bias"))

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dgamma = (dY * X_hat).sum(axis=axes)
# dbeta = dY.sum(axis=axes)
# check("batch_norm", {"weight": dgamma, "bias": dbeta}, want.pick("weight", "bias"))
# ```
#
# </details>

# %% [markdown]
# ## 2. $dX$ in training mode
#
# $\mu$ and $v$ depend on every entry of the channel, so each $dx_m$ collects from all of
# them: (5), then (8), with the sums over the channel's $M$ entries.

# %% tags=["exercise"]
dX_hat = ...  # your code: equation (5)
dX = ...  # your code: equation (8)
check("batch_norm, training", {"input": dX}, want.pick("input"))

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dX_hat = g * dY
# sum1 = dX_hat.sum(axis=axes, keepdims=True)
# sum2 = (dX_hat * X_hat).sum(axis=axes, keepdims=True)
# dX = (M * dX_hat - sum1 - X_hat * sum2) / (M * sigma)
# check("batch_norm, training", {"input": dX}, want.pick("input"))
# ```
#
# </details>

# %% [markdown]
# ## 3. Evaluation mode
#
# In evaluation the statistics are the running ones, constants: the layer is a per-channel
# scaling and shift, and so is its gradient (9).

# %%
v_run = rng.uniform(0.5, 2.0, 3)  # running_var
mu_run = rng.standard_normal(3)  # running_mean
want = expected(
    "batch_norm", dY, input=X, running_mean=mu_run, running_var=v_run,
    weight=gamma, bias=beta, training=False, eps=eps,
)  # fmt: skip

# %% tags=["exercise"]
dX = ...  # your code: equation (9)
dgamma = ...  # your code: (6), with x-hat from the running statistics
dbeta = ...  # your code: equation (7)
check("batch_norm, eval", {"input": dX, "weight": dgamma, "bias": dbeta}, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# s_run = np.sqrt(v_run + eps).reshape(1, 3, 1, 1)
# dX = g * dY / s_run
# X_hat_run = (X - mu_run.reshape(1, 3, 1, 1)) / s_run
# dgamma = (dY * X_hat_run).sum(axis=axes)
# dbeta = dY.sum(axis=axes)
# check("batch_norm, eval", {"input": dX, "weight": dgamma, "bias": dbeta}, want)
# ```
#
# </details>
