"""TwoLayerNet against torch.nn.Sequential(Linear, ReLU, Linear): outputs, gradients, training."""

import numpy as np
import pytest
import torch
from support import DTYPES, assert_close, rand

from backprop_ref.functional import mse_loss, mse_loss_backward
from backprop_ref.models import TwoLayerNet

NAMES = ["0.weight", "0.bias", "2.weight", "2.bias"]
TORCH_DTYPE = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}
# (D_in, H, D_out): the seed's sizes, a square case, and uneven ones
SIZES = [(3, 4, 5), (4, 4, 4), (7, 2, 3), (1, 9, 1)]


def torch_net(D_in, H, D_out, dtype, seed=0):
    torch.manual_seed(seed)
    dt = TORCH_DTYPE[np.dtype(dtype)]
    return torch.nn.Sequential(
        torch.nn.Linear(D_in, H, dtype=dt), torch.nn.ReLU(), torch.nn.Linear(H, D_out, dtype=dt)
    )


def pair(D_in, H, D_out, dtype, seed=0):
    """A torch net and a TwoLayerNet holding the same weights."""
    tnet = torch_net(D_in, H, D_out, dtype, seed)
    net = TwoLayerNet(D_in, H, D_out, dtype=dtype)
    net.load_state_dict(tnet.state_dict())
    return tnet, net


def torch_run(tnet, x, dy):
    """Forward and backward through torch with upstream gradient dy; returns (y, grads)."""
    y = tnet(torch.tensor(x))
    y.backward(torch.tensor(dy))
    return y.detach().numpy(), {n: p.grad.clone() for n, p in tnet.named_parameters()}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("sizes", SIZES)
@pytest.mark.parametrize("N", [1, 2, 6])
def test_forward_and_grads_match_torch(dtype, sizes, N):
    rng = np.random.default_rng(N * 100 + sum(sizes))
    tnet, net = pair(*sizes, dtype)
    x = rand(rng, (N, sizes[0]), dtype)
    dy = rand(rng, (N, sizes[2]), dtype)  # a random upstream gradient, never ones
    y_torch, g_torch = torch_run(tnet, x, dy)
    y = net(x)
    assert_close(y, y_torch, "forward")
    assert all(net.grads[n] is None for n in NAMES)
    net.backward(dy)
    for n in NAMES:
        assert_close(net.grads[n], g_torch[n], n)


@pytest.mark.parametrize("dtype", DTYPES)
def test_leading_dims_like_torch(dtype):
    """Linear accepts (*, in): a (2, 3, D_in) input works as in torch."""
    rng = np.random.default_rng(1)
    tnet, net = pair(3, 4, 5, dtype)
    x, dy = rand(rng, (2, 3, 3), dtype), rand(rng, (2, 3, 5), dtype)
    y_torch, g_torch = torch_run(tnet, x, dy)
    assert_close(net(x), y_torch, "forward")
    net.backward(dy)
    for n in NAMES:
        assert_close(net.grads[n], g_torch[n], n)


def test_relu_kink_gets_zero_gradient_like_torch():
    """A pre-activation exactly 0: torch's ReLU'(0) = 0, ours too."""
    tnet, net = pair(2, 3, 2, np.float64)
    with torch.no_grad():
        tnet[0].bias.copy_(torch.tensor([0.0, 1.0, -1.0], dtype=torch.float64))
        tnet[0].weight.zero_()
    net.load_state_dict(tnet.state_dict())
    x = np.array([[0.5, -2.0], [1.5, 0.25]])
    dy = np.array([[0.3, -1.2], [2.0, 0.7]])
    _, g_torch = torch_run(tnet, x, dy)
    net(x)
    net.backward(dy)
    for n in NAMES:
        assert_close(net.grads[n], g_torch[n], n)
    assert net.grads["0.bias"][0] == 0.0  # the unit at the kink passes nothing back


@pytest.mark.parametrize("dtype", DTYPES)
def test_two_backward_calls_accumulate_like_torch(dtype):
    rng = np.random.default_rng(2)
    tnet, net = pair(3, 4, 5, dtype)
    x1, x2 = rand(rng, (2, 3), dtype), rand(rng, (4, 3), dtype)
    dy1, dy2 = rand(rng, (2, 5), dtype), rand(rng, (4, 5), dtype)
    torch_run(tnet, x1, dy1)
    _, g_torch = torch_run(tnet, x2, dy2)  # torch adds into .grad
    net(x1)
    net.backward(dy1)
    net(x2)
    net.backward(dy2)
    for n in NAMES:
        assert_close(net.grads[n], g_torch[n], n)


def test_same_backward_twice_is_exactly_twice():
    rng = np.random.default_rng(3)
    net = TwoLayerNet(3, 4, 5, dtype=np.float64, seed=0)
    x, dy = rng.standard_normal((2, 3)), rng.standard_normal((2, 5))
    net(x)
    net.backward(dy)
    once = {n: g.copy() for n, g in net.grads.items()}
    net.backward(dy)
    for n in NAMES:
        np.testing.assert_array_equal(net.grads[n], 2 * once[n])  # x + x = 2x exactly


def test_first_gradient_is_a_copy():
    """The accumulated gradient must not alias an array the next backward may reuse."""
    net = TwoLayerNet(3, 4, 5, dtype=np.float64, seed=0)
    x, dy = np.ones((2, 3)), np.ones((2, 5))
    net(x)
    net.backward(dy)
    g = net.grads["2.bias"]
    assert not np.shares_memory(g, dy)


def test_zero_grad_gives_none_then_fresh_gradients():
    rng = np.random.default_rng(4)
    tnet, net = pair(3, 4, 5, np.float64)
    x, dy = rng.standard_normal((2, 3)), rng.standard_normal((2, 5))
    net(x)
    net.backward(dy)
    net.zero_grad()
    assert all(net.grads[n] is None for n in NAMES)
    _, g_torch = torch_run(tnet, x, dy)  # one backward only
    net(x)
    net.backward(dy)
    for n in NAMES:
        assert_close(net.grads[n], g_torch[n], n)


def test_named_parameters_names_and_order_are_torchs():
    tnet = torch_net(3, 4, 5, np.float32)
    net = TwoLayerNet(3, 4, 5)
    assert [n for n, _ in net.named_parameters()] == [n for n, _ in tnet.named_parameters()]
    assert list(net.state_dict()) == list(tnet.state_dict())
    for (n, p), (_, tp) in zip(net.named_parameters(), tnet.named_parameters(), strict=True):
        assert p.shape == tuple(tp.shape), n
        assert p.dtype == np.float32
    assert len(list(net.parameters())) == 4


def test_init_is_seeded_and_in_torchs_range():
    a = TwoLayerNet(3, 4, 5, dtype=np.float64, seed=7)
    b = TwoLayerNet(3, 4, 5, dtype=np.float64, seed=7)
    for n in NAMES:
        np.testing.assert_array_equal(a.params[n], b.params[n])
    fan_in = {"0.weight": 3, "0.bias": 3, "2.weight": 4, "2.bias": 4}
    for n in NAMES:
        assert np.abs(a.params[n]).max() <= 1 / np.sqrt(fan_in[n])


@pytest.mark.parametrize("source", ["tensor", "array", "float64 tensor into float32"])
def test_load_state_dict(source):
    tnet = torch_net(3, 4, 5, np.float64 if source.startswith("float64") else np.float32)
    net = TwoLayerNet(3, 4, 5, dtype=np.float32, seed=1)
    sd = tnet.state_dict()
    if source == "array":
        sd = {k: v.numpy() for k, v in sd.items()}
    net.load_state_dict(sd)
    for n, p in tnet.named_parameters():
        np.testing.assert_array_equal(net.params[n], p.detach().numpy().astype(np.float32))
        assert net.params[n].dtype == np.float32
    # the copy does not alias torch's storage
    with torch.no_grad():
        tnet[0].bias.add_(1.0)
    assert not np.array_equal(net.params["0.bias"], tnet[0].bias.detach().numpy())


def test_in_place_update_through_named_parameters_changes_forward():
    rng = np.random.default_rng(5)
    tnet, net = pair(3, 4, 5, np.float64)
    x = rng.standard_normal((2, 3))
    for _, p in net.named_parameters():
        p *= 0.5
    with torch.no_grad():
        for p in tnet.parameters():
            p *= 0.5
    assert_close(net(x), tnet(torch.tensor(x)), "forward after update")
    for p in net.parameters():
        p[...] = 0
    np.testing.assert_array_equal(net(x), np.zeros((2, 5)))
    sd = net.state_dict()
    sd["2.bias"] += 1  # state_dict shares memory with the model, as torch's does
    np.testing.assert_array_equal(net(x), np.ones((2, 5)))


def test_500_sgd_steps_match_torch_at_every_step():
    """The seed's training loop: MSELoss(sum), lr=1e-4, 500 steps, each side updating itself."""
    N, D_in, H, D_out = 2, 3, 4, 5
    torch.manual_seed(0)
    x = torch.randn(N, D_in, dtype=torch.float64)
    y = torch.randn(N, D_out, dtype=torch.float64)
    model = torch.nn.Sequential(
        torch.nn.Linear(D_in, H, dtype=torch.float64),
        torch.nn.ReLU(),
        torch.nn.Linear(H, D_out, dtype=torch.float64),
    )
    loss_fn = torch.nn.MSELoss(reduction="sum")
    net = TwoLayerNet(D_in, H, D_out, dtype=np.float64)
    net.load_state_dict(model.state_dict())
    xn, yn = x.numpy(), y.numpy()
    lr = 1e-4
    for step in range(500):
        loss = loss_fn(model(x), y)
        model.zero_grad()
        loss.backward()
        y_pred = net(xn)
        L = mse_loss(y_pred, yn, reduction="sum")
        net.zero_grad()
        net.backward(mse_loss_backward(np.array(1.0), y_pred, yn, reduction="sum")[0])
        assert_close(L, loss, f"loss at step {step}")
        for n, p in model.named_parameters():
            assert_close(net.grads[n], p.grad, f"{n} at step {step}")
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        for n, p in net.named_parameters():
            p -= lr * net.grads[n]
    for n, p in model.named_parameters():
        assert_close(net.params[n], p, f"{n} after 500 steps")


# -- bad input ---------------------------------------------------------------------------------
def test_wrong_input_width():
    net = TwoLayerNet(3, 4, 5)
    with pytest.raises(ValueError, match=r"TwoLayerNet.forward: expected x of shape \(\*, 3\)"):
        net(np.zeros((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"got \(\)"):
        net(np.zeros((), np.float32))


def test_input_dtype_and_type():
    net = TwoLayerNet(3, 4, 5)
    with pytest.raises(TypeError, match="x has dtype float64, the model's parameters are float32"):
        net(np.zeros((2, 3)))
    with pytest.raises(TypeError, match=r"TwoLayerNet\.forward: x must be a numpy\.ndarray"):
        net(torch.zeros(2, 3))


def test_backward_before_forward():
    net = TwoLayerNet(3, 4, 5)
    with pytest.raises(RuntimeError, match=r"TwoLayerNet\.backward: call forward first"):
        net.backward(np.zeros((2, 5), np.float32))


def test_backward_with_wrong_grad_output():
    net = TwoLayerNet(3, 4, 5)
    net(np.zeros((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"output's shape \(2, 5\), got \(2, 4\)"):
        net.backward(np.zeros((2, 4), np.float32))
    with pytest.raises(TypeError, match="grad_output has dtype float64"):
        net.backward(np.zeros((2, 5)))
    assert all(net.grads[n] is None for n in NAMES)  # nothing accumulated


def test_load_state_dict_bad_keys():
    net = TwoLayerNet(3, 4, 5)
    sd = torch_net(3, 4, 5, np.float32).state_dict()
    sd["3.weight"] = sd.pop("2.weight")
    with pytest.raises(
        KeyError, match=r"missing keys \['2.weight'\], unexpected keys \['3.weight'\]"
    ):
        net.load_state_dict(sd)


def test_load_state_dict_bad_shape_leaves_model_unchanged():
    net = TwoLayerNet(3, 4, 5, seed=0)
    before = {n: p.copy() for n, p in net.named_parameters()}
    sd = {n: np.ones_like(p) for n, p in net.named_parameters()}
    sd["2.weight"] = np.ones((4, 5), np.float32)  # transposed: (in, out) instead of (out, in)
    with pytest.raises(ValueError, match=r"2.weight has shape \(5, 4\) in the model, got \(4, 5\)"):
        net.load_state_dict(sd)
    for n in NAMES:
        np.testing.assert_array_equal(net.params[n], before[n])


@pytest.mark.parametrize("bad", [0, -1, 2.0, "4", True])
def test_bad_sizes(bad):
    with pytest.raises(ValueError, match="TwoLayerNet: H must be a positive int"):
        TwoLayerNet(3, bad, 5)


def test_bad_dtype():
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        TwoLayerNet(3, 4, 5, dtype=np.float16)
