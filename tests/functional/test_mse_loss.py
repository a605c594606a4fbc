"""mse_loss / mse_loss_backward against torch.nn.functional.mse_loss and autograd."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import DTYPES, assert_close, rand, torch_grads

from backprop_ref.functional import mse_loss, mse_loss_backward

SHAPES = [(), (5,), (4, 3), (2, 3, 4), (1, 10), (3, 1, 2, 2)]


def upstream(rng, shape, reduction, dtype):
    """A random upstream gradient: 0-d for "mean" and "sum", the input's shape for "none"."""
    return rand(rng, shape if reduction == "none" else (), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_matches_torch(dtype, shape, reduction):
    rng = np.random.default_rng(0)
    X = rand(rng, shape, dtype)
    T = rand(rng, shape, dtype)
    dL = upstream(rng, shape, reduction, dtype)

    def fn(x, t):
        return F.mse_loss(x, t, reduction=reduction)

    L_t, (dX_t, dT_t) = torch_grads(fn, [X, T], dL)  # target requires grad too
    L = mse_loss(X, T, reduction=reduction)
    dX, dT = mse_loss_backward(dL, X, T, reduction=reduction)
    assert_close(L, L_t, "loss")
    assert_close(dX, dX_t, "grad_input")
    assert_close(dT, dT_t, "grad_target")
    assert L.dtype == dX.dtype == dT.dtype == dtype
    assert isinstance(L, np.ndarray)  # a 0-d array for "mean"/"sum", like torch's 0-d tensor


def test_mean_divides_by_the_number_of_elements_not_the_batch_size():
    """(N, D) = (4, 3), every error 1: the mean is 12/12 = 1, not 12/4 = 3; d/dx = 2/12."""
    X = np.ones((4, 3))
    T = np.zeros((4, 3))
    L_t = F.mse_loss(torch.tensor(X), torch.tensor(T))
    assert L_t.item() == 1.0  # torch divides by numel = 12 ...
    assert mse_loss(X, T) == 1.0  # ... and so do we
    dL = np.array(0.75)
    _, (dX_t, _) = torch_grads(F.mse_loss, [X, T], dL)
    dX, _ = mse_loss_backward(dL, X, T)
    np.testing.assert_allclose(dX_t.numpy(), 2 * 1 * 0.75 / 12, rtol=1e-15)
    np.testing.assert_allclose(dX, 2 * 1 * 0.75 / 12, rtol=1e-15)


def test_mean_is_sum_over_numel():
    rng = np.random.default_rng(1)
    X = rand(rng, (2, 3, 4), np.float64)
    T = rand(rng, (2, 3, 4), np.float64)
    dL = rand(rng, (), np.float64)
    np.testing.assert_allclose(mse_loss(X, T), mse_loss(X, T, reduction="sum") / 24, rtol=1e-14)
    dX_mean, _ = mse_loss_backward(dL, X, T)
    dX_sum, _ = mse_loss_backward(dL, X, T, reduction="sum")
    np.testing.assert_allclose(dX_mean, dX_sum / 24, rtol=1e-14)


def test_grad_target_is_minus_grad_input():
    rng = np.random.default_rng(2)
    X = rand(rng, (3, 5), np.float64)
    T = rand(rng, (3, 5), np.float64)
    dL = rand(rng, (3, 5), np.float64)
    dX, dT = mse_loss_backward(dL, X, T, reduction="none")
    np.testing.assert_array_equal(dT, -dX)


def test_equal_input_and_target_give_zero_gradient():
    X = np.array([[1.5, -2.0], [0.0, 3.25]])
    dX, dT = mse_loss_backward(np.array(0.9), X, X.copy())
    assert (dX == 0).all() and (dT == 0).all()
    assert mse_loss(X, X.copy()) == 0


def test_numpy_scalar_upstream_gradient_is_accepted():
    """`arr.sum()` returns a numpy scalar, not a 0-d array: it is accepted as grad_output."""
    rng = np.random.default_rng(3)
    X = rand(rng, (2, 2), np.float64)
    T = rand(rng, (2, 2), np.float64)
    dL = np.float64(0.37)
    _, (dX_t, dT_t) = torch_grads(F.mse_loss, [X, T], np.array(dL))
    dX, dT = mse_loss_backward(dL, X, T)
    assert_close(dX, dX_t, "grad_input")
    assert_close(dT, dT_t, "grad_target")


# ---- bad input ------------------------------------------------------------------------------

X43 = np.zeros((4, 3))


def test_target_shape_differs_torch_broadcasts_we_refuse():
    """(N, 1) predictions against (N,) targets: torch warns and broadcasts to (N, N)."""
    X = np.zeros((4, 1))
    T = np.zeros(4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = F.mse_loss(torch.tensor(X), torch.tensor(T), reduction="none")
    assert out.shape == (4, 4)
    assert any("broadcasting" in str(w.message) for w in caught)
    match = r"mse_loss: target must have the input's shape.*\(4, 1\).*\(4,\).*broadcast"
    with pytest.raises(ValueError, match=match):
        mse_loss(X, T)
    with pytest.raises(ValueError, match=match):
        mse_loss_backward(np.array(1.0), X, T)


@pytest.mark.parametrize(
    "args,kwargs,exc,match",
    [
        ((X43, X43), {"reduction": "avg"}, ValueError, r"mse_loss: reduction must be one of"),
        ((X43, X43), {"reduction": None}, ValueError, r"mse_loss: reduction .*got None"),
        ((X43, np.zeros((3, 4))), {}, ValueError, r"mse_loss: target .*\(4, 3\).*\(3, 4\)"),
        ((X43.tolist(), X43), {}, TypeError, r"mse_loss: input must be a numpy.ndarray, got list"),
        ((X43, torch.zeros(4, 3)), {}, TypeError, r"mse_loss: target must be a numpy.ndarray"),
        ((X43.astype(int), X43), {}, TypeError, r"mse_loss: input must be float32 or float64"),
        ((X43, X43.astype(np.float16)), {}, TypeError, r"mse_loss: target must be float32 or"),
        (
            (X43, X43.astype(np.float32)),
            {},
            TypeError,
            r"mse_loss: .*input float64, target float32",
        ),
    ],
)
def test_bad_input(args, kwargs, exc, match):
    with pytest.raises(exc, match=match):
        mse_loss(*args, **kwargs)
    with pytest.raises(exc, match=match):
        mse_loss_backward(np.array(1.0), *args, **kwargs)


@pytest.mark.parametrize(
    "reduction,dL,exc,match",
    [
        (
            "mean",
            np.ones(1),
            ValueError,
            r"mse_loss: grad_output must have the output's shape \(\)",
        ),
        ("sum", np.ones((4, 3)), ValueError, r"mse_loss: grad_output .*\(\), got \(4, 3\)"),
        ("none", np.array(1.0), ValueError, r"mse_loss: grad_output .*\(4, 3\), got \(\)"),
        ("none", np.ones((3, 4)), ValueError, r"mse_loss: grad_output .*got \(3, 4\)"),
        ("mean", np.float32(1.0), TypeError, r"mse_loss: .*grad_output float32, input float64"),
        ("mean", 1.0, TypeError, r"mse_loss: grad_output must be a numpy.ndarray, got float"),
        ("sum", np.array(1), TypeError, r"mse_loss: grad_output must be float32 or float64"),
    ],
)
def test_bad_grad_output(reduction, dL, exc, match):
    with pytest.raises(exc, match=match):
        mse_loss_backward(dL, X43, X43, reduction=reduction)


@pytest.mark.parametrize(
    "flags", [{"size_average": True}, {"reduce": False}, {"size_average": False, "reduce": True}]
)
def test_legacy_flags_raise(flags):
    with pytest.raises(
        NotImplementedError, match=r"mse_loss: size_average and reduce .*reduction="
    ):
        mse_loss(X43, X43, **flags)
    with pytest.raises(NotImplementedError, match=r"mse_loss: size_average and reduce"):
        mse_loss_backward(np.array(1.0), X43, X43, **flags)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_finite_differences(reduction):
    """A second witness: the directional derivative of <dL, L> matches dX and dT."""
    rng = np.random.default_rng(6)
    X, T = rand(rng, (3, 4), np.float64), rand(rng, (3, 4), np.float64)
    dL = upstream(rng, (3, 4), reduction, np.float64)
    VX, VT = rand(rng, (3, 4), np.float64), rand(rng, (3, 4), np.float64)

    def f(t):
        return np.sum(dL * mse_loss(X + t * VX, T + t * VT, reduction=reduction))

    h = 1e-5
    numeric = (f(h) - f(-h)) / (2 * h)
    dX, dT = mse_loss_backward(dL, X, T, reduction=reduction)
    np.testing.assert_allclose(np.sum(dX * VX) + np.sum(dT * VT), numeric, rtol=1e-7)
