# %% [markdown]
# # 训练两层网络：500 步，torch 与 numpy
#
# [两层网络详解](../../walkthroughs/two_layer/)推导了
# `Sequential(Linear(3, 4), ReLU(), Linear(4, 5))` 在 `MSELoss(reduction="sum")` 下的四个梯度，
# 并在每一步与 torch 核对。
# 本 notebook 运行同样的实验，并把它画出来：
# 种子笔记中的训练循环（普通 SGD，$\text{lr} = 10^{-4}$，500 步），
# 分别用 torch 和我们的 numpy `TwoLayerNet`，在 float64 和 float32 下运行，
# 两边各自用自己的梯度更新自己的权重。
#
# 每一步我们都记录两边的损失，以及四个参数上最大的梯度差
# $\max |dW_\text{ours} - dW_\text{torch}| / \max |dW_\text{torch}|$。
# 作为对照，我们还记录了种子笔记中手动核对的偏差，那次核对读取的是原地更新之后的权重。

# %%
import matplotlib.pyplot as plt
import numpy as np
import torch

from backprop_ref.functional import mse_loss, mse_loss_backward
from backprop_ref.models import TwoLayerNet

# 绘图样式：文字足够大，在页面宽度下也能看清；背景透明，文字、坐标轴和刻度用中灰色，
# 在网站的浅色和深色页面上同样清晰可读
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
# 一个函数同时训练一个 torch 模型和一个 `TwoLayerNet`，两者并排进行。
# float64 的运行从精确转换过来的 float32 数值出发，因此四次运行都从同一点开始。


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
# 作为对照，种子笔记中的手动核对：同样是 torch 中的 float64 循环，
# 但手算读取参数时，`param -= lr * param.grad` 已经把它们原地修改了。


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
                p -= LR * p.grad  # 先更新……
            W1, b1, W2, b2 = pv  # ……所以这些已经是下一步的权重
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
# ## 损失曲线
#
# 左图：四次运行的损失；numpy 的曲线（虚线）与 torch 的重合。
# 右图：每一步的差值 $L_{ours} - L_{torch}$，它在左图中看不出来：
# 在 float64 中恰好为零，或是末位上的几个单位（$10^{-15}$）；
# 在 float32 中是末位上的一两个单位（在 10 附近，相邻的 float32 数相差 $2^{-20} \approx 10^{-6}$）。
# float32 和 float64 的损失彼此也一致到大约六位数字：
# 起点相同，而舍入误差太小，远不足以改变 500 步的轨迹。

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
# ## 逐步比较梯度
#
# 每一步我们的梯度与 torch 的梯度之间的最大相对差，纵轴为对数刻度
# （两者完全一致的步画在 $10^{-17}$ 处）。共有三个水平，彼此相差许多个数量级：
#
# - float64：$10^{-16}$，即双精度数的最后一位；详解中断言的是 `rtol=1e-10`。
# - float32：几个 $10^{-7}$，即 float32 的舍入误差
#   （每次运算 $2^{-24} \approx 6 \times 10^{-8}$，经过约 17 次运算组成的链）；
#   详解中断言的是 $10^{-5}$。
# - 种子笔记的核对：$10^{-3}$，这根本不是舍入误差，而是更新带来的一阶效应，与学习率成正比。

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
# 两种实现都是对的；float32 的曲线只说明，两个正确的 float32 计算在舍入顺序不同时会相差多远。
# 种子笔记的那条曲线是另一类误差：它比较的是在两个不同的点上求得的梯度。
