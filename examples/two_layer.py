"""The two-layer network of the second seed note, forward and backward in plain numpy.

Linear(D_in, H) -> ReLU -> Linear(H, D_out), loss: the sum of squared errors,
MSELoss(reduction="sum").
Letters and equation numbers are those of docs/walkthroughs/two_layer.md. Needs only numpy;
if torch is installed, the same network in torch computes the same gradients, printed beside ours.

    python examples/two_layer.py
"""

import numpy as np

N, D_in, H, D_out = 2, 3, 4, 5  # the note's sizes
rng = np.random.default_rng(0)
x = rng.standard_normal((N, D_in))
y = rng.standard_normal((N, D_out))


def init(out_features, in_features):
    """torch's default for Linear: U(-1/sqrt(in), 1/sqrt(in)), weight in (out, in) layout."""
    bound = 1 / np.sqrt(in_features)
    W = rng.uniform(-bound, bound, (out_features, in_features))
    return W, rng.uniform(-bound, bound, out_features)


W1, b1 = init(H, D_in)
W2, b2 = init(D_out, H)


def gradients(x, y, W1, b1, W2, b2):
    """The loss and its four gradients, keyed by torch's parameter names."""
    # forward
    z1 = x @ W1.T + b1  # (1)  (N, H)
    h1 = np.maximum(z1, 0)  # (2)  (N, H)
    y_pred = h1 @ W2.T + b2  # (3)  (N, D_out)
    L = ((y_pred - y) ** 2).sum()  # (4)

    # backward: each line reuses the gradient of the line before
    dy_pred = 2 * (y_pred - y)  # (5)  (N, D_out)
    dh1 = dy_pred @ W2  # (6)  (N, H)
    dW2 = dy_pred.T @ h1  # (7)  (D_out, H)
    db2 = dy_pred.sum(axis=0)  # (8)  (D_out,)
    dz1 = dh1 * (z1 > 0)  # (9)  (N, H), ReLU'(0) = 0 as in torch
    dW1 = dz1.T @ x  # (10) (H, D_in)
    db1 = dz1.sum(axis=0)  # (11) (H,)
    return L, {"0.weight": dW1, "0.bias": db1, "2.weight": dW2, "2.bias": db2}


L, ours = gradients(x, y, W1, b1, W2, b2)
np.set_printoptions(precision=6, suppress=True)
print(f"loss {L:.10f}")
for name, g in ours.items():
    print(f"{name} {g.shape}\n{g}")

try:
    import torch
except ImportError:
    torch = None
if torch is None:
    print("torch is not installed: nothing to compare with")
    raise SystemExit(0)

model = torch.nn.Sequential(
    torch.nn.Linear(D_in, H), torch.nn.ReLU(), torch.nn.Linear(H, D_out)
).double()
with torch.no_grad():
    for p, v in zip(model.parameters(), (W1, b1, W2, b2), strict=True):
        p.copy_(torch.from_numpy(v))
loss = torch.nn.MSELoss(reduction="sum")(model(torch.from_numpy(x)), torch.from_numpy(y))
loss.backward()

worst = 0.0
print(f"\nloss: ours {L:.10f}, torch {loss.item():.10f}")
for name, p in model.named_parameters():
    theirs = p.grad.numpy()
    diff = np.abs(ours[name] - theirs).max()
    worst = max(worst, diff / np.abs(theirs).max())
    print(
        f"{name:9} ours {ours[name].ravel()[:3]}  torch {theirs.ravel()[:3]}  max diff {diff:.1e}"
    )
ok = worst < 1e-10 and abs(L - loss.item()) <= 1e-10 * abs(L)
print(f"largest relative difference {worst:.1e}: {'ours and torch agree' if ok else 'MISMATCH'}")
raise SystemExit(0 if ok else 1)
