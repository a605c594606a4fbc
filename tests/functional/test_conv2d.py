"""conv2d by hand, and its two halves alone (conv2d_input, conv2d_weight) against torch.nn.grad.

Every call against torch autograd (lesson, kernel and loop version: the grid, random
configurations, unbatched, empty, strided, every argument) and every bad input are the op
table's (tests/op_table.py, run by test_parity and test_bad_input). Here: values worked out by
hand, and the functions the op table does not cover.
"""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from op_table import (
    _CONV_CHANNELS,
    _CONV_DILATIONS,
    _CONV_KERNELS,
    _CONV_PADDINGS,
    _CONV_SIZES,
    _CONV_STRIDES,
    CONV2D,
    conv_fits,
)
from support import DTYPES, assert_close, rand

from backprop_ref.functional.conv2d import conv2d, conv2d_backward, conv2d_input, conv2d_weight

# torch warns that padding='same' with an even kernel may copy the input; that is expected here
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


def test_the_op_tables_geometry_is_torchs_verdict():
    """conv_fits (which picks the op table's samples) says yes exactly where torch computes
    the convolution; everywhere else all three of ours raise ValueError naming the function."""
    rejected = 0
    for stride, padding, dilation, kernel, size in itertools.product(
        _CONV_STRIDES, _CONV_PADDINGS, _CONV_DILATIONS, _CONV_KERNELS, _CONV_SIZES
    ):
        for C_in, C_out, groups in _CONV_CHANNELS.values():
            X, W = np.zeros((1, C_in, *size)), np.zeros((C_out, C_in // groups, *kernel))
            kw = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
            try:
                F.conv2d(torch.tensor(X), torch.tensor(W), **kw)
                accepted = True
            except RuntimeError:
                accepted = False
            assert conv_fits(size, kernel, stride, padding, dilation) == accepted, kw
            if accepted:
                continue
            rejected += 1
            for impl in CONV2D.every_implementation:
                forward = CONV2D.ours(impl)[0]
                with pytest.raises(ValueError, match=f"^{forward.__name__}: "):
                    forward(X, W, **kw)
    assert rejected > 0


def test_same_padding_puts_the_odd_row_after():
    """An even (dilated) kernel needs an odd total padding: torch puts the extra one after."""
    X = np.arange(30, dtype=np.float64).reshape(1, 1, 5, 6)
    W = np.zeros((1, 1, 4, 2))
    W[0, 0, 0, 0] = 1.0  # picks Xp[i, j]: padding 3 rows = 1 above + 2 below, 1 col = 0 + 1
    Y = conv2d(X, W, padding="same")
    expected = np.zeros((5, 6))
    expected[1:, :] = X[0, 0, :-1, :]
    np.testing.assert_array_equal(Y[0, 0], expected)
    np.testing.assert_array_equal(Y, F.conv2d(torch.tensor(X), torch.tensor(W), padding="same"))


@pytest.mark.parametrize("dtype", DTYPES)
def test_rows_the_floor_drops_get_zero_gradient(dtype):
    """H = 7, kernel 2, stride 3: windows start at rows 0 and 3; rows 2, 5, 6 are never read."""
    rng = np.random.default_rng(5)
    X = rand(rng, (2, 1, 7, 7), dtype)
    W = rand(rng, (1, 1, 2, 2), dtype)
    dY = rand(rng, (2, 1, 2, 2), dtype)
    dX, _, _ = conv2d_backward(dY, X, W, stride=3)
    assert dX.dtype == dtype
    for unread in (2, 5, 6):
        assert not dX[:, :, unread, :].any()
        assert not dX[:, :, :, unread].any()
    for read in (0, 1, 3, 4):
        assert dX[:, :, read, read].all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "x_shape, w_shape, kwargs",
    [
        ((2, 1, 32, 32), (6, 1, 5, 5), {}),  # LeNet's conv1
        ((3, 6, 14, 14), (16, 6, 5, 5), {}),  # LeNet's conv2
        (
            (3, 4, 9, 8),
            (6, 2, 3, 2),
            dict(stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=2),
        ),
        ((2, 3, 7, 6), (4, 3, 3, 3), dict(stride=2, padding=1)),  # the floor drops a row
        ((0, 3, 5, 5), (2, 3, 3, 3), {}),  # an empty batch
    ],
)
def test_input_and_weight_gradients_alone_like_torch_nn_grad(dtype, x_shape, w_shape, kwargs):
    """conv2d_input / conv2d_weight (what LeNet uses for conv1) against torch.nn.grad's, and
    equal to the first two results of conv2d_backward."""
    rng = np.random.default_rng(7)
    X, W = rand(rng, x_shape, dtype), rand(rng, w_shape, dtype)
    Y_t = F.conv2d(torch.tensor(X), torch.tensor(W), **kwargs)
    dY = rand(rng, tuple(Y_t.shape), dtype)
    dX = conv2d_input(x_shape, W, dY, **kwargs)
    dW = conv2d_weight(X, w_shape, dY, **kwargs)
    dX_t = torch.nn.grad.conv2d_input(x_shape, torch.tensor(W), torch.tensor(dY), **kwargs)
    dW_t = torch.nn.grad.conv2d_weight(torch.tensor(X), w_shape, torch.tensor(dY), **kwargs)
    assert dX.shape == x_shape and dW.shape == w_shape and dX.dtype == dW.dtype == dtype
    assert_close(dX, dX_t, "grad_input")
    assert_close(dW, dW_t, "grad_weight")
    dX_all, dW_all, _ = conv2d_backward(dY, X, W, **kwargs)
    np.testing.assert_array_equal(dX, dX_all)
    np.testing.assert_array_equal(dW, dW_all)


def test_input_and_weight_gradients_alone_unbatched_and_same_padding():
    rng = np.random.default_rng(8)
    X, W = rng.standard_normal((4, 7, 7)), rng.standard_normal((4, 2, 2, 3))
    kwargs = dict(padding="same", groups=2, dilation=2)
    dY = rng.standard_normal(conv2d(X, W, **kwargs).shape)
    dX, dW, _ = conv2d_backward(dY, X, W, **kwargs)
    np.testing.assert_array_equal(conv2d_input(X.shape, W, dY, **kwargs), dX)
    np.testing.assert_array_equal(conv2d_weight(X, W.shape, dY, **kwargs), dW)
    x, w = torch.tensor(X, requires_grad=True), torch.tensor(W, requires_grad=True)
    F.conv2d(x, w, **kwargs).backward(torch.tensor(dY))
    assert_close(dX, x.grad, "grad_input")
    assert_close(dW, w.grad, "grad_weight")


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda X, W, dY: conv2d_input((2, 3, 8), W, dY), ValueError, r"conv2d_input: .*channels"),
        (lambda X, W, dY: conv2d_input((2, 3), W, dY), ValueError, r"conv2d_input: input_size"),
        (lambda X, W, dY: conv2d_input((2, 3, 8, -1), W, dY), ValueError, "input_size"),
        (lambda X, W, dY: conv2d_input(5, W, dY), ValueError, r"conv2d_input: input_size"),
        (lambda X, W, dY: conv2d_input((2, 3, 8, 8.0), W, dY), TypeError, "input_size"),
        (lambda X, W, dY: conv2d_input(X.shape, W, dY[:, :, :2]), ValueError, r"grad_output"),
        (lambda X, W, dY: conv2d_weight(X, (4, 3, 3), dY), ValueError, r"conv2d_weight: weight_s"),
        (lambda X, W, dY: conv2d_weight(X, (4, 2, 3, 3), dY), ValueError, r"conv2d_weight: .*ch"),
        (lambda X, W, dY: conv2d_weight(X, W.shape, dY.astype(np.float32)), TypeError, "dtype"),
        (lambda X, W, dY: conv2d_weight(X.tolist(), W.shape, dY), TypeError, "input"),
    ],
)
def test_input_and_weight_gradients_alone_bad_input(call, exc, match):
    X, W = np.zeros((2, 3, 8, 8)), np.zeros((4, 3, 3, 3))
    dY = np.zeros((2, 4, 6, 6))
    with pytest.raises(exc, match=match):
        call(X, W, dY)


def _pad_or_crop(a, axis, before, after):
    """Zeros before and after along `axis`; a negative amount crops instead."""
    a = np.moveaxis(a, axis, 0)
    a = np.pad(a, [(max(before, 0), max(after, 0))] + [(0, 0)] * (a.ndim - 1))
    a = a[max(-before, 0) : a.shape[0] - max(-after, 0)]
    return np.moveaxis(a, 0, axis)


def _grad_input_by_4c(dY, W, input_hw, stride, padding, dilation, groups):
    """The chapter's (4c): dY spread with s-1 zeros, padded d(k-1)-P before and d(k-1)-P+r
    after (r: the rows the floor of (2) dropped), correlated at stride 1 and dilation d with
    the flipped kernel whose axes are exchanged group by group. Returns dX and r."""
    N, C_out, H_out, W_out = dY.shape
    spread = np.zeros((N, C_out, (H_out - 1) * stride[0] + 1, (W_out - 1) * stride[1] + 1))
    spread[:, :, :: stride[0], :: stride[1]] = dY
    r = []
    for axis in (0, 1):
        size, k = input_hw[axis], W.shape[2 + axis]
        s, P, d = stride[axis], padding[axis], dilation[axis]
        r.append((size + 2 * P - d * (k - 1) - 1) % s)
        spread = _pad_or_crop(spread, 2 + axis, d * (k - 1) - P, d * (k - 1) - P + r[-1])
    _, C_g, kH, kW = W.shape
    flipped = W[:, :, ::-1, ::-1].reshape(groups, C_out // groups, C_g, kH, kW)
    flipped = flipped.swapaxes(1, 2).reshape(groups * C_g, C_out // groups, kH, kW)
    dX = conv2d(spread, np.ascontiguousarray(flipped), dilation=dilation, groups=groups)
    return dX, tuple(r)


@pytest.mark.parametrize(
    "stride, padding, dilation, groups, kernel, size, dropped",
    [
        ((1, 1), (0, 0), (1, 1), 1, (3, 3), (6, 7), (0, 0)),  # (4b) itself
        ((2, 2), (0, 0), (1, 1), 1, (2, 2), (5, 5), (1, 1)),  # the stride example: row 4
        ((2, 3), (1, 2), (1, 1), 1, (3, 2), (10, 11), (1, 1)),
        ((1, 1), (2, 1), (2, 3), 1, (3, 2), (8, 9), (0, 0)),  # dilation alone
        ((2, 2), (0, 1), (2, 3), 1, (3, 3), (10, 12), (1, 1)),
        ((3, 2), (4, 1), (1, 2), 1, (2, 3), (8, 9), (2, 0)),  # P = 4 > d(k-1) = 1: a crop
        ((3, 3), (2, 2), (2, 2), 1, (2, 2), (11, 13), (0, 2)),
        ((2, 1), (1, 0), (1, 2), 2, (3, 2), (9, 8), (0, 0)),  # groups
        ((3, 2), (0, 3), (2, 1), 3, (2, 4), (13, 7), (1, 1)),  # 3 groups
    ],
)
def test_grad_input_is_a_correlation_with_the_flipped_kernel(
    stride, padding, dilation, groups, kernel, size, dropped
):
    """(4c) in float64 equals torch's conv_transpose2d with output_padding = r,
    torch.nn.grad.conv2d_input, torch autograd and our conv2d_backward."""
    rng = np.random.default_rng(11)
    C_in, C_out = 2 * groups, 3 * groups
    X = rng.standard_normal((2, C_in, *size))
    W = rng.standard_normal((C_out, C_in // groups, *kernel))
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    x = torch.tensor(X, requires_grad=True)
    y = F.conv2d(x, torch.tensor(W), **kw)
    dY = rng.standard_normal(tuple(y.shape))  # random upstream gradient
    y.backward(torch.tensor(dY))

    dX, r = _grad_input_by_4c(dY, W, size, stride, padding, dilation, groups)
    assert r == dropped
    by_transpose = F.conv_transpose2d(torch.tensor(dY), torch.tensor(W), output_padding=r, **kw)
    by_nn_grad = torch.nn.grad.conv2d_input(X.shape, torch.tensor(W), torch.tensor(dY), **kw)
    ours, _, _ = conv2d_backward(dY, X, W, **kw)
    for theirs in (by_transpose, by_nn_grad, x.grad):
        np.testing.assert_allclose(dX, theirs.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours, dX, rtol=1e-10, atol=1e-12)
