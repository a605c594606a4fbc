# %% [markdown]
# # conv1's weight gradients as images
#
# The seed note prints `net.conv1.weight.grad` as six blocks of $5 \times 5$ numbers. Drawn as
# images they are easier to compare: one small picture per output channel of `conv1`, where
# each pixel is $\partial L / \partial W_{k,0,p,q}$ for kernel $k$ at offset $(p, q)$.
#
# This notebook runs the seed's experiment once in float64 (the blitz network, a random image,
# MSE against a random target, one backward pass) in torch and in our numpy `LeNet`, with the
# same parameters, and draws both gradients and their difference. The derivation of each step
# is in the [LeNet walkthrough](../../walkthroughs/lenet/).

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from backprop_ref.functional import mse_loss_backward
from backprop_ref.models import LeNet
from backprop_ref.models.torch_reference import BlitzNet  # the seed's Net in torch

# Plot style: text large enough to read at the page's width, and a transparent background with
# mid-grey text, axes and ticks, legible on the site's light and dark pages alike
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

ours = net.grads["conv1.weight"][:, 0]  # (6, 5, 5): one 5x5 gradient per output channel
theirs = torch_net.conv1.weight.grad.numpy()[:, 0]
np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
print("conv1.weight.grad:", ours.shape, "max |ours - torch| =", np.abs(ours - theirs).max())

# %% [markdown]
# ## Ours beside torch's
#
# Top row: our gradients; middle row: torch's. Both rows share one colour scale, symmetric
# around zero (red positive, blue negative), so equal pictures mean equal numbers to the eye.
# The bottom row is the difference, ours minus torch's, on its own scale: it is at the level of
# float64 rounding, a few times $10^{-17}$ for gradients of size $10^{-2}$.

# %%
limit = np.abs(theirs).max()
diff = ours - theirs
dlimit = max(np.abs(diff).max(), np.finfo(np.float64).tiny)  # all zeros would give a 0 range

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
# The pictures in the first two rows are the same, and the third row's scale is some fifteen
# orders of magnitude below theirs: the two computations add the same products in different
# orders, and that is all that differs. In float32 the same difference is around $10^{-9}$ to
# $10^{-8}$, float32's rounding of sums of numbers of size $10^{-2}$.
#
# The bias gradient, one number per kernel, is the sum of $dz_1$ over the $28 \times 28$
# positions of each output channel:

# %%
print("ours: ", net.grads["conv1.bias"])
print("torch:", torch_net.conv1.bias.grad.numpy())
np.testing.assert_allclose(
    net.grads["conv1.bias"], torch_net.conv1.bias.grad.numpy(), rtol=1e-10, atol=1e-12
)
