# %% [markdown]
# # Training the two-layer network: 500 steps, torch and numpy
#
# The [two-layer walkthrough](../../walkthroughs/two_layer/) derives the four gradients of
# `Sequential(Linear(3, 4), ReLU(), Linear(4, 5))` under `MSELoss(reduction="sum")` and checks
# them against torch at every step. This notebook runs the same experiment and draws it: the
# seed's training loop (plain SGD, $\text{lr} = 10^{-4}$, 500 steps) in torch and with our
# numpy `TwoLayerNet`, in float64 and in float32, each side updating its own weights from its
# own gradients.
#
# At every step we record the loss of both sides and the largest gradient difference,
# $\max |dW_\text{ours} - dW_\text{torch}| / \max |dW_\text{torch}|$ over the four
# parameters. For contrast we also record the mismatch of the seed note's manual check, which
# read the weights after the in-place update.

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from backprop_ref.functional import mse_loss, mse_loss_backward
from backprop_ref.models import TwoLayerNet

# Plot style: text large enough to read at the page's width, and a transparent background with
# mid-grey text, axes and ticks, legible on the site's light and dark pages alike
GREY = "#808080"
plt.rcParams.update(
    {"font.size": 14, "figure.facecolor": "none", "axes.facecolor": "none"}
    | {"legend.facecolor": "none", "legend.edgecolor": GREY, "text.color": GREY}
    | {k: GREY for k in ("axes.labelcolor", "axes.edgecolor", "xtick.color", "ytick.color")}
)

N, D_in, H, D_out = 2, 3, 4, 5
STEPS, LR = 500, 1e-4

torch.manual_seed(2)
x32, y32 = torch.randn(N, D_in), torch.randn(N, D_out)
model32 = torch.nn.Sequential(torch.nn.Linear(D_in, H), torch.nn.ReLU(), torch.nn.Linear(H, D_out))
initial = {k: v.clone() for k, v in model32.state_dict().items()}
loss_fn = torch.nn.MSELoss(reduction="sum")


# %% [markdown]
# One function trains a torch model and a `TwoLayerNet` side by side. The float64 run starts
# from the float32 numbers converted exactly, so all four runs start from the same point.


# %%
def train(dtype):
    tdtype = {np.float32: torch.float32, np.float64: torch.float64}[dtype]
    x, y = x32.to(tdtype), y32.to(tdtype)
    model = torch.nn.Sequential(
        torch.nn.Linear(D_in, H), torch.nn.ReLU(), torch.nn.Linear(H, D_out)
    ).to(tdtype)
    model.load_state_dict(initial)
    net = TwoLayerNet(D_in, H, D_out, dtype=dtype)
    net.load_state_dict(initial)
    xn, yn = x.numpy(), y.numpy()
    loss_torch, loss_ours, grad_diff = [], [], []
    for _ in range(STEPS):
        loss = loss_fn(model(x), y)
        model.zero_grad()
        loss.backward()

        y_pred = net(xn)
        loss_ours.append(float(mse_loss(y_pred, yn, reduction="sum")))
        dy_pred, _ = mse_loss_backward(np.array(1, dtype), y_pred, yn, reduction="sum")
        net.zero_grad()
        net.backward(dy_pred)

        loss_torch.append(loss.item())
        diff = 0.0
        for name, p in model.named_parameters():
            g = p.grad.numpy()
            diff = max(diff, np.abs(net.grads[name] - g).max() / np.abs(g).max())
        grad_diff.append(diff)

        with torch.no_grad():
            for p in model.parameters():
                p -= LR * p.grad
        for name, p in net.named_parameters():
            p -= LR * net.grads[name]
    return np.array(loss_torch), np.array(loss_ours), np.array(grad_diff)


runs = {"float64": train(np.float64), "float32": train(np.float32)}
for name, (lt, lo, gd) in runs.items():
    print(
        f"{name}: loss {lt[0]:.4f} -> {lt[-1]:.4f}; "
        f"largest loss difference {np.abs(lo - lt).max():.1e}; "
        f"largest gradient difference {gd.max():.1e}"
    )
assert runs["float64"][2].max() < 1e-10 and runs["float32"][2].max() < 1e-5


# %% [markdown]
# The seed note's manual check, for contrast: the same float64 loop in torch, where the hand
# computation reads the parameters after `param -= lr * param.grad` has changed them in place.


# %%
def seed_bug_mismatch():
    x, y = x32.double(), y32.double()
    model = torch.nn.Sequential(
        torch.nn.Linear(D_in, H), torch.nn.ReLU(), torch.nn.Linear(H, D_out)
    ).double()
    model.load_state_dict(initial)
    out = []
    for _ in range(STEPS):
        loss = loss_fn(model(x), y)
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            pv, pgrad = list(model.parameters()), [p.grad for p in model.parameters()]
            for p in model.parameters():
                p -= LR * p.grad  # the update first ...
            W1, b1, W2, b2 = pv  # ... so these are already the next step's weights
            z1 = x @ W1.T + b1
            h1 = z1.clamp(min=0)
            dy_pred = 2 * (h1 @ W2.T + b2 - y)
            dz1 = (dy_pred @ W2) * (z1 > 0)
            manual = [dz1.T @ x, dz1.sum(0), dy_pred.T @ h1, dy_pred.sum(0)]
        out.append(
            max(
                ((m - g).abs().max() / g.abs().max()).item()
                for m, g in zip(manual, pgrad, strict=True)
            )
        )
    return np.array(out)


bug = seed_bug_mismatch()
print(f"seed note's check: mismatch between {bug.min():.1e} and {bug.max():.1e}")

# %% [markdown]
# ## The loss curves
#
# Left: the loss of the four runs; the numpy curves (dashed) lie on top of torch's. Right: the
# difference $L_{ours} - L_{torch}$ at each step, which is invisible on the left: exactly zero
# or a few units of the last digit in float64 ($10^{-15}$), and one or two units of the last
# digit in float32 (near 10, neighbouring float32 numbers are $2^{-20} \approx 10^{-6}$
# apart). The float32 and float64 losses also agree with each other to about six digits: the
# same start, and rounding errors far too small to change the path of 500 steps.

# %%
steps = np.arange(STEPS)
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8), constrained_layout=True)
for name, color in (("float64", "C0"), ("float32", "C1")):
    lt, lo, _ = runs[name]
    ax1.plot(steps, lt, color=color, lw=3, alpha=0.4, label=f"torch, {name}")
    ax1.plot(steps, lo, color=color, ls="--", lw=1.2, label=f"numpy, {name}")
    ax2.plot(steps, lo - lt, color=color, lw=0.8, label=name)
ax1.set(xlabel="step", ylabel="loss (sum of squares)", title="Loss: torch and numpy overlap")
ax1.legend()
ax2.set(xlabel="step", ylabel="numpy loss - torch loss", title="Their difference")
ax2.ticklabel_format(axis="y", style="sci", scilimits=(0, 0))
ax2.legend()
plt.show()

# %% [markdown]
# ## The gradients, step by step
#
# The largest relative difference between our gradients and torch's, at every step, on a log
# scale (steps where the two agree exactly are drawn at $10^{-17}$). Three levels, many decades
# apart:
#
# - float64: $10^{-16}$, the last bit of a double; the walkthrough asserts `rtol=1e-10`.
# - float32: a few $10^{-7}$, float32's rounding ($2^{-24} \approx 6 \times 10^{-8}$ per
#   operation, over a chain of about 17 operations); the walkthrough asserts $10^{-5}$.
# - the seed note's check: $10^{-3}$, not rounding at all: a first-order effect of the update,
#   proportional to the learning rate.

# %%
fig, ax = plt.subplots(figsize=(11, 3.8), constrained_layout=True)
ax.semilogy(steps, np.maximum(runs["float64"][2], 1e-17), ".", ms=3, label="ours vs torch, float64")
ax.semilogy(steps, np.maximum(runs["float32"][2], 1e-17), ".", ms=3, label="ours vs torch, float32")
ax.semilogy(steps, bug, "-", color="C3", label="seed note's check (after the update)")
for level, text in ((1e-10, "float64 tolerance"), (1e-5, "float32 tolerance")):
    ax.axhline(level, color="gray", ls=":", lw=1)
    ax.text(5, level * 1.5, text, va="bottom", fontsize="small", color="gray")
ax.set(xlabel="step", ylabel="max |ours - torch| / max |torch|", ylim=(1e-18, 1e1))
ax.set_title("Largest gradient difference per step")
ax.legend(loc="upper center", ncol=3, fontsize="small")
plt.show()

# %% [markdown]
# Both implementations are right; the float32 curve only says how far two correct float32
# computations can drift apart when they round in a different order. The seed's curve is a
# different kind of error: it compares gradients taken at two different points.
