"""The first seed note's LeNet `Net` (the blitz tutorial's), verbatim apart from the imports,
run on the engine: every .grad equals torch's, None before backward, doubled by a second
forward+backward, None again after zero_grad()."""

import numpy as np
import pytest
import torch as real_torch

import backprop_ref.engine as torch
import backprop_ref.engine.nn as nn
import backprop_ref.engine.nn.functional as F
from backprop_ref.models.torch_reference import BlitzNet
from backprop_ref.precision import assert_close


# --- verbatim from the note (seed 000) ----------------------------------------------------------
class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()  # noqa: UP008 (the note's spelling)
        # 1 input image channel, 6 output channels, 5x5 square convolution kernel
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        # an affine operation: y = Wx + b
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        # Max pooling over a (2, 2) window
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        # If the size is a square you can only specify a single number
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, self.num_flat_features(x))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x

    def num_flat_features(self, x):
        size = x.size()[1:]  # all dimensions except the batch dimension
        num_features = 1
        for s in size:
            num_features *= s
        return num_features


# --- end of the note's code ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def nets():
    real_torch.manual_seed(0)
    theirs = BlitzNet().double()
    ours = Net().double()
    ours.load_state_dict(theirs.state_dict())
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 1, 32, 32))
    target = rng.standard_normal((2, 10))
    return ours, theirs, x, target


def step(net, lib, x, target):
    output = net(lib.tensor(x))
    loss = lib.nn.MSELoss()(output, lib.tensor(target))
    loss.backward()
    return output, loss


def test_names_and_order_match_torch(nets):
    ours, theirs, _, _ = nets
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert all(p.dtype == np.float64 for p in ours.parameters())


def test_gradients_equal_torch_and_accumulate(nets):
    ours, theirs, x, target = nets
    ours.zero_grad()
    theirs.zero_grad()
    assert all(p.grad is None for p in ours.parameters())  # None before the first backward

    out, loss = step(ours, torch, x, target)
    out_t, loss_t = step(theirs, real_torch, x, target)
    assert_close(out.detach().numpy(), out_t, "output")
    assert_close(np.asarray(loss.item()), np.asarray(loss_t.item()), "loss")
    first = {}
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        assert_close(p.grad.numpy(), q.grad, f"{name}.grad")
        first[name] = p.grad.numpy().copy()

    step(ours, torch, x, target)  # no zero_grad: the gradients add up, as in torch
    step(theirs, real_torch, x, target)
    for (name, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        assert_close(p.grad.numpy(), q.grad, f"{name}.grad after a second backward")
        np.testing.assert_allclose(p.grad.numpy(), 2 * first[name], rtol=1e-12, atol=1e-15)

    ours.zero_grad()
    assert all(p.grad is None for p in ours.parameters())


def test_note_prints_like_torch(nets):
    """The note prints conv1's weight, bias and their grads: "Parameter containing:" and
    torch's layout, 4 decimals (scientific notation when the magnitudes call for it)."""
    ours, theirs, x, target = nets
    ours.float()
    theirs.float()
    try:
        step(theirs, real_torch, x.astype(np.float32), target.astype(np.float32))
        for name in ("conv1.weight", "conv1.bias"):
            p, q = ours.get_parameter(name), theirs.get_parameter(name)
            assert repr(p) == repr(q)
            assert repr(torch.tensor(q.grad.numpy())) == repr(q.grad)
        assert repr(torch.tensor([1.0, -2.0])) == repr(real_torch.tensor([1.0, -2.0]))
        doubled = torch.tensor(2.5, requires_grad=True) * 2
        assert repr(doubled) == "tensor(5., grad_fn=<MulBackward0>)"
    finally:
        ours.double()
        theirs.double()
        ours.zero_grad()
        theirs.zero_grad()


def test_grad_none_prints_none(nets, capsys):
    ours, _, _, _ = nets
    ours.zero_grad()
    print(ours.conv1.bias.grad)
    assert capsys.readouterr().out == "None\n"
