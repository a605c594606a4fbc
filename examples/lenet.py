"""LeNet of the first seed note (PyTorch's blitz Net), forward and backward in plain numpy.

conv1 (1->6, 5x5), ReLU, max-pool 2, conv2 (6->16, 5x5), ReLU, max-pool 2, flatten, fc1 (400->120),
ReLU, fc2 (120->84), ReLU, fc3 (84->10), MSELoss() (a mean). Names as in docs/walkthroughs/lenet.md.
Needs only numpy; if torch is installed, torch's Net with the same parameters computes the same
gradients, printed beside ours.

    python examples/lenet.py
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

rng = np.random.default_rng(0)
# torch's (out, in, ...) layout
SHAPES = dict(conv1=(6, 1, 5, 5), conv2=(16, 6, 5, 5), fc1=(120, 400), fc2=(84, 120), fc3=(10, 84))
P = {}
for name, shape in SHAPES.items():  # torch's default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    bound = 1 / np.sqrt(np.prod(shape[1:]))
    P[name + ".weight"] = rng.uniform(-bound, bound, shape)
    P[name + ".bias"] = rng.uniform(-bound, bound, shape[:1])
x = rng.standard_normal((2, 1, 32, 32))  # a batch of two images
t = rng.standard_normal((2, 10))  # their targets


def conv(X, W, b):  # Y[n,o,i,j] = b[o] + sum_{c,p,q} W[o,c,p,q] X[n,c,i+p,j+q]
    win = sliding_window_view(X, W.shape[2:], axis=(2, 3))  # (N, C, H', W', kH, kW)
    return np.einsum("ncijpq,ocpq->noij", win, W) + b[:, None, None]


def conv_backward(dY, X, W):  # returns dX, dW, db
    win = sliding_window_view(X, W.shape[2:], axis=(2, 3))
    dW = np.einsum("noij,ncijpq->ocpq", dY, win)  # correlation of the input with dY
    dX = np.zeros_like(X)
    Ho, Wo = dY.shape[2:]
    for p in range(W.shape[2]):  # each tap hands dY * W back to the pixels it saw
        for q in range(W.shape[3]):
            dX[:, :, p : p + Ho, q : q + Wo] += np.einsum("noij,oc->ncij", dY, W[:, :, p, q])
    return dX, dW, dY.sum(axis=(0, 2, 3))


def pool(A):  # 2x2 max-pooling, stride 2: (N, C, H, W) -> (N, C, H/2, W/2)
    N, C, H, W = A.shape
    return A.reshape(N, C, H // 2, 2, W // 2, 2).max(axis=(3, 5))


def pool_backward(dPo, A):  # the gradient goes to the first maximum of each window
    N, C, H, W = A.shape
    win = A.reshape(N, C, H // 2, 2, W // 2, 2).transpose(0, 1, 2, 4, 3, 5)
    k = win.reshape(N, C, H // 2, W // 2, 4).argmax(-1)
    n, c, i, j = np.indices(k.shape)
    dA = np.zeros_like(A)
    dA[n, c, 2 * i + k // 2, 2 * j + k % 2] = dPo
    return dA


def relu(Z):
    return np.maximum(Z, 0)


# forward
z1 = conv(x, P["conv1.weight"], P["conv1.bias"])  # (N, 6, 28, 28)
a1 = relu(z1)
p1 = pool(a1)  # (N, 6, 14, 14)
z2 = conv(p1, P["conv2.weight"], P["conv2.bias"])  # (N, 16, 10, 10)
a2 = relu(z2)
p2 = pool(a2)  # (N, 16, 5, 5)
f = p2.reshape(len(x), 400)  # the seed's x.view(-1, 400)
z3 = f @ P["fc1.weight"].T + P["fc1.bias"]  # (N, 120)
a3 = relu(z3)
z4 = a3 @ P["fc2.weight"].T + P["fc2.bias"]  # (N, 84)
a4 = relu(z4)
y = a4 @ P["fc3.weight"].T + P["fc3.bias"]  # (N, 10)
L = ((y - t) ** 2).mean()

# backward: from the loss up, each step reuses the gradient of the step before
G = {}
dy = 2 * (y - t) / y.size  # MSELoss() is a mean over all N * 10 elements
G["fc3.weight"], G["fc3.bias"] = dy.T @ a4, dy.sum(axis=0)  # (10, 84), (10,)
da4 = dy @ P["fc3.weight"]  # (N, 84)
dz4 = da4 * (z4 > 0)  # ReLU'(0) = 0, as in torch
G["fc2.weight"], G["fc2.bias"] = dz4.T @ a3, dz4.sum(axis=0)  # (84, 120), (84,)
da3 = dz4 @ P["fc2.weight"]  # (N, 120)
dz3 = da3 * (z3 > 0)
G["fc1.weight"], G["fc1.bias"] = dz3.T @ f, dz3.sum(axis=0)  # (120, 400), (120,)
df = dz3 @ P["fc1.weight"]  # (N, 400)
dp2 = df.reshape(p2.shape)  # the flatten moved no number
dz2 = pool_backward(dp2, a2) * (z2 > 0)  # (N, 16, 10, 10)
dp1, G["conv2.weight"], G["conv2.bias"] = conv_backward(dz2, p1, P["conv2.weight"])
dz1 = pool_backward(dp1, a1) * (z1 > 0)  # (N, 6, 28, 28)
_, G["conv1.weight"], G["conv1.bias"] = conv_backward(dz1, x, P["conv1.weight"])  # dx unused

print(f"loss {L:.10f}")
for name in P:
    print(f"{name:12} {G[name].shape!s:15} first entries {np.round(G[name].ravel()[:3], 6)}")

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    torch = None
if torch is None:
    print("torch is not installed: nothing to compare with")
    raise SystemExit(0)

T = {k: torch.tensor(v, requires_grad=True) for k, v in P.items()}
h = F.max_pool2d(F.relu(F.conv2d(torch.from_numpy(x), T["conv1.weight"], T["conv1.bias"])), 2)
h = F.max_pool2d(F.relu(F.conv2d(h, T["conv2.weight"], T["conv2.bias"])), 2).flatten(1)
h = F.relu(F.linear(h, T["fc1.weight"], T["fc1.bias"]))
h = F.relu(F.linear(h, T["fc2.weight"], T["fc2.bias"]))
loss = F.mse_loss(F.linear(h, T["fc3.weight"], T["fc3.bias"]), torch.from_numpy(t))
loss.backward()
worst = 0.0
print(f"\nloss: ours {L:.10f}, torch {loss.item():.10f}")
for name in P:
    theirs = T[name].grad.numpy()
    diff = np.abs(G[name] - theirs).max()
    worst = max(worst, diff / np.abs(theirs).max())
    first = f"ours {G[name].ravel()[0]:+.8f} torch {theirs.ravel()[0]:+.8f}"
    print(f"{name:12} {first} max diff {diff:.1e}")
ok = worst < 1e-10 and abs(L - loss.item()) <= 1e-10 * abs(L)
print(f"largest relative difference {worst:.1e}: {'ours and torch agree' if ok else 'MISMATCH'}")
raise SystemExit(0 if ok else 1)
