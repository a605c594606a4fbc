"""What autograd does besides computing numbers, as torch does it: a freed graph refuses a
second backward unless retained; a saved tensor changed in place refuses backward; hooks see
the summed gradient once; retain_grad; no_grad; the graph's shape; clear errors."""

import numpy as np
import pytest
import torch as real_torch

import backprop_ref.engine as torch
from backprop_ref.engine import nn
from backprop_ref.engine.nn import functional as F


def leaf(*shape, seed=0):
    value = np.random.default_rng(seed).standard_normal(shape)
    return torch.tensor(value, requires_grad=True)


def test_second_backward_raises_unless_retained():
    x = leaf(3)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()  # the graph was retained: it runs, and the gradients add up
    np.testing.assert_allclose(x.grad.numpy(), 4 * x.detach().numpy())
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_inplace_change_of_a_saved_tensor_raises():
    w = leaf(3, 2)
    x = torch.tensor(np.ones((4, 3)))
    loss = (x @ w).sum()  # matmul saved w (for dx) and x (for dw)
    with torch.no_grad():
        w -= 0.1  # an optimizer step before backward
    assert w._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


def test_inplace_change_through_a_view_is_seen():
    a = leaf(2, 3)
    h = a * 1.0
    y = (h * h).sum()  # mul saved h
    with torch.no_grad():
        h.view(6)[0] += 1.0  # a view shares the version counter
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_change_through_data_goes_unnoticed():
    """.data has its own version counter, as in torch: the backward runs on the new values."""
    w = leaf(3)
    y = (w * w).sum()
    w.data.zero_()
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros(3))


def test_inplace_on_a_leaf_that_requires_grad_raises():
    w = leaf(3)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w -= 1.0
    with torch.no_grad():
        w -= 1.0  # fine: nothing is recorded


def test_hook_fires_once_with_the_summed_gradient():
    x = leaf(3)
    h = x * 2.0
    seen = []
    h.register_hook(lambda g: seen.append(g.numpy().copy()))
    y = (h * 3.0).sum() + (h * 4.0).sum() + h[0]  # three uses: fan-out
    y.backward()
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], [8.0, 7.0, 7.0])
    np.testing.assert_allclose(x.grad.numpy(), [16.0, 14.0, 14.0])


def test_hook_can_replace_the_gradient_and_be_removed():
    x = leaf(3)
    handle = x.register_hook(lambda g: g * 10.0)
    (x * 1.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 10.0))
    handle.remove()
    x.grad = None
    (x * 1.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.ones(3))


def test_hooks_match_torch_on_fan_out():
    value = np.random.default_rng(1).standard_normal((2, 3))
    results = []
    for lib in (torch, real_torch):
        x = lib.tensor(value, requires_grad=True)
        h = x * x
        seen = []
        h.register_hook(lambda g, seen=seen: seen.append(g.detach().numpy().copy()))
        x.register_hook(lambda g, seen=seen: seen.append(g.detach().numpy().copy()))
        (h @ x.t() + h.sum(1, keepdim=True)).sum().backward()
        results.append(seen)
    assert len(results[0]) == len(results[1]) == 2
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_retain_grad():
    x = leaf(3)
    h = x * 2.0
    h.retain_grad()
    k = x * 3.0  # not retained
    (h * k).sum().backward()
    assert h.retains_grad and not k.retains_grad
    np.testing.assert_allclose(h.grad.numpy(), k.detach().numpy())
    assert k.grad is None


def test_no_grad_records_nothing_and_updates_in_place():
    w = leaf(3)
    (w * w).sum().backward()
    before = w
    with torch.no_grad():
        y = w * 2.0
        w -= 0.1 * w.grad
    assert before is w and w.is_leaf and w.requires_grad
    assert y.grad_fn is None and not y.requires_grad
    assert torch.is_grad_enabled()

    @torch.no_grad()
    def f(t):
        return t * 2.0

    assert f(w).grad_fn is None


def test_graph_structure():
    x, w = leaf(2, 3), leaf(3, 4, seed=1)
    y = F.relu(x @ w)
    assert y.grad_fn.name() == "ReluBackward0"
    ((mm, _),) = y.grad_fn.next_functions
    assert mm.name() == "MmBackward0"
    (acc_x, _), (acc_w, _) = mm.next_functions
    assert acc_x.name() == "AccumulateGrad" and acc_x.variable is x
    assert acc_w.variable is w
    z = torch.tensor(np.ones(3)) * 2.0
    assert z.grad_fn is None and z.is_leaf
    assert (x * 2.0).grad_fn.next_functions[1] == (None, 0)  # a number needs no gradient


def test_grad_is_none_until_backward_then_accumulates():
    x = leaf(3)
    assert x.grad is None
    (x * 2.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 5.0))


def test_backward_needs_a_gradient_for_non_scalars():
    x = leaf(3)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (x * 2.0).backward()
    with pytest.raises(RuntimeError, match=r"Mismatch in shape.*\[2\].*\[3\]"):
        (x * 2.0).backward(torch.ones(2))
    with pytest.raises(RuntimeError, match="does not require grad"):
        torch.ones(3).sum().backward()


def test_clear_errors_name_the_function_and_shapes():
    a, b = leaf(2, 3), leaf(4, 5)
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\)"):
        torch.matmul(a, b)
    with pytest.raises(RuntimeError, match=r"mm: shapes \(2, 3\) and \(4, 5\)"):
        torch.mm(a, b)
    with pytest.raises(RuntimeError, match=r"mm: input must be a matrix, got shape \(3,\)"):
        torch.mm(leaf(3), b)
    with pytest.raises(
        RuntimeError, match=r"view: shape '\[7, -1\]' is invalid for input of size 6"
    ):
        a.view(7, -1)
    with pytest.raises(ValueError, match=r"linear.*\(2, 3\).*\(5, 4\)"):
        F.linear(a, leaf(5, 4))
    with pytest.raises(ValueError, match=r"conv2d.*\(1, 2, 8, 8\)"):
        nn.Conv2d(1, 6, 5)(leaf(1, 2, 8, 8).float())
    with pytest.raises(TypeError, match="conv2d: expected one dtype"):
        nn.Conv2d(1, 6, 5)(leaf(1, 1, 8, 8))  # float64 input, float32 layer: as torch refuses
    with pytest.raises(RuntimeError, match="numpy"):
        a.numpy()
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        a.item()


def test_comparisons_are_bool_and_float_casts_record():
    x = leaf(4)
    mask = x > 0
    assert mask.dtype == np.bool_ and mask.grad_fn is None
    y = (mask.float() * x).sum()
    assert mask.float().dtype == np.float32
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), (x.detach().numpy() > 0).astype(float))
    z = leaf(3).float()
    assert z.dtype == np.float32 and z.grad_fn.name() == "ToCopyBackward0"


def test_python_sum_over_a_tensor_and_iteration():
    x = leaf(2, 3)
    s = sum(sum(x * x))
    assert s.shape == ()
    s.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy())
    with pytest.raises(TypeError, match="0-d"):
        iter(s)


def test_default_dtype_and_constructors():
    assert torch.tensor([1.0]).dtype == torch.float32
    assert torch.tensor([1]).dtype == torch.int64
    assert torch.randn(2, 3).dtype == torch.float32 and torch.randn(2, 3).shape == (2, 3)
    assert torch.zeros(2, dtype=torch.float64).dtype == np.float64
    assert nn.Linear(2, 3).weight.dtype == np.float32
    torch.manual_seed(0)
    a = torch.randn(3)
    torch.manual_seed(0)
    np.testing.assert_array_equal(a.numpy(), torch.randn(3).numpy())  # numpy's, reproducible
    assert repr(torch.randn(2, 2).size()) == "torch.Size([2, 2])"


def test_module_surface():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    bound = 1 / np.sqrt(3)
    assert np.abs(model[0].weight.detach().numpy()).max() <= bound
    model.double()
    assert all(p.dtype == np.float64 for p in model.parameters())
    assert model.eval() is model and not model[1].training
    state = {k: v.detach().numpy() * 0 for k, v in model.state_dict().items()}
    model.load_state_dict(state)
    assert all((p.detach().numpy() == 0).all() for p in model.parameters())
    with pytest.raises(RuntimeError, match="Missing key"):
        model.load_state_dict({})
    assert "Linear(in_features=3, out_features=4, bias=True)" in repr(model)


@pytest.mark.parametrize("lib", [nn, real_torch.nn], ids=["engine", "torch"])
def test_attributes_follow_registration(lib):
    # every way of registering, replacing and removing reads back as torch's does
    m = lib.Module()
    m.fc = lib.Linear(2, 2)
    first = m.fc
    m.fc = lib.Linear(2, 3)
    assert m.fc is not first and m.fc.out_features == 3 and m._modules["fc"] is m.fc
    m.fc = None
    assert m.fc is None and list(m.parameters()) == []
    m.add_module("head", lib.Linear(1, 1))
    assert m.head is m._modules["head"]
    m.w = lib.Parameter(real_torch.zeros(2) if lib is real_torch.nn else np.zeros(2))
    m.register_parameter("w", None)
    assert m.w is None and "w" in m._parameters
    buffer = real_torch.ones(1) if lib is real_torch.nn else torch.ones(1)
    m.register_buffer("running", buffer)
    assert m.running is buffer
    del m.head
    with pytest.raises(AttributeError):
        m.head  # noqa: B018 (the lookup is what is tested)
    m.head = lib.ReLU()  # a name deleted can be registered again
    assert [n for n, _ in m.named_modules()] == ["", "head"]


# -- .grad keeps an unshared gradient array instead of a copy (torch's AccumulateGrad steals) --


def _shares(a, b):
    return np.shares_memory(a.grad.numpy(), b if isinstance(b, np.ndarray) else b.grad.numpy())


def test_a_fresh_gradient_becomes_grad_without_a_copy():
    import weakref

    w = leaf(3)
    made = []

    def rule(dY):  # a backward that returns a new array, held by nothing else
        g = dY * 2.0
        made.append(weakref.ref(g))
        return (g,)

    y = tensor_module()._record("Test", w.detach().numpy() * 2, (w,), (), rule)
    y.backward(np.ones(3))
    assert made[0]() is w.grad._array  # kept, not copied
    np.testing.assert_array_equal(w.grad.numpy(), 2.0)


def test_one_gradient_sent_to_two_leaves_is_copied_for_one():
    a, b = leaf(3, seed=1), leaf(3, seed=2)
    ((a + b) * 2.0).sum().backward()  # add sends one array to both leaves
    assert not _shares(a, b)
    a.grad.zero_()
    np.testing.assert_array_equal(b.grad.numpy(), 2.0)


def test_a_gradient_held_elsewhere_is_copied():
    # the caller's own array, a hook's closure, a view's base: none becomes .grad
    w = leaf(3)
    g = np.ones(3)
    w.backward(g)
    assert not _shares(w, g)

    v, kept = leaf(3), []
    v.register_hook(lambda grad: kept.append(grad.numpy()))
    (v * 3.0).sum().backward()
    assert not _shares(v, kept[0])

    m = leaf(2, 3)
    m.view(6).backward(np.arange(6.0))  # the view's backward returns a reshaped view of dY
    assert m.grad.numpy().base is None or not _shares(m, m.grad.numpy().base)


def test_grads_of_a_network_share_no_memory():
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)).double()
    x = torch.tensor(np.random.default_rng(0).standard_normal((5, 4)))
    net(x).sum().backward()
    grads = [p.grad.numpy() for p in net.parameters()]
    assert not any(np.shares_memory(a, b) for i, a in enumerate(grads) for b in grads[i + 1 :])
    assert not any(np.shares_memory(g, p.detach().numpy()) for g in grads for p in net.parameters())


def tensor_module():
    import importlib

    return importlib.import_module("backprop_ref.engine.tensor")


def test_a_rule_with_the_wrong_number_of_gradients_raises():
    w = leaf(3)
    y = tensor_module()._record("TwoBackward0", w.detach().numpy(), (w,), (), lambda dY: (dY, dY))
    with pytest.raises(RuntimeError, match=r"TwoBackward0 returned an incorrect number of grad"):
        y.sum().backward()
