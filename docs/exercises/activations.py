# %% [markdown]
# # Exercise: sigmoid, tanh and GELU
#
# Derive the gradients of three elementwise activations, as in the
# [activations chapter](../../layers/activations/): equations (5), (6), (7) and (8).
#
# Fill in every line that ends in `...`, then run the cell. `check` says at once whether
# yours is exact, approximately equal (within the tolerance every test of this project
# uses) or wrong, with the largest difference. The solution is folded below each
# exercise. [All exercises](../).

# %%
from math import erf, sqrt

import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 5)) * 2
dY = rng.standard_normal(X.shape)
S = 1 / (1 + np.exp(-X))  # sigma(X), (1)
T = np.tanh(X)  # (2)
Phi = 0.5 * (1 + np.vectorize(erf)(X / sqrt(2)))  # (3), the normal CDF

# %% [markdown]
# ## 1. Sigmoid

# %%
want = expected("sigmoid", dY, input=X)

# %% tags=["exercise"]
dX = ...  # your code: equation (5)
check("sigmoid", dX, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dX = dY * S * (1 - S)
# check("sigmoid", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. tanh

# %%
want = expected("tanh", dY, input=X)

# %% tags=["exercise"]
dX = ...  # your code: equation (6)
check("tanh", dX, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dX = dY * (1 - T**2)
# check("tanh", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 3. GELU
#
# $\varphi(x) = e^{-x^2/2} / \sqrt{2\pi}$ is the normal density.

# %%
want = expected("gelu", dY, input=X)

# %% tags=["exercise"]
dX = ...  # your code: equation (7)
check("gelu", dX, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# phi = np.exp(-(X**2) / 2) / np.sqrt(2 * np.pi)
# dX = dY * (Phi + X * phi)
# check("gelu", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 4. GELU, tanh approximation
#
# `approximate="tanh"`: $u = \sqrt{2/\pi}\,(x + 0.044715\, x^3)$, (4).

# %%
want = expected("gelu", dY, input=X, approximate="tanh")

# %% tags=["exercise"]
dX = ...  # your code: equation (8)
check("gelu, tanh", dX, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# u = np.sqrt(2 / np.pi) * (X + 0.044715 * X**3)
# du = np.sqrt(2 / np.pi) * (1 + 3 * 0.044715 * X**2)
# t = np.tanh(u)
# dX = dY * (0.5 * (1 + t) + 0.5 * X * (1 - t**2) * du)
# check("gelu, tanh", dX, want)
# ```
#
# </details>
