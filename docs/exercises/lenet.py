# %% [markdown]
# # Capstone: LeNet's full backward by hand
#
# The [LeNet walkthrough](../../walkthroughs/lenet/)'s network, the PyTorch blitz's `Net`:
# conv1, ReLU, max-pool, conv2, ReLU, max-pool, flatten, fc1, ReLU, fc2, ReLU, fc3, and
# `MSELoss()`. The forward pass is written out below, one named activation per layer.
# Your part: the backward, layer by layer from the loss down to conv1, chaining the
# gradients of the earlier exercises. Each `check` compares your parameter gradients with
# the `.grad` that torch's `loss.backward()` leaves on every parameter.
#
# Use your own functions from the earlier exercises ([all exercises](../)), or write the
# formulas inline. Fill in every line that ends in `...` (a line may become several); the
# solutions are folded below each part.

# %%
import numpy as np

from backprop_ref.exercises import check, expected_lenet
from backprop_ref.functional import conv2d, flatten, linear, max_pool2d, relu
from backprop_ref.models import LeNet

rng = np.random.default_rng(0)
params = LeNet(dtype=np.float64, seed=0).state_dict()  # by torch's names
W1, b1 = params["conv1.weight"], params["conv1.bias"]  # (6, 1, 5, 5), (6,)
W2, b2 = params["conv2.weight"], params["conv2.bias"]  # (16, 6, 5, 5), (16,)
W3, b3 = params["fc1.weight"], params["fc1.bias"]  # (120, 400), (120,)
W4, b4 = params["fc2.weight"], params["fc2.bias"]  # (84, 120), (84,)
W5, b5 = params["fc3.weight"], params["fc3.bias"]  # (10, 84), (10,)
x = rng.standard_normal((2, 1, 32, 32))  # a batch of two images
target = rng.standard_normal((2, 10))

z1 = conv2d(x, W1, b1)  # (2, 6, 28, 28)
a1 = relu(z1)
p1 = max_pool2d(a1, 2)  # (2, 6, 14, 14)
z2 = conv2d(p1, W2, b2)  # (2, 16, 10, 10)
a2 = relu(z2)
p2 = max_pool2d(a2, 2)  # (2, 16, 5, 5)
f = flatten(p2, 1)  # (2, 400)
z3 = linear(f, W3, b3)  # (2, 120)
a3 = relu(z3)
z4 = linear(a3, W4, b4)  # (2, 84)
a4 = relu(z4)
y = linear(a4, W5, b5)  # (2, 10)
L = ((y - target) ** 2).mean()  # MSELoss(), reduction="mean"

want = expected_lenet(params, x, target)  # torch's .grad of every parameter
FC = ["fc3.weight", "fc3.bias", "fc2.weight", "fc2.bias", "fc1.weight", "fc1.bias"]

# %% [markdown]
# ## 1. The loss and the three linear layers
#
# From $dL = 1$ down to $dz_3$: the [MSE](../../layers/mse_loss/),
# [Linear](../../layers/linear/) and [ReLU](../../layers/relu/) chapters.

# %% tags=["exercise"]
dy = ...  # your code: MSE (4) with dL = 1
dW5 = ...  # your code: Linear (3), fc3
db5 = ...  # your code: Linear (4), fc3
da4 = ...  # your code: Linear (2), fc3
dz4 = ...  # your code: ReLU (3)
dW4 = ...  # your code: fc2's weight
db4 = ...  # your code: fc2's bias
da3 = ...  # your code: through fc2
dz3 = ...  # your code: ReLU (3)
dW3 = ...  # your code: fc1's weight
db3 = ...  # your code: fc1's bias
mine = {"fc3.weight": dW5, "fc3.bias": db5, "fc2.weight": dW4, "fc2.bias": db4}
mine.update({"fc1.weight": dW3, "fc1.bias": db3})
check("LeNet, fc3 to fc1", mine, want.pick(*FC))

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dy = 2 / y.size * (y - target)
# dW5 = dy.T @ a4
# db5 = dy.sum(axis=0)
# da4 = dy @ W5
# dz4 = da4 * (z4 > 0)
# dW4 = dz4.T @ a3
# db4 = dz4.sum(axis=0)
# da3 = dz4 @ W4
# dz3 = da3 * (z3 > 0)
# dW3 = dz3.T @ f
# db3 = dz3.sum(axis=0)
# mine = {"fc3.weight": dW5, "fc3.bias": db5, "fc2.weight": dW4, "fc2.bias": db4}
# mine.update({"fc1.weight": dW3, "fc1.bias": db3})
# check("LeNet, fc3 to fc1", mine, want.pick(*FC))
# ```
#
# </details>

# %% [markdown]
# ## 2. Flatten, pooling and conv2
#
# The [Flatten](../../layers/flatten/), [max pooling](../../layers/max_pool2d/) (2x2
# windows, stride 2) and [Conv2d](../../layers/conv2d/) chapters (stride 1, no padding).

# %% tags=["exercise"]
df = ...  # your code: Linear (2), through fc1
dp2 = ...  # your code: Flatten (2)
da2 = ...  # your code: max pooling (3)
dz2 = ...  # your code: ReLU (3)
dW2 = ...  # your code: Conv2d (3)
db2 = ...  # your code: Conv2d (5)
mine.update({"conv2.weight": dW2, "conv2.bias": db2})
check("LeNet, down to conv2", mine, want.pick(*FC, "conv2.weight", "conv2.bias"))

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# def pool_backward(dP, A):
#     """2x2 max pooling, stride 2: each window's gradient to its first maximum."""
#     N, C, H, W = A.shape
#     win = A.reshape(N, C, H // 2, 2, W // 2, 2).transpose(0, 1, 2, 4, 3, 5)
#     first = win.reshape(N, C, H // 2, W // 2, 4).argmax(axis=-1)
#     onehot = np.arange(4) == first[..., None]  # (N, C, H/2, W/2, 4)
#     dwin = (onehot * dP[..., None]).reshape(N, C, H // 2, W // 2, 2, 2)
#     return dwin.transpose(0, 1, 2, 4, 3, 5).reshape(A.shape)
#
#
# def conv_backward(dZ, X, W):
#     """Conv2d, stride 1, no padding: (dX, dW, db) by (4), (3), (5)."""
#     kH, kW = W.shape[2:]
#     Ho, Wo = dZ.shape[2:]
#     dX, dW = np.zeros_like(X), np.zeros_like(W)
#     for p in range(kH):
#         for q in range(kW):
#             Xs = X[:, :, p : p + Ho, q : q + Wo]  # what tap (p, q) read
#             dW[:, :, p, q] = np.einsum("noij,ncij->oc", dZ, Xs)
#             dXs = np.einsum("noij,oc->ncij", dZ, W[:, :, p, q])
#             dX[:, :, p : p + Ho, q : q + Wo] += dXs
#     return dX, dW, dZ.sum(axis=(0, 2, 3))
#
#
# df = dz3 @ W3
# dp2 = df.reshape(p2.shape)
# da2 = pool_backward(dp2, a2)
# dz2 = da2 * (z2 > 0)
# dp1, dW2, db2 = conv_backward(dz2, p1, W2)
# mine.update({"conv2.weight": dW2, "conv2.bias": db2})
# check("LeNet, down to conv2", mine, want.pick(*FC, "conv2.weight", "conv2.bias"))
# ```
#
# </details>

# %% [markdown]
# ## 3. Down to conv1
#
# conv2's input gradient (4), the first pooling and ReLU, and conv1's two parameters.
# (torch computes no gradient for the images `x`: they are data.)

# %% tags=["exercise"]
dp1 = ...  # your code: Conv2d (4), conv2's input
da1 = ...  # your code: max pooling (3)
dz1 = ...  # your code: ReLU (3)
dW1 = ...  # your code: Conv2d (3), conv1
db1 = ...  # your code: Conv2d (5), conv1
mine.update({"conv1.weight": dW1, "conv1.bias": db1})
check("LeNet, every parameter", mine, want)

# %% [markdown]
# <details><summary>Solution</summary>
#
# ```python
# dp1 = conv_backward(dz2, p1, W2)[0]
# da1 = pool_backward(dp1, a1)
# dz1 = da1 * (z1 > 0)
# _, dW1, db1 = conv_backward(dz1, x, W1)
# mine.update({"conv1.weight": dW1, "conv1.bias": db1})
# check("LeNet, every parameter", mine, want)
# ```
#
# </details>
