# %% [markdown]
# # Exercise: cross-entropy
#
# Derive the gradient of `F.cross_entropy` with respect to the scores $X$, as in the
# [cross-entropy chapter](../../layers/cross_entropy/): the fused form (11),
# $dX_n = s_n (p_n \sum_c Y_{n,c} - Y_n)$, where $Y_n$ is sample $n$'s (weighted,
# smoothed) target and $s_n$ the scale that the reduction and $dL$ give it.
#
# Fill in every line that ends in `...`, then run the cell. `check` says at once whether
# yours is exact, approximately equal (within the tolerance every test of this project
# uses) or wrong, with the largest difference. The solution is folded below each
# exercise. [All exercises](../).

# %%
import numpy as np

from backprop_ref.exercises import check, expected

rng = np.random.default_rng(0)
N, C = 5, 4
X = rng.standard_normal((N, C))  # the scores (logits)
t = np.array([0, 3, 1, 1, 2])  # the class index of each sample
E = np.exp(X - X.max(axis=1, keepdims=True))
P = E / E.sum(axis=1, keepdims=True)  # softmax along the classes
onehot = np.eye(C)[t]  # (N, C): 1 at each sample's target

# %% [markdown]
# ## 1. The mean over the batch
#
# $L = \frac1N \sum_n -\log p_{n,t_n}$, the end of the graph ($dL = 1$).

# %%
dL = 1.0
want = expected("cross_entropy", dL, input=X, target=t)

# %% tags=["exercise"]
dX = ...  # your code: (11) with s_n = dL / N
check("cross_entropy", dX, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dX = dL / N * (P - onehot)
# check("cross_entropy", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. Class weights and an ignored target
#
# With class weights $w$ the mean divides by the summed weights of the targets that are
# not ignored (2), and a sample whose target is `ignore_index` gets no gradient at all.

# %%
w = np.array([1.0, 2.0, 0.5, 3.0])
t2 = np.array([0, 3, -100, 1, 2])  # sample 2 is ignored (-100, torch's default)
want = expected("cross_entropy", dL, input=X, target=t2, weight=w)

# %% tags=["exercise"]
dX = ...  # your code: (11) with Y_n = w[t_n] onehot_n, s_n = dL / sum of w[t_n] kept
check("cross_entropy, weighted", dX, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# keep = t2 != -100
# tk = np.where(keep, t2, 0)  # any valid index for the ignored rows, masked below
# wt = w[tk] * keep  # w[t_n], 0 where ignored
# Y = wt[:, None] * np.eye(C)[tk]
# s = dL / wt.sum()
# dX = s * (P * Y.sum(axis=1, keepdims=True) - Y)
# check("cross_entropy, weighted", dX, want)
# ```
#
# </details>

# %% [markdown]
# ## 3. Label smoothing
#
# `label_smoothing=eps` mixes each one-hot target with the uniform distribution (9):
# $\tilde y_{n,c} = (1 - \varepsilon) y_{n,c} + \varepsilon / C$.

# %%
eps = 0.1
want = expected("cross_entropy", dL, input=X, target=t, label_smoothing=eps)

# %% tags=["exercise"]
dX = ...  # your code: (11) with the smoothed target (9), s_n = dL / N
check("cross_entropy, smoothed", dX, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# Y = (1 - eps) * onehot + eps / C  # each row sums to 1
# dX = dL / N * (P - Y)
# check("cross_entropy, smoothed", dX, want)
# ```
#
# </details>
