# %% [markdown]
# # 把 conv1 的权重梯度画成图像
#
# 种子笔记把 `net.conv1.weight.grad` 打印成六块 $5 \times 5$ 的数字。
# 画成图像就更容易比较了：`conv1` 的每个输出通道一张小图，
# 其中每个像素是卷积核 $k$ 在偏移 $(p, q)$ 处的 $\partial L / \partial W_{k,0,p,q}$。
#
# 本 notebook 用 float64 把种子笔记的实验运行一次
# （60 分钟入门教程中的网络、一张随机图像、与随机目标之间的 MSE、一次反向传播），
# 分别在 torch 和我们的 numpy `LeNet` 中进行，参数相同，然后画出两边的梯度及其差值。
# 每一步的推导见 [LeNet 详解](../../walkthroughs/lenet/)。

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from backprop_ref.functional import mse_loss_backward
from backprop_ref.models import LeNet
from backprop_ref.models.torch_reference import BlitzNet  # 种子笔记中的 Net，torch 版

# 绘图样式：文字足够大，在页面宽度下也能看清；背景透明，文字、坐标轴和刻度用中灰色，
# 在网站的浅色和深色页面上同样清晰可读
GREY = "#808080"
plt.rcParams.update(
    {"font.size": 14, "figure.facecolor": "none", "axes.facecolor": "none"}
    | {"legend.facecolor": "none", "legend.edgecolor": GREY, "text.color": GREY}
    | {k: GREY for k in ("axes.labelcolor", "axes.edgecolor", "xtick.color", "ytick.color")}
)

torch.manual_seed(0)
torch_net = BlitzNet().double()
image = torch.randn(1, 1, 32, 32, dtype=torch.float64)
target = torch.randn(1, 10, dtype=torch.float64)
nn.MSELoss()(torch_net(image), target).backward()

net = LeNet(dtype=np.float64)
net.load_state_dict(torch_net.state_dict())
y = net(image.numpy())
dy, _ = mse_loss_backward(np.ones(()), y, target.numpy())
net.backward(dy)

ours = net.grads["conv1.weight"][:, 0]  # (6, 5, 5)：每个输出通道一个 5x5 梯度
theirs = torch_net.conv1.weight.grad.numpy()[:, 0]
np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
print("conv1.weight.grad:", ours.shape, "max |ours - torch| =", np.abs(ours - theirs).max())

# %% [markdown]
# ## 我们的梯度与 torch 的并排比较
#
# 第一行：我们的梯度；第二行：torch 的梯度。
# 两行共用一个关于零对称的色标（红色为正，蓝色为负），所以肉眼看来图像相同，就意味着数值相同。
# 最后一行是差值（我们的减去 torch 的），使用它自己的色标：
# 它处在 float64 舍入误差的水平，对于大小为 $10^{-2}$ 的梯度，差值是几倍的 $10^{-17}$。

# %%
limit = np.abs(theirs).max()
diff = ours - theirs
dlimit = max(np.abs(diff).max(), np.finfo(np.float64).tiny)  # 全为零时范围会是 0

fig, axes = plt.subplots(3, 6, figsize=(11, 6), constrained_layout=True)
fig.suptitle("conv1.weight.grad, float64: each image is one 5×5 kernel's gradient")
rows = [("ours", ours, limit), ("torch", theirs, limit), ("ours − torch", diff, dlimit)]
for r, (label, grads, lim) in enumerate(rows):
    for k in range(6):
        ax = axes[r, k]
        im = ax.imshow(grads[k], cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_xticks([])
        ax.set_yticks([])
        if r == 0:
            ax.set_title(f"kernel {k}")
        if k == 0:
            ax.set_ylabel(label)
    fig.colorbar(im, ax=axes[r, :], shrink=0.9, format="%.1e")

# %% [markdown]
# 前两行的图像完全相同，而第三行的色标比它们低约十五个数量级：
# 两种计算以不同的顺序把相同的乘积加起来，差别仅此而已。
# 在 float32 中，同样的差值约为 $10^{-9}$ 到 $10^{-8}$，
# 这是 float32 对大小为 $10^{-2}$ 的数求和时的舍入误差。
#
# 偏置的梯度每个卷积核一个数，它是 $dz_1$ 在每个输出通道的 $28 \times 28$ 个位置上的和：

# %%
print("ours: ", net.grads["conv1.bias"])
print("torch:", torch_net.conv1.bias.grad.numpy())
np.testing.assert_allclose(
    net.grads["conv1.bias"], torch_net.conv1.bias.grad.numpy(), rtol=1e-10, atol=1e-12
)
