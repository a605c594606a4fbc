# %% [markdown]
# # Exercise: embedding
#
# Derive the gradient of an embedding lookup with respect to its table $W$, as in the
# [Embedding chapter](../../layers/embedding/): equations (2) and (3). A row looked up
# several times collects the gradient of every lookup.
#
# Fill in every line that ends in `...`, then run the cell. `check` says at once whether
# yours is exact, approximately equal (within the tolerance every test of this project
# uses) or wrong, with the largest difference. The solution is folded below each
# exercise. [All exercises](../).

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
W = rng.standard_normal((5, 3))  # (num_embeddings K, embedding_dim D)
idx = np.array([[1, 4, 1], [0, 4, 4]])  # row 4: three times, row 2: never
Y = W[idx]  # (1), shape (2, 3, D)
dY = rng.standard_normal(Y.shape)

# %% [markdown]
# ## 1. The plain lookup

# %%
want = expected("embedding", dY, input=idx, weight=W)

# %% tags=["exercise"]
dW = ...  # your code: equation (2)
check("embedding", {"weight": dW}, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dW = np.zeros_like(W)
# np.add.at(dW, idx.ravel(), dY.reshape(-1, 3))  # repeated rows add up
# check("embedding", {"weight": dW}, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. A padding row
#
# With `padding_idx=4` the lookups of row 4 still happen, but the row gets no gradient.

# %%
want = expected("embedding", dY, input=idx, weight=W, padding_idx=4)

# %% tags=["exercise"]
dW = ...  # your code: (2), then the padding row
check("embedding, padding_idx=4", {"weight": dW}, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dW = np.zeros_like(W)
# np.add.at(dW, idx.ravel(), dY.reshape(-1, 3))
# dW[4] = 0
# check("embedding, padding_idx=4", {"weight": dW}, want)
# ```
#
# </details>

# %% [markdown]
# ## 3. Scaled by frequency
#
# With `scale_grad_by_freq=True` each row's sum is divided by the number of times the
# row occurs in this input, $c_k$.

# %%
want = expected("embedding", dY, input=idx, weight=W, scale_grad_by_freq=True)

# %% tags=["exercise"]
dW = ...  # your code: equation (3)
check("embedding, by frequency", {"weight": dW}, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dW = np.zeros_like(W)
# np.add.at(dW, idx.ravel(), dY.reshape(-1, 3))
# count = np.bincount(idx.ravel(), minlength=5)  # c_k
# dW = dW / np.maximum(count, 1)[:, None]  # unused rows: 0
# check("embedding, by frequency", {"weight": dW}, want)
# ```
#
# </details>
