"""Only the gradients the graph needs: a node knows which inputs want one (needs_input_grad, as
torch's ctx), conv2d's rule computes only those (conv2d_input / conv2d_weight / conv2d_bias
instead of conv2d_backward), and what it computes still equals torch's, in float64 at 1e-10.
Also the wrapper's argument binding: keywords, defaults and wrong calls as inspect's bind."""

import numpy as np
import pytest
import torch as real_torch

import backprop_ref.engine as torch
from backprop_ref import kernels
from backprop_ref.engine.nn import functional as F
from backprop_ref.precision import assert_close


def arrays(seed, x_shape, w_shape):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal(x_shape),
        rng.standard_normal(w_shape),
        rng.standard_normal(w_shape[0]),
    )


def grads_of(module, needs, x, w, b, **kwargs):
    """conv2d(x, w, b).square().sum() backward, each tensor requiring grad as `needs` says."""
    leaves = [module.tensor(a, requires_grad=n) for a, n in zip((x, w, b), needs, strict=True)]
    y = module.nn.functional.conv2d(*leaves, **kwargs)
    (y * y).sum().backward()
    return y, [t.grad for t in leaves]


@pytest.mark.parametrize(
    "needs",
    [
        (False, True, True),  # an image: LeNet's conv1
        (True, False, False),  # a frozen layer
        (True, True, False),
        (False, False, True),
        (True, True, True),
    ],
)
@pytest.mark.parametrize("x_shape", [(2, 3, 7, 6), (3, 7, 6)])  # batched and unbatched
def test_conv2d_computes_only_the_needed_gradients_and_they_match_torch(
    monkeypatch, needs, x_shape
):
    x, w, b = arrays(0, x_shape, (4, 3, 3, 2))
    kwargs = {"stride": (2, 1), "padding": 1}
    expected_y, expected = grads_of(real_torch, needs, x, w, b, **kwargs)
    if not (needs[0] and needs[1]):  # then the whole conv2d_backward must not run

        def whole(*args, **kwargs):
            raise AssertionError("conv2d_backward ran although a gradient is not needed")

        monkeypatch.setattr(kernels, "conv2d_backward", whole)
    y, got = grads_of(torch, needs, x, w, b, **kwargs)
    assert y.grad_fn.needs_input_grad == needs
    assert_close(y.detach().numpy(), expected_y.detach().numpy())
    for name, g, e in zip(("input", "weight", "bias"), got, expected, strict=True):
        assert (g is None) == (e is None), name
        if e is not None:
            assert_close(g.numpy(), e.numpy(), name)


def test_unneeded_gradients_are_dropped_by_the_node():
    """An op without a restricted rule computes the target's gradient too; the node sends on
    None for it (mse_loss's target does not require grad)."""
    x = torch.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    target = torch.tensor(np.ones((2, 3)))
    loss = F.mse_loss(x, target)
    assert loss.grad_fn.needs_input_grad == (True, False)
    grads = loss.grad_fn(np.ones(()))
    assert grads[1] is None
    assert_close(grads[0], (2 / 6) * (np.arange(6.0).reshape(2, 3) - 1))


def test_arguments_bind_as_the_signature_says():
    x = torch.tensor(np.random.default_rng(1).standard_normal((1, 2, 6, 6)), requires_grad=True)
    w = torch.tensor(np.ones((3, 2, 3, 3)), requires_grad=True)
    by_position = F.conv2d(x, w, None, 2, 1)
    by_keyword = F.conv2d(input=x, weight=w, stride=2, padding=1)
    np.testing.assert_array_equal(by_position.detach().numpy(), by_keyword.detach().numpy())
    assert F.max_pool2d(x, 2, return_indices=True)[1].shape == (1, 2, 3, 3)
    for call in (
        lambda: F.conv2d(x, w, None, 1, 0, 1, 1, "extra"),  # too many
        lambda: F.conv2d(x, w, weight=w),  # given twice
        lambda: F.conv2d(x, w, strides=2),  # not a parameter
    ):
        with pytest.raises(TypeError):
            call()
