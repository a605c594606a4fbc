"""The inputs fuzzing found (issue 10, item 6): each ends as torch's answer or a clear error.

Every test runs on the lesson (backprop_ref.functional) and on the fast path
(backprop_ref.kernels), since a user may call either.
"""

import tracemalloc

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from backprop_ref import functional, kernels
from backprop_ref.models import LeNet, TwoLayerNet
from backprop_ref.precision import assert_close

PATHS = pytest.mark.parametrize("ops", [functional, kernels], ids=["lesson", "kernels"])
rng = np.random.default_rng(7)


def peak_bytes(fn):
    """(fn's result, the peak of numpy's allocations while it ran)."""
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# -- mse_loss_backward in torch's order: a large X - T is scaled before it is doubled ----------
@PATHS
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
# sum and none: 2 * 2e38 is inf in float32, in torch too; numpy says so, torch is silent
@pytest.mark.filterwarnings("ignore:overflow encountered in multiply:RuntimeWarning")
def test_mse_loss_backward_does_not_overflow_where_torch_does_not(ops, reduction):
    X = np.array([2e38, -3e38, 1.0, 0.0], dtype=np.float32)
    T = np.zeros(4, dtype=np.float32)
    x, t = torch.tensor(X, requires_grad=True), torch.tensor(T, requires_grad=True)
    loss = F.mse_loss(x, t, reduction=reduction)
    dL = np.asarray(rng.uniform(0.1, 0.5, loss.shape), dtype=np.float32)
    loss.backward(torch.tensor(dL))
    dX, dT = ops.mse_loss_backward(dL, X, T, reduction=reduction)
    # bitwise: the same three float32 operations in the same order as torch's kernel
    np.testing.assert_array_equal(dX, x.grad.numpy())
    np.testing.assert_array_equal(dT, t.grad.numpy())
    if reduction == "mean":
        assert np.isfinite(dX).all()  # torch's 1e38-sized gradients, not inf


# -- ndarray subclasses ----------------------------------------------------------------------
@PATHS
@pytest.mark.filterwarnings("ignore:the matrix subclass is not the recommended way")
def test_matrix_is_read_as_its_plain_values(ops):
    M = np.matrix([[1.0, 2.0], [3.0, 4.0]])
    assert float(ops.mse_loss(M, np.zeros((2, 2)))) == 7.5  # (1 + 4 + 9 + 16) / 4
    W, b = rng.standard_normal((4, 2)), rng.standard_normal(4)
    Y = ops.linear(M, W, b)
    assert type(Y) is np.ndarray and Y.shape == (2, 4)
    dX, dW, db = ops.linear_backward(np.ones((2, 4)), M, W, b)
    assert all(type(g) is np.ndarray for g in (dX, dW, db))
    assert (dX.shape, dW.shape, db.shape) == ((2, 2), (4, 2), (4,))
    x = torch.tensor(np.asarray(M), requires_grad=True)
    assert_close(Y, F.linear(x, torch.tensor(W), torch.tensor(b)), "Y")


@PATHS
@pytest.mark.parametrize("op", ["relu", "mse_loss", "linear", "max_pool2d"])
def test_masked_array_is_refused(ops, op):
    X = np.ma.masked_less(rng.standard_normal((1, 1, 4, 4)), 0)
    calls = {
        "relu": lambda: ops.relu(X),
        "mse_loss": lambda: ops.mse_loss(X, np.zeros(X.shape)),
        "linear": lambda: ops.linear(X, np.ones((3, 4))),
        "max_pool2d": lambda: ops.max_pool2d(X, 2),
    }
    with pytest.raises(TypeError, match=f"{op}: input is a numpy.ma.MaskedArray"):
        calls[op]()


# -- ceil_mode and the other flags: a bool, as torch requires --------------------------------
@PATHS
@pytest.mark.parametrize("bad", ["False", 2, np.array([True, False]), None])
def test_ceil_mode_must_be_a_bool(ops, bad):
    X = rng.standard_normal((1, 1, 5, 5))
    with pytest.raises(TypeError):
        F.max_pool2d(torch.tensor(X), 2, ceil_mode=bad)
    with pytest.raises(TypeError, match="max_pool2d: ceil_mode must be a bool"):
        ops.max_pool2d(X, 2, ceil_mode=bad)
    with pytest.raises(TypeError, match="max_pool2d_backward: ceil_mode must be a bool"):
        ops.max_pool2d_backward(np.ones((1, 1, 2, 2)), X, 2, ceil_mode=bad)


@PATHS
def test_numpy_bool_is_a_bool(ops):
    X = rng.standard_normal((1, 1, 5, 5))
    expected = F.max_pool2d(torch.tensor(X), 2, ceil_mode=True)
    assert_close(ops.max_pool2d(X, 2, ceil_mode=np.True_), expected)


# -- a backward takes every keyword of its forward -------------------------------------------
@PATHS
def test_max_pool2d_backward_takes_return_indices(ops):
    X = rng.standard_normal((2, 3, 6, 6))
    x = torch.tensor(X, requires_grad=True)
    y, _ = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    dY = rng.standard_normal(y.shape)
    y.backward(torch.tensor(dY))
    dX = ops.max_pool2d_backward(dY, X, 3, 2, 1, return_indices=True)
    assert_close(dX, x.grad, "dX")


# -- work and memory follow the output and the input, not the padding or the kernel ----------
@PATHS
@pytest.mark.parametrize(
    "kernel, padding", [(801, 400), (100001, 50000), ((3, 100001), (1, 50000))]
)
def test_max_pool2d_huge_kernel_and_padding(ops, kernel, padding):
    X = rng.standard_normal((1, 2, 4, 4))
    dY = rng.standard_normal((1, 2, 4, 4))
    (Y, dX), peak = peak_bytes(
        lambda: (
            ops.max_pool2d(X, kernel, 1, padding),
            ops.max_pool2d_backward(dY, X, kernel, 1, padding),
        )
    )
    assert peak < 8 * 2**20  # the index arrays are kernel x output ints: 3 MiB at kernel 100001
    x = torch.tensor(X, requires_grad=True)  # torch clips each window to the input: fast
    y = F.max_pool2d(x, kernel, 1, padding)
    y.backward(torch.tensor(dY))
    np.testing.assert_array_equal(Y, y.detach().numpy())
    np.testing.assert_array_equal(dX, x.grad.numpy())


@PATHS
def test_conv2d_huge_padding_and_stride(ops):
    X, W, b = rng.standard_normal((1, 1, 4, 4)), rng.standard_normal((1, 1, 3, 3)), np.ones(1)
    args = dict(stride=10000, padding=100000)
    (Y, _), peak = peak_bytes(
        lambda: (
            ops.conv2d(X, W, b, **args),
            ops.conv2d_backward(np.ones((1, 1, 21, 21)), X, W, b, **args),
        )
    )
    assert Y.shape == (1, 1, 21, 21)
    assert peak < 2**20  # the padded input would be 149 GiB
    x, w, bt = (torch.tensor(a, requires_grad=True) for a in (X, W, b))
    dY = rng.standard_normal(Y.shape)
    y = F.conv2d(x, w, bt, **args)
    y.backward(torch.tensor(dY))
    assert_close(Y, y, "Y")
    for ours, theirs in zip(ops.conv2d_backward(dY, X, W, b, **args), (x, w, bt), strict=True):
        assert_close(ours, theirs.grad)


# -- conv2d with no input channels: torch returns 0 output channels; we refuse ---------------
@PATHS
def test_conv2d_without_input_channels_is_refused(ops):
    X, W = np.ones((2, 0, 4, 4)), np.ones((3, 0, 3, 3))
    assert F.conv2d(torch.tensor(X), torch.tensor(W)).shape == (2, 0, 2, 2)  # torch's answer
    with pytest.raises(ValueError, match=r"conv2d: weight \(3, 0, 3, 3\) has C_in/groups = 0"):
        ops.conv2d(X, W)
    with pytest.raises(ValueError, match="conv2d_backward: weight"):
        ops.conv2d_backward(np.ones((2, 3, 2, 2)), X, W)


# -- an accurate bias gradient ---------------------------------------------------------------
@PATHS
def test_linear_bias_gradient_is_as_accurate_as_torch(ops):
    N = 2**20
    X = np.ones((N, 2), dtype=np.float32)
    dY = (rng.random((N, 3)) + 0.5).astype(np.float32)  # one sign: no cancellation to hide in
    exact = dY.astype(np.float64).sum(axis=0)
    _, _, db = ops.linear_backward(dY, X, np.ones((3, 2), np.float32), np.zeros(3, np.float32))
    b = torch.zeros(3, requires_grad=True)
    F.linear(torch.tensor(X), torch.ones(3, 2), b).backward(torch.tensor(dY))
    ours = np.abs(db - exact).max() / exact.max()
    torchs = np.abs(b.grad.numpy() - exact).max() / exact.max()
    assert ours <= max(torchs, 6e-8), (ours, torchs)  # 6e-8: float32's unit roundoff


# -- the models keep what the forward saw ----------------------------------------------------
@pytest.mark.parametrize(
    "make, shape",
    [
        (lambda: LeNet(dtype=np.float64, seed=0), (2, 1, 32, 32)),
        (lambda: TwoLayerNet(5, 4, 3, dtype=np.float64, seed=0), (6, 5)),
    ],
    ids=["LeNet", "TwoLayerNet"],
)
def test_changing_the_input_after_forward_changes_nothing(make, shape):
    x = rng.standard_normal(shape)
    reference, changed = make(), make()
    dy = rng.standard_normal(reference(x).shape)
    reference.backward(dy)
    x_again = x.copy()
    changed(x_again)
    x_again[...] = 123.0  # in place, between forward and backward
    changed.backward(dy)
    for name, grad in reference.grads.items():
        np.testing.assert_array_equal(changed.grads[name], grad, err_msg=name)
