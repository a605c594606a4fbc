"""backprop_ref.optim against torch.optim: parameters after every step, state dicts, bad options.

Every run starts a TwoLayerNet (or LeNet) and its torch twin from the same weights, hands both
the same random gradients, steps both optimizers, and compares every parameter after every
step under the precision policy (float64: rtol 1e-10).
"""

import itertools
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import assert_close

from backprop_ref import optim
from backprop_ref.models import LeNet, TwoLayerNet
from backprop_ref.models.torch_reference import BlitzNet, two_layer_net

STEPS = 40
TORCH = {optim.SGD: torch.optim.SGD, optim.Adam: torch.optim.Adam, optim.AdamW: torch.optim.AdamW}


def nets(seed=0, sizes=(5, 7, 3)):
    """A torch Sequential(Linear, ReLU, Linear) in float64 and a TwoLayerNet with its weights."""
    torch.manual_seed(seed)
    tnet = two_layer_net(*sizes).double()
    net = TwoLayerNet(*sizes, dtype=np.float64)
    net.load_state_dict(tnet.state_dict())
    return tnet, net


def random_grads(rng, net):
    """A random gradient per parameter, its scale drawn from 1e-4 to 10 at every step: small
    gradients make eps matter, and a large one followed by small ones makes v fall below
    its running maximum (what amsgrad keeps)."""
    return {
        n: rng.standard_normal(p.shape) * 10 ** rng.uniform(-4, 1) for n, p in net.params.items()
    }


def set_grads(net, tnet, grads):
    for (name, _), p in zip(net.named_parameters(), tnet.parameters(), strict=True):
        g = grads.get(name)
        net.grads[name] = None if g is None else g.copy()
        p.grad = None if g is None else torch.tensor(g)


def assert_params_equal(net, tnet, where):
    for (name, ours), theirs in zip(net.named_parameters(), tnet.parameters(), strict=True):
        assert_close(ours, theirs, f"{where}: {name}")


def run_side_by_side(cls, kwargs, steps=STEPS, seed=0, drop=None):
    """`steps` steps of ours and torch's from the same start; drop(step, name) -> True leaves
    that parameter's gradient None at that step. Returns both optimizers and nets."""
    tnet, net = nets(seed)
    ours, theirs = cls(net, **kwargs), TORCH[cls](tnet.parameters(), **kwargs)
    rng = np.random.default_rng(seed)
    for step in range(steps):
        grads = random_grads(rng, net)
        if drop is not None:
            grads = {n: g for n, g in grads.items() if not drop(step, n)}
        set_grads(net, tnet, grads)
        ours.step()
        theirs.step()
        assert_params_equal(net, tnet, f"{cls.__name__}({kwargs}) step {step + 1}")
    return ours, theirs, net, tnet


def assert_states_equal(ours, theirs):
    a, b = ours.state_dict(), theirs.state_dict()
    assert a["state"].keys() == b["state"].keys()
    for i, state in b["state"].items():
        assert a["state"][i].keys() == state.keys()
        for key, value in state.items():
            if key == "step":  # torch keeps it as a float tensor, we as an int
                assert a["state"][i][key] == value.item()
            else:
                assert_close(a["state"][i][key], value, f"state[{i}][{key!r}]")


# -- SGD: every combination of the options -------------------------------------------------------
SGD_CASES = [
    dict(lr=0.05, momentum=m, dampening=d, weight_decay=wd, nesterov=nest, maximize=mx)
    for m, d, wd, nest, mx in itertools.product(
        [0, 0.9], [0, 0.5], [0, 0.1], [False, True], [False, True]
    )
    if not nest or (m > 0 and d == 0)  # torch's rule for Nesterov
]


@pytest.mark.parametrize(
    "kwargs", SGD_CASES, ids=lambda k: ",".join(f"{a}={v}" for a, v in k.items())
)
def test_sgd_matches_torch_every_step(kwargs):
    ours, theirs, _, _ = run_side_by_side(optim.SGD, kwargs)
    assert_states_equal(ours, theirs)


def test_sgd_defaults_match_torch():
    """No options at all: torch 2.13's lr default of 0.001, plain gradient descent."""
    ours, theirs, _, _ = run_side_by_side(optim.SGD, {}, steps=5)
    assert ours.param_groups[0]["lr"] == theirs.param_groups[0]["lr"] == 1e-3
    assert ours.state_dict()["state"] == theirs.state_dict()["state"] == {}


def test_first_momentum_step_is_not_dampened():
    """b_1 = g_1 (not (1 - dampening) g_1): after one step theta moved by lr * g exactly."""
    _, net = nets()
    before = {n: p.copy() for n, p in net.params.items()}
    rng = np.random.default_rng(3)
    opt = optim.SGD(net, lr=0.1, momentum=0.9, dampening=0.5)
    net.grads.update(random_grads(rng, net))
    opt.step()
    for n, p in net.params.items():
        np.testing.assert_array_equal(opt.state[n]["momentum_buffer"], net.grads[n])
        assert_close(p, before[n] - 0.1 * net.grads[n], n)


# -- Adam and AdamW: every combination ------------------------------------------------------------
ADAM_CASES = [
    (cls, dict(lr=0.01, betas=betas, eps=eps, weight_decay=wd, amsgrad=ams, maximize=mx))
    for cls in (optim.Adam, optim.AdamW)
    for ams, mx, wd, (betas, eps) in itertools.product(
        [False, True], [False, True], [0, 0.1], [((0.9, 0.999), 1e-8), ((0.5, 0.9), 1e-3)]
    )
]


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    ADAM_CASES,
    ids=[f"{c.__name__}-" + ",".join(f"{a}={v}" for a, v in k.items()) for c, k in ADAM_CASES],
)
def test_adam_matches_torch_every_step(cls, kwargs):
    ours, theirs, _, _ = run_side_by_side(cls, kwargs)
    assert_states_equal(ours, theirs)
    if kwargs["amsgrad"]:  # the case amsgrad exists for happened: v fell below its maximum
        state = ours.state_dict()["state"]
        assert any((s["max_exp_avg_sq"] > s["exp_avg_sq"]).any() for s in state.values())


def test_adam_decoupled_weight_decay_is_adamw():
    """torch.optim.Adam(decoupled_weight_decay=True) is AdamW; ours too."""
    kwargs = dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)
    _, _, net, _ = run_side_by_side(optim.Adam, kwargs, steps=10)
    _, _, net_w, _ = run_side_by_side(optim.AdamW, dict(lr=0.01, weight_decay=0.1), steps=10)
    for n in net.params:
        np.testing.assert_array_equal(net.params[n], net_w.params[n])


def test_adam_weight_decay_is_not_adamw():
    """The L2 penalty goes through m and v, the decoupled decay does not: different paths."""
    _, _, net, _ = run_side_by_side(optim.Adam, dict(lr=0.01, weight_decay=0.1), steps=10)
    _, _, net_w, _ = run_side_by_side(optim.AdamW, dict(lr=0.01, weight_decay=0.1), steps=10)
    assert all(np.abs(net.params[n] - net_w.params[n]).max() > 1e-6 for n in net.params)


def test_defaults_are_torchs():
    _, net = nets()
    tnet, _ = nets()
    for cls in (optim.SGD, optim.Adam, optim.AdamW):
        ours, theirs = cls(net).param_groups[0], TORCH[cls](tnet.parameters()).param_groups[0]
        assert {k: v for k, v in ours.items() if k != "params"} == {
            k: v for k, v in theirs.items() if k != "params"
        }, cls.__name__


# -- gradients that are None: the parameter is skipped ---------------------------------------------
@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (optim.SGD, dict(lr=0.05, momentum=0.9, weight_decay=0.1)),
        (optim.Adam, dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
        (optim.AdamW, dict(lr=0.01)),
    ],
    ids=["SGD", "Adam", "AdamW"],
)
def test_none_grads_are_skipped_like_torch(cls, kwargs):
    """2.bias has no gradient for the first 5 steps, the others at random steps; a skipped
    parameter neither moves nor decays, and Adam's step counts differ per parameter."""
    rng = np.random.default_rng(7)
    dropped = {(s, n) for s in range(STEPS) for n in ("0.weight", "0.bias") if rng.random() < 0.3}

    def drop(step, name):
        return (name == "2.bias" and step < 5) or (step, name) in dropped

    ours, theirs, _, _ = run_side_by_side(cls, kwargs, drop=drop)
    assert_states_equal(ours, theirs)


def test_a_parameter_never_stepped_has_no_state():
    ours, theirs, _, _ = run_side_by_side(
        optim.Adam, dict(lr=0.01), steps=3, drop=lambda s, n: n == "0.bias"
    )
    assert "0.bias" not in ours.state
    assert sorted(ours.state_dict()["state"]) == sorted(theirs.state_dict()["state"]) == [0, 2, 3]


# -- zero_grad and state_dict ----------------------------------------------------------------------
def test_zero_grad_like_torch():
    tnet, net = nets()
    rng = np.random.default_rng(0)
    ours, theirs = optim.SGD(net, lr=0.1), torch.optim.SGD(tnet.parameters(), lr=0.1)
    set_grads(net, tnet, random_grads(rng, net))
    ours.zero_grad(set_to_none=False)
    theirs.zero_grad(set_to_none=False)
    for (n, g), p in zip(net.grads.items(), tnet.parameters(), strict=True):
        np.testing.assert_array_equal(g, p.grad.numpy(), err_msg=n)
        assert not g.any()
    ours.zero_grad()
    theirs.zero_grad()
    assert all(g is None for g in net.grads.values())
    assert all(p.grad is None for p in tnet.parameters())


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (optim.SGD, dict(lr=0.1)),
        (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
        (optim.Adam, dict()),
        (optim.Adam, dict(amsgrad=True, weight_decay=0.1)),
        (optim.AdamW, dict(amsgrad=True)),
    ],
    ids=["SGD", "SGD-momentum", "Adam", "Adam-amsgrad", "AdamW-amsgrad"],
)
def test_state_dict_keys_like_torch(cls, kwargs):
    ours, theirs, _, _ = run_side_by_side(cls, kwargs, steps=3)
    a, b = ours.state_dict(), theirs.state_dict()
    assert a.keys() == b.keys() == {"state", "param_groups"}
    assert len(a["param_groups"]) == len(b["param_groups"]) == 1
    assert a["param_groups"][0].keys() == b["param_groups"][0].keys()
    assert a["param_groups"] == b["param_groups"]  # every option and 'params': [0, 1, 2, 3]
    assert_states_equal(ours, theirs)


def test_lr_changed_in_the_param_group_is_used():
    """A scheduler sets param_groups[0]['lr'] between steps; step reads it every time."""
    tnet, net = nets()
    rng = np.random.default_rng(5)
    ours = optim.SGD(net, lr=0.1, momentum=0.9)
    theirs = torch.optim.SGD(tnet.parameters(), lr=0.1, momentum=0.9)
    for step in range(10):
        for opt in (ours, theirs):
            opt.param_groups[0]["lr"] = 0.1 * 0.8**step
        set_grads(net, tnet, random_grads(rng, net))
        ours.step()
        theirs.step()
        assert_params_equal(net, tnet, f"step {step + 1}")


def test_step_returns_the_closures_value():
    _, net = nets()
    assert optim.SGD(net).step(lambda: 1.5) == 1.5
    assert optim.Adam(net).step() is None


# -- bad options: torch raises ValueError, and so do we -------------------------------------------
BAD = [
    (optim.SGD, dict(lr=-0.1), "lr"),
    (optim.SGD, dict(momentum=-0.5), "momentum"),
    (optim.SGD, dict(weight_decay=-1e-4), "weight_decay"),
    (optim.SGD, dict(nesterov=True), "nesterov"),
    (optim.SGD, dict(momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    (optim.Adam, dict(lr=-1e-3), "lr"),
    (optim.Adam, dict(eps=-1e-8), "eps"),
    (optim.Adam, dict(betas=(1.0, 0.999)), "betas[0]"),
    (optim.Adam, dict(betas=(-0.1, 0.999)), "betas[0]"),
    (optim.Adam, dict(betas=(0.9, 1.0)), "betas[1]"),
    (optim.Adam, dict(betas=(0, 0.999)), "betas[0]"),  # torch: both must be floats
    (optim.Adam, dict(weight_decay=-0.01), "weight_decay"),
    (optim.AdamW, dict(lr=-1.0), "lr"),
    (optim.AdamW, dict(betas=(0.9, 1.5)), "betas[1]"),
    (optim.AdamW, dict(weight_decay=-0.01), "weight_decay"),
]


@pytest.mark.parametrize(
    ("cls", "kwargs", "argument"), BAD, ids=[f"{c.__name__}-{k}" for c, k, _ in BAD]
)
def test_bad_options_raise_like_torch(cls, kwargs, argument):
    tnet, net = nets()
    with pytest.raises(ValueError):
        TORCH[cls](tnet.parameters(), **kwargs)
    with pytest.raises(ValueError, match=rf"^{cls.__name__}: .*{re.escape(argument)}"):
        cls(net, **kwargs)


def test_negative_dampening_is_accepted_like_torch():
    tnet, net = nets()
    torch.optim.SGD(tnet.parameters(), momentum=0.9, dampening=-0.5)
    optim.SGD(net, momentum=0.9, dampening=-0.5)


@pytest.mark.parametrize(
    ("cls", "switch", "value"),
    [
        (optim.SGD, "foreach", True),
        (optim.SGD, "fused", True),
        (optim.SGD, "differentiable", True),
        (optim.Adam, "foreach", False),
        (optim.Adam, "capturable", True),
        (optim.Adam, "fused", True),
        (optim.AdamW, "differentiable", True),
    ],
)
def test_torch_kernel_switches_only_at_their_defaults(cls, switch, value):
    _, net = nets()
    default = TORCH[cls]([torch.zeros(1, requires_grad=True)]).defaults[switch]
    cls(net, **{switch: default})  # torch's default: accepted
    with pytest.raises(ValueError, match=rf"^{cls.__name__}: {switch}={value!r}"):
        cls(net, **{switch: value})


def test_not_a_model_is_refused():
    tnet, _ = nets()
    with pytest.raises(TypeError, match=r"^SGD: expected one of backprop_ref's models"):
        optim.SGD(tnet.parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"^Adam: lr must be a real number"):
        optim.Adam(nets()[1], lr="0.1")
    with pytest.raises(TypeError, match=r"^SGD: nesterov must be a bool"):
        optim.SGD(nets()[1], momentum=0.9, nesterov="yes")


# -- LeNet trained with cross-entropy -----------------------------------------------------------
@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
        (optim.Adam, dict(lr=1e-3, amsgrad=True, weight_decay=1e-3)),
        (optim.AdamW, dict(lr=1e-3)),
    ],
    ids=["SGD", "Adam", "AdamW"],
)
def test_lenet_trains_like_torch(cls, kwargs):
    """A few steps of LeNet on random images with cross-entropy. The upstream gradient at our
    logits is torch's autograd gradient of F.cross_entropy there; everything after it (our
    backward through LeNet, our optimizer) is ours, compared with torch after every step."""
    torch.manual_seed(0)
    tnet = BlitzNet().double()
    net = LeNet(dtype=np.float64)
    net.load_state_dict(tnet.state_dict())
    ours, theirs = cls(net, **kwargs), TORCH[cls](tnet.parameters(), **kwargs)
    rng = np.random.default_rng(11)
    for step in range(4):
        x = rng.standard_normal((6, 1, 32, 32))
        y = torch.from_numpy(rng.integers(0, 10, size=6))

        ours.zero_grad()
        logits = torch.tensor(net(x), requires_grad=True)
        F.cross_entropy(logits, y).backward()
        net.backward(logits.grad.numpy())
        ours.step()

        theirs.zero_grad()
        F.cross_entropy(tnet(torch.from_numpy(x)), y).backward()
        theirs.step()
        assert_params_equal(net, tnet, f"LeNet {cls.__name__} step {step + 1}")
