# %% [markdown]
# # Exercise: MSE loss
#
# Derive the gradients of the mean squared error with respect to its input $X$ and its
# target $T$, as in the [MSE loss chapter](../../layers/mse_loss/): equations (4) to (6).
#
# Fill in every line that ends in `...`, then run the cell. `check` says at once, for each
# gradient, whether yours is exact, approximately equal (within the tolerance every test
# of this project uses) or wrong, with the largest difference. The solution is folded
# below each exercise. [All exercises](../).

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 3))  # the prediction
T = rng.standard_normal((4, 3))  # the target, the same shape
n = X.size  # the number of elements, 12

# %% [markdown]
# ## 1. Mean reduction, the default
#
# $L = \frac{1}{n} \sum_i (x_i - t_i)^2$ is the end of the graph, so its upstream
# gradient is $dL = 1$.

# %%
dL = 1.0
want = expected("mse_loss", dL, input=X, target=T)  # "mean": the default

# %% tags=["exercise"]
dX = ...  # your code: equation (4)
dT = ...  # your code: equation (6)
check("mse_loss, mean", {"input": dX, "target": dT}, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dX = dL * 2 / n * (X - T)
# dT = -dX
# check("mse_loss, mean", {"input": dX, "target": dT}, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. Sum reduction, inside a bigger loss
#
# Now $L = \sum_i (x_i - t_i)^2$ is weighted by $0.5$ in a sum of losses, so the upstream
# gradient it receives is $dL = 0.5$.

# %%
dL = 0.5
want = expected("mse_loss", dL, input=X, target=T, reduction="sum")

# %% tags=["exercise"]
dX = ...  # your code: equation (5), the sum
dT = ...  # your code: equation (6)
check("mse_loss, sum", {"input": dX, "target": dT}, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dX = dL * 2 * (X - T)
# dT = -dX
# check("mse_loss, sum", {"input": dX, "target": dT}, want)
# ```
#
# </details>

# %% [markdown]
# ## 3. No reduction
#
# With `reduction="none"` the loss is the array of squared errors itself, and the upstream
# gradient $dL$ has its shape: one number per element.

# %%
dL = rng.standard_normal(X.shape)
want = expected("mse_loss", dL, input=X, target=T, reduction="none")

# %% tags=["exercise"]
dX = ...  # your code: equation (5), none
dT = ...  # your code: equation (6)
check("mse_loss, none", {"input": dX, "target": dT}, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dX = dL * 2 * (X - T)
# dT = -dX
# check("mse_loss, none", {"input": dX, "target": dT}, want)
# ```
#
# </details>
