# %% [markdown]
# # Exercise: Linear
#
# Derive the three gradients of $Y = X W^\top + b$, as in the
# [Linear chapter](../../layers/linear/): equations (2), (3) and (4).
#
# Fill in every line that ends in `...`, then run the cell. `check` says at once, for each
# gradient, whether yours is exact, approximately equal (within the tolerance every test
# of this project uses) or wrong, with the largest difference. The solution is folded
# below each exercise. [All exercises](../).

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
X = rng.standard_normal((5, 3))  # (N, in)
W = rng.standard_normal((4, 3))  # (out, in), torch's layout
b = rng.standard_normal(4)  # (out,)
Y = X @ W.T + b  # (1), shape (N, out)
dY = rng.standard_normal(Y.shape)  # the upstream gradient dL/dY, random
want = expected("linear", dY, input=X, weight=W, bias=b)

# %% [markdown]
# ## 1. A batch of samples
#
# Each result has the shape of what it is the gradient of: $dX$ is $(N, \text{in})$,
# $dW$ is $(\text{out}, \text{in})$, $db$ is $(\text{out},)$.

# %% tags=["exercise"]
dX = ...  # your code: equation (2)
dW = ...  # your code: equation (3)
db = ...  # your code: equation (4)
check("linear", {"input": dX, "weight": dW, "bias": db}, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dX = dY @ W
# dW = dY.T @ X
# db = dY.sum(axis=0)
# check("linear", {"input": dX, "weight": dW, "bias": db}, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. Leading dimensions
#
# A linear layer applied to a sequence: $X$ is $(B, T, \text{in})$ and $Y$ is
# $(B, T, \text{out})$. The weight is shared by every sample *and* every time step, so
# $dW$ and $db$ sum over both leading axes (the chapter's pitfall: `dY.T` of a 3-D array
# reverses all three axes).

# %%
X3 = rng.standard_normal((2, 5, 3))  # (B, T, in)
dY3 = rng.standard_normal((2, 5, 4))  # (B, T, out)
want = expected("linear", dY3, input=X3, weight=W, bias=b)

# %% tags=["exercise"]
dX = ...  # your code: (2) for every leading index
dW = ...  # your code: (3), summed over B and T
db = ...  # your code: (4), summed over B and T
check("linear, (B, T, in)", {"input": dX, "weight": dW, "bias": db}, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dX = dY3 @ W
# dY2 = dY3.reshape(-1, 4)  # fold (B, T) into one row index: (B*T, out)
# X2 = X3.reshape(-1, 3)  # (B*T, in)
# dW = dY2.T @ X2
# db = dY2.sum(axis=0)
# check("linear, (B, T, in)", {"input": dX, "weight": dW, "bias": db}, want)
# ```
#
# </details>
