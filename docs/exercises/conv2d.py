# %% [markdown]
# # Exercise: Conv2d
#
# Derive the three gradients of a 2-D convolution, as in the
# [Conv2d chapter](../../layers/conv2d/): $dW$ (3), $dX_\text{pad}$ (4), $db$ (5) and the
# crop (6). First with stride 1 and no padding, then with stride, padding and dilation.
#
# Fill in every line that ends in `...` (a line may become several), then run the cell.
# `check` says at once, for each gradient, whether yours is exact, approximately equal
# (within the tolerance every test of this project uses) or wrong, with the largest
# difference. The solution is folded below each exercise. [All exercises](../).
#
# A hint that serves both: loop over the taps $(p, q)$ of the kernel only. For one tap,
# the input entries it reads, over all output positions $(i, j)$, are one strided slice
# of $X_\text{pad}$: rows $i s + p d$, columns $j s + q d$.

# %%
import numpy as np

from backprop_ref.exercises import check, expected
from backprop_ref.functional import conv2d

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 2, 6, 6))  # (N, C_in, H, W)
W = rng.standard_normal((3, 2, 3, 3))  # (C_out, C_in, kH, kW)
b = rng.standard_normal(3)  # (C_out,)
Y = conv2d(X, W, b)  # (1), shape (2, 3, 4, 4)
dY = rng.standard_normal(Y.shape)
want = expected("conv2d", dY, input=X, weight=W, bias=b)

# %% [markdown]
# ## 1. Stride 1, no padding
#
# $s = d = 1$, $P = 0$: $X_\text{pad} = X$.

# %% tags=["exercise"]
dW = ...  # your code: equation (3)
db = ...  # your code: equation (5)
dX = ...  # your code: equation (4) (or (4a))
check("conv2d", {"input": dX, "weight": dW, "bias": db}, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# kH, kW = W.shape[2:]
# Ho, Wo = dY.shape[2:]
# dW = np.zeros_like(W)
# dX = np.zeros_like(X)
# for p in range(kH):
#     for q in range(kW):
#         Xs = X[:, :, p : p + Ho, q : q + Wo]  # what tap (p, q) read
#         dW[:, :, p, q] = np.einsum("noij,ncij->oc", dY, Xs)
#         dXs = np.einsum("noij,oc->ncij", dY, W[:, :, p, q])
#         dX[:, :, p : p + Ho, q : q + Wo] += dXs
# db = dY.sum(axis=(0, 2, 3))
# check("conv2d", {"input": dX, "weight": dW, "bias": db}, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. Stride 2, padding 1, dilation 2
#
# A non-square input this time. Some rows and columns of $X_\text{pad}$ are read by no tap
# (the stride skips them): their gradient is 0. The padding's gradient is thrown away (6).

# %%
s, P, d = 2, 1, 2
X2 = rng.standard_normal((2, 2, 7, 8))
Y2 = conv2d(X2, W, b, stride=s, padding=P, dilation=d)  # (2, 3, 3, 3): (2)
dY2 = rng.standard_normal(Y2.shape)
geometry = dict(stride=s, padding=P, dilation=d)
want = expected("conv2d", dY2, input=X2, weight=W, bias=b, **geometry)

# %% tags=["exercise"]
dW = ...  # your code: equation (3)
db = ...  # your code: equation (5)
dX = ...  # your code: equation (4), then the crop (6)
check("conv2d, s=2 P=1 d=2", {"input": dX, "weight": dW, "bias": db}, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# kH, kW = W.shape[2:]
# Ho, Wo = dY2.shape[2:]
# Xp = np.pad(X2, ((0, 0), (0, 0), (P, P), (P, P)))  # X_pad
# dXp = np.zeros_like(Xp)
# dW = np.zeros_like(W)
# for p in range(kH):
#     for q in range(kW):
#         rows = slice(p * d, p * d + s * (Ho - 1) + 1, s)  # i s + p d, i = 0 .. Ho-1
#         cols = slice(q * d, q * d + s * (Wo - 1) + 1, s)
#         dW[:, :, p, q] = np.einsum("noij,ncij->oc", dY2, Xp[:, :, rows, cols])
#         dXp[:, :, rows, cols] += np.einsum("noij,oc->ncij", dY2, W[:, :, p, q])
# dX = dXp[:, :, P : P + X2.shape[2], P : P + X2.shape[3]]  # (6)
# db = dY2.sum(axis=(0, 2, 3))
# check("conv2d, s=2 P=1 d=2", {"input": dX, "weight": dW, "bias": db}, want)
# ```
#
# </details>
