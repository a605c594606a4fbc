# %% [markdown]
# # 综合练习：手算 LeNet 的完整反向传播
#
# 这里用的是 [LeNet 详解](../../walkthroughs/lenet/)中的网络，
# 即 PyTorch 60 分钟入门教程里的 `Net`：
# conv1、ReLU、最大池化、conv2、ReLU、最大池化、展平、fc1、ReLU、fc2、ReLU、fc3，
# 以及 `MSELoss()`。
# 下面写出了前向传播，每层一个有名字的激活值。
# 你要完成的是反向传播：从损失开始逐层向下直到 conv1，把前面各道练习的梯度串联起来。
# 每个 `check` 都把你的参数梯度与 torch 的 `loss.backward()` 留在每个参数上的 `.grad`
# 进行比较。
#
# 可以使用你在前面练习中自己写的函数（[全部练习](../)），也可以把公式直接写在行内。
# 把每一行以 `...` 结尾的代码补全（一行可以写成多行）；答案折叠在每一部分下方。

# %%
import numpy as np

from backprop_ref.exercises import check, expected_lenet
from backprop_ref.functional import conv2d, flatten, linear, max_pool2d, relu
from backprop_ref.models import LeNet

rng = np.random.default_rng(0)
params = LeNet(dtype=np.float64, seed=0).state_dict()  # 以 torch 的参数名为键
W1, b1 = params["conv1.weight"], params["conv1.bias"]  # (6, 1, 5, 5), (6,)
W2, b2 = params["conv2.weight"], params["conv2.bias"]  # (16, 6, 5, 5), (16,)
W3, b3 = params["fc1.weight"], params["fc1.bias"]  # (120, 400), (120,)
W4, b4 = params["fc2.weight"], params["fc2.bias"]  # (84, 120), (84,)
W5, b5 = params["fc3.weight"], params["fc3.bias"]  # (10, 84), (10,)
x = rng.standard_normal((2, 1, 32, 32))  # 一个含两张图像的批量
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
L = ((y - target) ** 2).mean()  # MSELoss()，reduction="mean"

want = expected_lenet(params, x, target)  # torch 给每个参数算出的 .grad
FC = ["fc3.weight", "fc3.bias", "fc2.weight", "fc2.bias", "fc1.weight", "fc1.bias"]

# %% [markdown]
# ## 1. 损失与三个线性层
#
# 从 $dL = 1$ 向下直到 $dz_3$：参见 [MSE](../../layers/mse_loss/)、
# [线性层](../../layers/linear/)和 [ReLU](../../layers/relu/) 各章。

# %% tags=["exercise"]
dy = ...  # 你的代码：MSE (4)，dL = 1
dW5 = ...  # 你的代码：线性层 (3)，fc3
db5 = ...  # 你的代码：线性层 (4)，fc3
da4 = ...  # 你的代码：线性层 (2)，fc3
dz4 = ...  # 你的代码：ReLU (3)
dW4 = ...  # 你的代码：fc2 的权重
db4 = ...  # 你的代码：fc2 的偏置
da3 = ...  # 你的代码：穿过 fc2
dz3 = ...  # 你的代码：ReLU (3)
dW3 = ...  # 你的代码：fc1 的权重
db3 = ...  # 你的代码：fc1 的偏置
mine = {"fc3.weight": dW5, "fc3.bias": db5, "fc2.weight": dW4, "fc2.bias": db4}
mine.update({"fc1.weight": dW3, "fc1.bias": db3})
check("LeNet, fc3 to fc1", mine, want.pick(*FC))

# %% [markdown]
# <details><summary>答案</summary>
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
# ## 2. 展平、池化与 conv2
#
# 参见[展平](../../layers/flatten/)、[最大池化](../../layers/max_pool2d/)（2x2 窗口，步幅 2）
# 和 [Conv2d](../../layers/conv2d/)（步幅 1，无填充）各章。

# %% tags=["exercise"]
df = ...  # 你的代码：线性层 (2)，穿过 fc1
dp2 = ...  # 你的代码：展平 (2)
da2 = ...  # 你的代码：最大池化 (3)
dz2 = ...  # 你的代码：ReLU (3)
dW2 = ...  # 你的代码：Conv2d (3)
db2 = ...  # 你的代码：Conv2d (5)
mine.update({"conv2.weight": dW2, "conv2.bias": db2})
check("LeNet, down to conv2", mine, want.pick(*FC, "conv2.weight", "conv2.bias"))

# %% [markdown]
# <details><summary>答案</summary>
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
#             Xs = X[:, :, p : p + Ho, q : q + Wo]  # 抽头 (p, q) 读取的部分
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
# ## 3. 向下直到 conv1
#
# conv2 的输入梯度 (4)、第一个池化层和 ReLU，以及 conv1 的两个参数。
# （torch 不为图像 `x` 计算梯度：它们是数据。）

# %% tags=["exercise"]
dp1 = ...  # 你的代码：Conv2d (4)，conv2 的输入
da1 = ...  # 你的代码：最大池化 (3)
dz1 = ...  # 你的代码：ReLU (3)
dW1 = ...  # 你的代码：Conv2d (3)，conv1
db1 = ...  # 你的代码：Conv2d (5)，conv1
mine.update({"conv1.weight": dW1, "conv1.bias": db1})
check("LeNet, every parameter", mine, want)

# %% [markdown]
# <details><summary>答案</summary>
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
