# %% [markdown]
# # 练习：Conv2d
#
# 推导二维卷积的三个梯度，即 [Conv2d 一章](../../layers/conv2d/)中的
# $dW$ (3)、$dX_\text{pad}$ (4)、$db$ (5) 以及裁剪 (6)。
# 先是步幅为 1、没有填充的情形，再加上步幅、填充和膨胀。
#
# 把每一行以 `...` 结尾的代码补全（一行可以写成多行），然后运行该单元格。
# `check` 会立即告诉你每个梯度的结果：完全一致（exact）、近似相等（approximately equal，
# 即在本项目所有测试共用的容差之内）或错误（wrong），并给出最大差值。
# 答案折叠在每道练习下方。[全部练习](../)。
#
# 一个对两道练习都有用的提示：只对卷积核的抽头（tap）$(p, q)$ 做循环。
# 对于一个抽头，它在所有输出位置 $(i, j)$ 上读取的输入元素，
# 构成 $X_\text{pad}$ 的一个带步幅的切片：行 $i s + p d$，列 $j s + q d$。

# %%
import numpy as np

from backprop_ref.exercises import check, expected
from backprop_ref.functional import conv2d

rng = np.random.default_rng(0)
X = rng.standard_normal((2, 2, 6, 6))  # (N, C_in, H, W)
W = rng.standard_normal((3, 2, 3, 3))  # (C_out, C_in, kH, kW)
b = rng.standard_normal(3)  # (C_out,)
Y = conv2d(X, W, b)  # (1)，形状 (2, 3, 4, 4)
dY = rng.standard_normal(Y.shape)
want = expected("conv2d", dY, input=X, weight=W, bias=b)

# %% [markdown]
# ## 1. 步幅 1，无填充
#
# $s = d = 1$，$P = 0$：$X_\text{pad} = X$。

# %% tags=["exercise"]
dW = ...  # 你的代码：式 (3)
db = ...  # 你的代码：式 (5)
dX = ...  # 你的代码：式 (4)（或 (4a)）
check("conv2d", {"input": dX, "weight": dW, "bias": db}, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# kH, kW = W.shape[2:]
# Ho, Wo = dY.shape[2:]
# dW = np.zeros_like(W)
# dX = np.zeros_like(X)
# for p in range(kH):
#     for q in range(kW):
#         Xs = X[:, :, p : p + Ho, q : q + Wo]  # 抽头 (p, q) 读取的部分
#         dW[:, :, p, q] = np.einsum("noij,ncij->oc", dY, Xs)
#         dXs = np.einsum("noij,oc->ncij", dY, W[:, :, p, q])
#         dX[:, :, p : p + Ho, q : q + Wo] += dXs
# db = dY.sum(axis=(0, 2, 3))
# check("conv2d", {"input": dX, "weight": dW, "bias": db}, want)
# ```
#
# </details>

# %% [markdown]
# ## 2. 步幅 2，填充 1，膨胀 2
#
# 这次的输入不是正方形。
# $X_\text{pad}$ 中有些行和列没有被任何抽头读取（被步幅跳过了）：它们的梯度为 0。
# 填充部分的梯度被丢弃 (6)。

# %%
s, P, d = 2, 1, 2
X2 = rng.standard_normal((2, 2, 7, 8))
Y2 = conv2d(X2, W, b, stride=s, padding=P, dilation=d)  # (2, 3, 3, 3)：(2)
dY2 = rng.standard_normal(Y2.shape)
geometry = dict(stride=s, padding=P, dilation=d)
want = expected("conv2d", dY2, input=X2, weight=W, bias=b, **geometry)

# %% tags=["exercise"]
dW = ...  # 你的代码：式 (3)
db = ...  # 你的代码：式 (5)
dX = ...  # 你的代码：式 (4)，再裁剪 (6)
check("conv2d, s=2 P=1 d=2", {"input": dX, "weight": dW, "bias": db}, want)

# %% [markdown]
# <details><summary>答案</summary>
#
# ```python
# kH, kW = W.shape[2:]
# Ho, Wo = dY2.shape[2:]
# Xp = np.pad(X2, ((0, 0), (0, 0), (P, P), (P, P)))  # X_pad
# dXp = np.zeros_like(Xp)
# dW = np.zeros_like(W)
# for p in range(kH):
#     for q in range(kW):
#         rows = slice(p * d, p * d + s * (Ho - 1) + 1, s)  # i s + p d，i = 0 .. Ho-1
#         cols = slice(q * d, q * d + s * (Wo - 1) + 1, s)
#         dW[:, :, p, q] = np.einsum("noij,ncij->oc", dY2, Xp[:, :, rows, cols])
#         dXp[:, :, rows, cols] += np.einsum("noij,oc->ncij", dY2, W[:, :, p, q])
# dX = dXp[:, :, P : P + X2.shape[2], P : P + X2.shape[3]]  # (6)
# db = dY2.sum(axis=(0, 2, 3))
# check("conv2d, s=2 P=1 d=2", {"input": dX, "weight": dW, "bias": db}, want)
# ```
#
# </details>
