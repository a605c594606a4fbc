"""LeNet (the blitz Net) against torch: output, all ten gradients, accumulation, bookkeeping."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import DTYPES, assert_close, rand

from backprop_ref.functional import mse_loss, mse_loss_backward
from backprop_ref.models import LeNet
from backprop_ref.models.torch_reference import BlitzNet

NAMES = [
    f"{layer}.{kind}"
    for layer in ("conv1", "conv2", "fc1", "fc2", "fc3")
    for kind in ("weight", "bias")
]
TORCH_DTYPE = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


TorchNet = BlitzNet  # the seed's Net; flatten(x, 1) is its x.view(-1, 400)


def pair(dtype, seed=0):
    """A torch Net and our LeNet holding the same parameters."""
    torch.manual_seed(seed)
    tnet = TorchNet().to(TORCH_DTYPE[np.dtype(dtype)])
    net = LeNet(dtype=dtype)
    net.load_state_dict(tnet.state_dict())
    return tnet, net


def run_both(tnet, net, x, dy):
    """Forward and backward through both with upstream gradient dy; return torch's output."""
    out = tnet(torch.tensor(x))
    out.backward(torch.tensor(dy))
    ours = net(x)
    net.backward(dy)
    return ours, out


def assert_grads_equal(net, tnet):
    for name, param in tnet.named_parameters():
        assert_close(net.grads[name], param.grad, name=f"grad {name}")


def assert_step_matches_torch(tnet, net, x, dy):
    """One forward and backward through both: the outputs and all ten gradients agree."""
    ours, out = run_both(tnet, net, x, dy)
    assert_close(ours, out, name="output")
    assert_grads_equal(net, tnet)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("batch", [1, 5])
def test_output_and_grads_match_torch(dtype, batch):
    rng = np.random.default_rng(100 + batch)
    tnet, net = pair(dtype, seed=batch)
    x = rand(rng, (batch, 1, 32, 32), dtype)
    dy = rand(rng, (batch, 10), dtype)  # a random upstream gradient, not ones
    assert_step_matches_torch(tnet, net, x, dy)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mse_loss_as_in_the_seed(dtype):
    """The seed's experiment: MSELoss(mean) against a random (1, 10) target."""
    rng = np.random.default_rng(7)
    tnet, net = pair(dtype, seed=7)
    x = rand(rng, (1, 1, 32, 32), dtype)
    target = rand(rng, (1, 10), dtype)
    loss = F.mse_loss(tnet(torch.tensor(x)), torch.tensor(target))
    loss.backward()
    y = net(x)
    ours = mse_loss(y, target)
    dy, _ = mse_loss_backward(np.array(1, dtype=dtype), y, target)
    net.backward(dy)
    assert_close(ours, loss, name="loss")
    assert_grads_equal(net, tnet)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("dtype", DTYPES)
def test_seed_sweep(seed, dtype):
    """Several parameter draws and inputs: a tie in a max-pool window would show up here."""
    rng = np.random.default_rng(1000 + seed)
    tnet, net = pair(dtype, seed=1000 + seed)
    batch = 1 + seed % 3
    x = rand(rng, (batch, 1, 32, 32), dtype)
    dy = rand(rng, (batch, 10), dtype)
    assert_step_matches_torch(tnet, net, x, dy)


@pytest.mark.parametrize("dtype", DTYPES)
def test_ties_and_zeros_in_the_input(dtype):
    """A constant and a half-zero image: many equal values in each pooling window, ReLU kinks."""
    rng = np.random.default_rng(3)
    tnet, net = pair(dtype, seed=3)
    x = np.zeros((3, 1, 32, 32), dtype=dtype)
    x[1] = 1.0
    x[2, :, :, :16] = rand(rng, (1, 32, 16), dtype)
    dy = rand(rng, (3, 10), dtype)
    assert_step_matches_torch(tnet, net, x, dy)


@pytest.mark.parametrize("size", [(33, 35), (35, 32)])
def test_odd_sizes_torch_also_accepts(size):
    """Max-pooling floors, so 33 to 35 pixels also reach 400 features; the last row is unused."""
    rng = np.random.default_rng(5)
    tnet, net = pair(np.float64, seed=5)
    x = rand(rng, (2, 1, *size), np.float64)
    dy = rand(rng, (2, 10), np.float64)
    assert_step_matches_torch(tnet, net, x, dy)


def test_empty_batch_like_torch():
    """torch's Net runs on N = 0: an empty output and all-zero gradients."""
    tnet, net = pair(np.float64, seed=6)
    x = np.zeros((0, 1, 32, 32))
    dy = np.zeros((0, 10))
    assert_step_matches_torch(tnet, net, x, dy)
    assert all(not g.any() for g in net.grads.values())


@pytest.mark.parametrize("dtype", DTYPES)
def test_two_backward_passes_accumulate(dtype):
    rng = np.random.default_rng(11)
    tnet, net = pair(dtype, seed=11)
    x = rand(rng, (2, 1, 32, 32), dtype)
    dy = rand(rng, (2, 10), dtype)
    run_both(tnet, net, x, dy)
    once = {name: g.copy() for name, g in net.grads.items()}
    run_both(tnet, net, x, dy)
    assert_grads_equal(net, tnet)
    for name in NAMES:
        # g + g is exact in floating point: twice the gradient, to the last bit
        np.testing.assert_array_equal(net.grads[name], 2 * once[name], err_msg=name)


def test_different_batches_accumulate_like_torch():
    rng = np.random.default_rng(12)
    tnet, net = pair(np.float64, seed=12)
    for batch in (1, 3):
        run_both(tnet, net, rand(rng, (batch, 1, 32, 32), np.float64), rand(rng, (batch, 10), "f8"))
    assert_grads_equal(net, tnet)


def test_zero_grad_sets_none_like_torch():
    rng = np.random.default_rng(13)
    tnet, net = pair(np.float64, seed=13)
    assert all(g is None for g in net.grads.values())  # before any backward, as param.grad
    run_both(tnet, net, rand(rng, (1, 1, 32, 32), "f8"), rand(rng, (1, 10), "f8"))
    assert all(g is not None for g in net.grads.values())
    net.zero_grad()
    tnet.zero_grad()
    assert all(g is None for g in net.grads.values())
    assert all(p.grad is None for p in tnet.parameters())
    # after zeroing, the next backward starts afresh
    run_both(tnet, net, rand(rng, (2, 1, 32, 32), "f8"), rand(rng, (2, 10), "f8"))
    assert_grads_equal(net, tnet)


def test_names_shapes_and_order_match_torch():
    tnet = TorchNet()
    net = LeNet()
    assert [n for n, _ in net.named_parameters()] == NAMES
    assert [(n, p.shape) for n, p in net.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in tnet.named_parameters()
    ]
    assert list(net.state_dict()) == list(tnet.state_dict())
    assert all(p.dtype == np.float32 for p in net.parameters())
    assert all(p.dtype == np.float64 for p in LeNet(dtype=np.float64).parameters())


def test_init_follows_torch_bounds_and_seed():
    net = LeNet(seed=0)
    for name, fan_in in (("conv1", 25), ("conv2", 150), ("fc1", 400), ("fc2", 120), ("fc3", 84)):
        bound = 1 / np.sqrt(fan_in)
        for kind in ("weight", "bias"):
            assert np.abs(net.params[f"{name}.{kind}"]).max() <= bound
    again = LeNet(seed=0)
    for name in NAMES:
        np.testing.assert_array_equal(net.params[name], again.params[name])


def test_load_state_dict_copies_values_and_rejects_bad_ones():
    tnet = TorchNet().double()
    net = LeNet(dtype=np.float64)
    net.load_state_dict(tnet.state_dict())
    for name, value in tnet.state_dict().items():
        np.testing.assert_array_equal(net.params[name], value.numpy())
    # a copy, not a view of torch's storage
    with torch.no_grad():
        tnet.fc3.bias.add_(1.0)
    assert not np.array_equal(net.params["fc3.bias"], tnet.fc3.bias.detach().numpy())
    bad = dict(tnet.state_dict())
    bad["fc3.bias"] = torch.zeros(11, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"fc3.bias"):
        net.load_state_dict(bad)
    del bad["fc3.bias"]
    with pytest.raises(KeyError, match=r"fc3.bias"):
        net.load_state_dict(bad)


@pytest.mark.parametrize(
    "shape",
    [(1, 32, 32), (32, 32), (2, 3, 32, 32), (2, 1, 28, 28), (2, 1, 36, 32), (1, 1, 32, 31)],
)
def test_bad_input_shape_names_the_expected_shape(shape):
    net = LeNet()
    with pytest.raises(ValueError, match=r"\(N, 1, 32, 32\)") as err:
        net(np.zeros(shape, dtype=np.float32))
    assert str(tuple(shape)) in str(err.value)


def test_unbatched_input_fails_in_torch_too():
    """torch's conv and pool accept (1, 32, 32), but the Net's flatten then gives (16, 25)."""
    with pytest.raises(RuntimeError, match="16x25 and 400x120"):
        TorchNet()(torch.zeros(1, 32, 32))
    with pytest.raises(ValueError, match=r"x\[None\]"):
        LeNet()(np.zeros((1, 32, 32), dtype=np.float32))


def test_bad_input_type_and_dtype():
    net = LeNet()
    with pytest.raises(TypeError, match=r"numpy\.ndarray"):
        net(torch.zeros(1, 1, 32, 32))
    with pytest.raises(TypeError, match="float32"):
        net(np.zeros((1, 1, 32, 32), dtype=np.float64))
    with pytest.raises(TypeError, match="dtype"):
        LeNet(dtype=np.int64)


def test_bad_backward_calls():
    net = LeNet(dtype=np.float64)
    with pytest.raises(RuntimeError, match="forward first"):
        net.backward(np.zeros((1, 10)))
    net(np.zeros((2, 1, 32, 32)))
    with pytest.raises(ValueError, match=r"\(2, 10\)"):
        net.backward(np.zeros((1, 10)))
    with pytest.raises(TypeError, match="float64"):
        net.backward(np.zeros((2, 10), dtype=np.float32))
    assert all(g is None for g in net.grads.values())  # a failed call accumulates nothing


def test_cache_holds_every_activation_by_its_name_in_the_picture():
    net = LeNet()
    net(np.zeros((3, 1, 32, 32), dtype=np.float32))
    shapes = {name: a.shape for name, a in net.cache.items()}
    assert shapes == {
        "x": (3, 1, 32, 32),
        "z1": (3, 6, 28, 28),
        "a1": (3, 6, 28, 28),
        "p1": (3, 6, 14, 14),
        "z2": (3, 16, 10, 10),
        "a2": (3, 16, 10, 10),
        "p2": (3, 16, 5, 5),
        "f": (3, 400),
        "z3": (3, 120),
        "a3": (3, 120),
        "z4": (3, 84),
        "a4": (3, 84),
        "y": (3, 10),
    }
    assert repr(net) == "LeNet(dtype=np.float32)"


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv1_input_gradient_is_never_computed_like_torch(dtype, monkeypatch):
    """The image needs no gradient: backward computes conv1's weight and bias gradients only
    (conv2d_weight), and conv2d_backward, which would also compute dx, runs for conv2 alone."""
    import backprop_ref.models.lenet as lenet_module

    calls = []
    for name in ("conv2d_backward", "conv2d_weight"):
        original = getattr(lenet_module, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            calls.append((_name, args[0].shape))  # grad_output, or conv2d_weight's input
            return _original(*args, **kwargs)

        monkeypatch.setattr(lenet_module, name, spy)
    rng = np.random.default_rng(5)
    tnet, net = pair(dtype, seed=5)
    x = rand(rng, (3, 1, 32, 32), dtype)
    dy = rand(rng, (3, 10), dtype)
    x_t = torch.tensor(x)  # requires_grad=False, as in training
    tnet(x_t).backward(torch.tensor(dy))
    net(x)
    net.backward(dy)
    assert x_t.grad is None  # torch computes no gradient for the image ...
    assert calls == [("conv2d_backward", (3, 16, 10, 10)), ("conv2d_weight", (3, 1, 32, 32))]
    assert_grads_equal(net, tnet)  # ... and conv1's gradients are still torch's
