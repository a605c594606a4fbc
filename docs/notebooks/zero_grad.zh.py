# %% [markdown]
# # 忘记 zero_grad()：4500 步
#
# [.grad 里存的是什么](../../foundations/grad_and_zero_grad/)一章
# 用普通的 SGD（$\text{lr} = 10^{-3}$，`MSELoss(reduction="sum")`）在 8 个随机样本上
# 训练两层网络 `Sequential(Linear(3, 4), ReLU(), Linear(4, 5))`，
# 一次按正确的做法，一次不调用 `zero_grad()`，于是每一步用的都是此前所有梯度之和。
# 在那一章的 200 步里，每个打印出来的步上，都是忘记清零的循环损失更低。
# 本 notebook 把同样的两个循环各跑 4500 步，分别用 torch 和我们的 numpy `TwoLayerNet`，
# 两边各自更新自己的权重，并把结果画出来。

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from backprop_ref.functional import mse_loss, mse_loss_backward
from backprop_ref.models import TwoLayerNet

STEPS, LR = 4500, 1e-3
GREY = "#808080"  # 在浅色和深色页面上都清晰可读
plt.rcParams.update(
    {
        "font.size": 13,
        "figure.facecolor": "none",  # 透明：露出页面自身的背景
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


with np.errstate(all="ignore"):  # 忘记清零的循环最后会溢出，这是有意为之
    good = train(forget_zero_grad=False)
    bad = train(forget_zero_grad=True)

# %% [markdown]
# ## 数字说明了什么
#
# torch 两次运行在若干步上的损失，以及关于它们的五个事实。

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
# 不调用 `zero_grad()` 时，损失在前 150 步左右下降得很快，比正确的循环还快，随后便不再改善：
# 它在约 18.4 到 26 之间振荡，始终达不到正确的循环在下降途中经过的那些值
# （正确的循环几乎是平稳下降的：4500 步中只有 58 步损失上升，第 979 步之前一次也没有，
# 且每次上升都不超过 0.003）。
# 大约 2300 步之后，忘记清零的循环跳到一个更差的区间（大多在 27 到 35 之间），
# 从大约第 4000 步起，振荡无限增大，直至溢出。

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
# ## torch 与我们的实现
#
# 正确的循环在 torch 和 numpy 中每一步都一致到最后几位。
# 忘记清零的循环，两边只在一段时间内一致：它的轨迹是混沌的，
# 两个正确实现之间最后一位的差异（它们的舍入顺序不同）会一步步被放大，
# 直到两次运行走上不同的路径（我们的实现也会溢出，比 torch 早几百步）。
# 两边计算的是同一个忘记清零的更新；那一章中 `rtol=1e-10` 的比较在它的 200 步内成立。
# （两边完全一致的步画在 $10^{-17}$ 处。）

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
