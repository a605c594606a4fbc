# %% [markdown]
# # Forgetting zero_grad(): 4,500 steps
#
# [What .grad holds](../../foundations/grad_and_zero_grad/) trains the two-layer network
# `Sequential(Linear(3, 4), ReLU(), Linear(4, 5))` on 8 random samples with plain SGD
# ($\text{lr} = 10^{-3}$, `MSELoss(reduction="sum")`), once correctly and once without
# `zero_grad()`, so that every step uses the sum of all gradients so far. Over its 200 steps the
# forgetful loop has the lower loss at every printed step. This notebook runs the same two loops
# for 4,500 steps, in torch and with our numpy `TwoLayerNet`, each side updating its own
# weights, and draws what happens.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from backprop_ref.functional import mse_loss, mse_loss_backward
from backprop_ref.models import TwoLayerNet

STEPS, LR = 4500, 1e-3
GREY = "#808080"  # readable on the light and on the dark page
plt.rcParams.update(
    {
        "font.size": 13,
        "figure.facecolor": "none",  # transparent: the page's own background shows
        "axes.facecolor": "none",
        "savefig.facecolor": "none",
        "text.color": GREY,
        "axes.labelcolor": GREY,
        "axes.edgecolor": GREY,
        "xtick.color": GREY,
        "ytick.color": GREY,
        "legend.framealpha": 0.0,
    }
)


def train(forget_zero_grad):
    """The page's loop: torch and ours side by side. Returns both losses and, per step, the
    largest relative difference between our gradients and torch's."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 5)
    ).double()
    net = TwoLayerNet(3, 4, 5, dtype=np.float64)
    net.load_state_dict(model.state_dict())
    x = torch.randn(8, 3, dtype=torch.float64)
    y = torch.randn(8, 5, dtype=torch.float64)
    xn, yn = x.numpy(), y.numpy()
    loss_torch, loss_ours, grad_diff = [], [], []
    for _ in range(STEPS):
        loss = torch.nn.functional.mse_loss(model(x), y, reduction="sum")
        y_pred = net(xn)
        loss_torch.append(loss.item())
        loss_ours.append(float(mse_loss(y_pred, yn, reduction="sum")))
        if not forget_zero_grad:
            model.zero_grad()
            net.zero_grad()
        loss.backward()
        net.backward(mse_loss_backward(np.array(1.0), y_pred, yn, reduction="sum")[0])
        grad_diff.append(
            max(
                np.abs(net.grads[name] - p.grad.numpy()).max() / np.abs(p.grad.numpy()).max()
                for name, p in model.named_parameters()
            )
        )
        with torch.no_grad():
            for p in model.parameters():
                p -= LR * p.grad
        for name, p in net.named_parameters():
            p -= LR * net.grads[name]
    return np.array(loss_torch), np.array(loss_ours), np.array(grad_diff)


with np.errstate(all="ignore"):  # the forgetful loop overflows at the end, on purpose
    good = train(forget_zero_grad=False)
    bad = train(forget_zero_grad=True)

# %% [markdown]
# ## What the numbers say
#
# The loss of torch's two runs, at a few steps, and five facts about them.

# %%
g, b = good[0], bad[0]
for t in (0, 10, 100, 200, 500, 1000, 2000, 3000, 4000):
    print(f"step {t:4d}: with zero_grad {g[t]:7.2f}   without {b[t]:9.2f}")
blown = int(np.argmax(~np.isfinite(b)))
ahead = int(np.where(b[:blown] <= g[:blown])[0].max()) + 1
print(f"the correct loop is below the forgetful one at every step from {ahead} on")
print(f"the forgetful loop's lowest loss: {b[:blown].min():.2f} (step {b[:blown].argmin()})")
print(f"the correct loop's loss at step {STEPS - 1}: {g[-1]:.2f}")
print(f"the forgetful loop's loss is inf or NaN from step {blown} on")
ups = (np.diff(g) > 0).sum(), (np.diff(b[:blown]) > 0).sum()
print(f"steps where the loss went up: {ups[0]} with zero_grad, {ups[1]} without")
assert ups[1] > 1000 and ahead < 500 and b[:blown].min() > 18 and g[999] < 12 and blown < STEPS

# %% [markdown]
# Without `zero_grad()` the loss falls fast for about 150 steps, faster than the correct
# loop's, then stops improving: it oscillates between about 18.4 and 26, never reaching the
# values the correct loop passes on its way down (almost steady: its loss goes up at 58 of
# the 4,500 steps, none before step 979, and never by more than 0.003). After about 2,300
# steps the forgetful loop jumps to a worse band (mostly 27 to 35), and from about step 4,000
# the oscillation grows without bound, up to overflow.

# %%
steps = np.arange(STEPS)
fig, ax = plt.subplots(figsize=(11, 4.5), constrained_layout=True)
ax.semilogy(steps, g, color="C0", lw=2, label="with zero_grad()")
ax.semilogy(steps, b, color="C3", lw=1, label="without zero_grad()")
ax.axvline(blown, color=GREY, ls=":", lw=1)
ax.text(blown - 40, 14, "inf / NaN from here", ha="right", color=GREY)
ax.set(xlabel="step", ylabel="loss (sum of squares), torch", ylim=(8, 200))
ax.set_title("The forgetful loop is ahead early, then never settles")
ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# ## Torch and ours
#
# The correct loop in torch and in numpy agree to the last bits at every step. The forgetful
# loop agrees with itself only for a while: its path is chaotic, so the difference of a last
# bit between two correct implementations (they round in a different order) is amplified,
# step after step, until the two runs follow different paths (ours also overflows, a few
# hundred steps earlier than torch). Both compute the same forgetful update; the comparison on
# the page, with `rtol=1e-10`, holds over its 200 steps. (Steps where the two agree exactly are
# drawn at $10^{-17}$.)

# %%
rel = np.abs(good[1] - good[0]) / good[0]
with np.errstate(all="ignore"):
    rel_bad = np.abs(bad[1] - bad[0]) / np.abs(bad[0])
fig, ax = plt.subplots(figsize=(11, 4), constrained_layout=True)
ax.semilogy(steps, np.maximum(rel, 1e-17), ".", ms=2, color="C0", label="with zero_grad()")
ax.semilogy(steps, np.maximum(rel_bad, 1e-17), ".", ms=2, color="C3", label="without")
ax.set(xlabel="step", ylabel="|ours - torch| / torch, loss", ylim=(1e-18, 1e3))
ax.set_title("Our loss against torch's, step by step")
ax.legend(loc="upper left", markerscale=6)
plt.show()
print(f"with zero_grad: largest gradient difference {good[2].max():.1e}")
print(f"without: first step whose gradients differ by more than 1e-10: {np.argmax(bad[2] > 1e-10)}")
assert good[2].max() < 1e-10 and np.all(bad[2][:200] < 1e-10)
