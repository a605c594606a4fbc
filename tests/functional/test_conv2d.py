"""conv2d and conv2d_backward against torch autograd: every argument, batched and unbatched."""

import itertools
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from op_table import conv_random_config
from support import DTYPES, assert_close, rand, torch_grads

from backprop_ref.functional.conv2d import (
    conv2d,
    conv2d_backward,
    conv2d_backward_naive,
    conv2d_input,
    conv2d_naive,
    conv2d_weight,
)

# torch warns that padding='same' with an even kernel may copy the input; that is expected here
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


def torch_conv(X, W, b, **kw):
    """torch's output and (dX, dW, db) for a random upstream gradient; dY is returned too."""
    y_shape = F.conv2d(torch.tensor(X), torch.tensor(W), None, **kw).shape
    dY = rand(np.random.default_rng(X.size + W.size), tuple(y_shape), X.dtype)

    def fn(x, w, bb):
        return F.conv2d(x, w, bb, **kw)

    Y, grads = torch_grads(fn, [X, W, b], dY)
    return Y, grads, dY


def check_against_torch(X, W, b, forward=conv2d, backward=conv2d_backward, **kw):
    Y_t, (dX_t, dW_t, db_t), dY = torch_conv(X, W, b, **kw)
    assert_close(forward(X, W, b, **kw), Y_t, "Y")
    dX, dW, db = backward(dY, X, W, b, **kw)
    assert_close(dX, dX_t, "dX")
    assert_close(dW, dW_t, "dW")
    if b is None:
        assert db is None
    else:
        assert_close(db, db_t, "db")


def torch_rejects(X, W, b, **kw):
    try:
        F.conv2d(torch.tensor(X), torch.tensor(W), None if b is None else torch.tensor(b), **kw)
    except RuntimeError:
        return True
    return False


# --- the grid ---------------------------------------------------------------------------------

STRIDES = [1, 2, (2, 1), 3]
PADDINGS = [0, 1, (2, 0), "valid", "same"]
DILATIONS = [1, 2, (1, 3)]
# (C_in, C_out, groups): plain, two groups, depthwise (groups = C_in, two filters per channel)
CHANNELS = [(2, 3, 1), (4, 6, 2), (3, 6, 3)]
KERNELS = [(3, 2), (1, 4)]
SIZES = [(7, 10), (5, 5), (1, 9)]


@pytest.mark.parametrize("channels", CHANNELS, ids=["g1", "g2", "depthwise"])
@pytest.mark.parametrize("dilation", DILATIONS, ids=str)
@pytest.mark.parametrize("padding", PADDINGS, ids=str)
@pytest.mark.parametrize("stride", STRIDES, ids=str)
def test_grid(stride, padding, dilation, channels):
    """Every kernel x input size x dtype here; batch (1, 3) and bias (yes/no) take turns."""
    C_in, C_out, groups = channels
    kw = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    rng = np.random.default_rng(0)
    turns = itertools.cycle(itertools.product([1, 3], [True, False]))
    checked = rejected = 0
    for kernel, size, dtype in itertools.product(KERNELS, SIZES, DTYPES):
        N, with_bias = next(turns)
        X = rand(rng, (N, C_in, *size), dtype)
        W = rand(rng, (C_out, C_in // groups, *kernel), dtype)
        b = rand(rng, (C_out,), dtype) if with_bias else None
        if torch_rejects(X, W, b, **kw):  # e.g. a 1-row input with a 3-row kernel, no padding
            with pytest.raises(ValueError, match="conv2d"):
                conv2d(X, W, b, **kw)
            with pytest.raises(ValueError, match="conv2d_backward"):
                conv2d_backward(np.zeros((1,), dtype), X, W, b, **kw)
            rejected += 1
            continue
        check_against_torch(X, W, b, **kw)
        checked += 1
    if padding == "same" and stride != 1:
        assert checked == 0  # torch rejects 'same' with any stride > 1; so did we, above
    else:
        assert checked > 0


# --- random configurations from the valid space --------------------------------------------------


def random_config(rng):
    """A configuration torch accepts, drawn as the op table draws its random samples:
    (X, W, b, kwargs), in a random dtype."""
    x_shape, w_shape, bias, kw = conv_random_config(rng)
    dtype = DTYPES[int(rng.integers(0, 2))]
    b = rand(rng, (w_shape[0],), dtype) if bias else None
    return rand(rng, x_shape, dtype), rand(rng, w_shape, dtype), b, kw


@pytest.mark.parametrize("seed", range(100))
def test_random_configurations(seed):
    X, W, b, kw = random_config(np.random.default_rng(seed))
    check_against_torch(X, W, b, **kw)


# --- the loop version ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_naive_agrees_with_vectorized(seed):
    X, W, b, kw = random_config(np.random.default_rng(1000 + seed))
    X, W = X.astype(np.float64)[:2], W.astype(np.float64)
    b = None if b is None else b.astype(np.float64)
    Y = conv2d(X, W, b, **kw)
    np.testing.assert_allclose(conv2d_naive(X, W, b, **kw), Y, rtol=1e-12, atol=1e-13)
    dY = rand(np.random.default_rng(seed), Y.shape, np.float64)
    for ours, loops in zip(
        conv2d_backward(dY, X, W, b, **kw), conv2d_backward_naive(dY, X, W, b, **kw), strict=True
    ):
        if ours is None:
            assert loops is None
        else:
            np.testing.assert_allclose(loops, ours, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("dtype", DTYPES)
def test_naive_against_torch(dtype):
    rng = np.random.default_rng(7)
    X = rand(rng, (2, 4, 7, 6), dtype)
    W = rand(rng, (6, 2, 3, 2), dtype)
    b = rand(rng, (6,), dtype)
    kw = dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)
    check_against_torch(X, W, b, conv2d_naive, conv2d_backward_naive, **kw)


# --- unbatched input, layout, the choices torch makes ------------------------------------------


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("with_bias", [True, False])
def test_unbatched(dtype, with_bias):
    rng = np.random.default_rng(3)
    X = rand(rng, (4, 6, 9), dtype)
    W = rand(rng, (2, 2, 3, 3), dtype)
    b = rand(rng, (2,), dtype) if with_bias else None
    kw = dict(stride=(1, 2), padding=1, dilation=(2, 1), groups=2)
    check_against_torch(X, W, b, **kw)
    assert conv2d(X, W, b, **kw).shape == (2, 4, 5)
    dY = rand(rng, (2, 4, 5), dtype)
    dX, dW, _ = conv2d_backward(dY, X, W, b, **kw)
    assert dX.shape == X.shape and dW.shape == W.shape
    with pytest.raises(ValueError, match=r"unbatched \(C_in, H, W\), got shape \(6, 9\)"):
        conv2d(X[0], W, b)  # 2-D is neither batched nor unbatched
    dX_n, dW_n, _ = conv2d_backward_naive(dY, X, W, b, **kw)
    assert_close(dX_n, dX, "dX naive")
    assert_close(dW_n, dW, "dW naive")


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
    check_against_torch(X, W, None, padding="same", dilation=(1, 3))


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
    check_against_torch(X, W, None, stride=3)


def test_non_contiguous_arrays_and_inputs_left_alone():
    rng = np.random.default_rng(11)
    X = np.asfortranarray(rand(rng, (2, 3, 8, 9), np.float64))[:, :, ::2, 1:]
    W = rand(rng, (3, 4, 5, 3), np.float64).transpose(1, 0, 2, 3)[:, :, ::2, :]
    b = rand(rng, (8,), np.float64)[::2]
    X0, W0, b0 = X.copy(), W.copy(), b.copy()
    kw = dict(padding=(1, 0), dilation=(1, 2))
    check_against_torch(X, W, b, **kw)
    dY = rand(rng, (2, 4, 4, 8), np.float64)[:, :, :, ::-2]  # negative strides
    conv2d_backward(dY, X, W, b, **kw)
    for now, before in ((X, X0), (W, W0), (b, b0)):
        np.testing.assert_array_equal(now, before)


def test_empty_batch():
    X = np.zeros((0, 2, 5, 5))
    W = np.ones((3, 2, 2, 2))
    b = np.ones(3)
    assert conv2d(X, W, b).shape == (0, 3, 4, 4)
    dX, dW, db = conv2d_backward(np.zeros((0, 3, 4, 4)), X, W, b)
    assert dX.shape == X.shape and not dW.any() and not db.any()


@pytest.mark.parametrize("arg", ["stride", "padding", "dilation"])
def test_one_tuple_is_expanded_like_torch(arg):
    rng = np.random.default_rng(2)
    X = rand(rng, (1, 1, 9, 9), np.float64)
    W = rand(rng, (2, 1, 3, 3), np.float64)
    check_against_torch(X, W, None, **{arg: (2,)})
    check_against_torch(X, W, None, **{arg: [2, 1]})


# --- bad input ----------------------------------------------------------------------------------

X4 = np.zeros((2, 4, 6, 6))
W4 = np.zeros((6, 2, 3, 3))  # with X4: fine for groups=2
W3 = np.zeros((6, 4, 3, 3))  # with X4: fine for groups=1


def bad(error, pattern, X=X4, W=W3, b=None, **kw):
    return X, W, b, kw, error, pattern


# name: (input, weight, bias, kwargs, error, pattern in the message)
BAD = {
    "input 2-D": bad(ValueError, r"input .*\(6, 6\)", X=np.zeros((6, 6))),
    "input 5-D": bad(ValueError, "input", X=np.zeros((1, 2, 4, 6, 6))),
    "weight 3-D": bad(ValueError, r"weight .*\(6, 2, 3\)", W=np.zeros((6, 2, 3))),
    "channels": bad(ValueError, r"channels.*\(6, 3, 3, 3\)", W=np.zeros((6, 3, 3, 3))),
    "groups and channels": bad(ValueError, r"weight \(6, 2, 3, 3\) with groups=1", W=W4),
    "groups not dividing C_in": bad(ValueError, "groups=3", W=np.zeros((6, 1, 3, 3)), groups=3),
    "groups not dividing C_out": bad(
        ValueError, r"C_out = 5 .*groups = 2", W=np.zeros((5, 2, 3, 3)), groups=2
    ),
    "groups 0": bad(ValueError, "groups", W=W4, groups=0),
    "groups -2": bad(ValueError, "groups", W=W4, groups=-2),
    "groups float": bad(TypeError, "groups", W=W4, groups=2.0),
    "kernel larger than input": bad(
        ValueError, r"height 7 .*padded input's height 6", W=np.zeros((6, 4, 7, 3))
    ),
    "dilated kernel larger": bad(ValueError, r"dilated width 7 .*width 6", dilation=(1, 3)),
    "kernel of size 0": bad(ValueError, "kernel", W=np.zeros((6, 4, 0, 3))),
    "stride 0": bad(ValueError, "stride", stride=0),
    "stride (1, -1)": bad(ValueError, "stride", stride=(1, -1)),
    "dilation 0": bad(ValueError, "dilation", dilation=0),
    "padding -1": bad(ValueError, "padding", padding=-1),
    "padding (0, -2)": bad(ValueError, "padding", padding=(0, -2)),
    "padding 'full'": bad(ValueError, "padding", padding="full"),
    "padding 'SAME'": bad(ValueError, "padding", padding="SAME"),
    "same with stride 2": bad(ValueError, "same.*stride", padding="same", stride=2),
    "same with stride (1, 2)": bad(ValueError, "same.*stride", padding="same", stride=(1, 2)),
    "bias (5,)": bad(ValueError, r"bias .*\(5,\)", b=np.zeros(5)),
    "bias (6, 1)": bad(ValueError, r"bias .*\(6, 1\)", b=np.zeros((6, 1))),
    "bias scalar": bad(ValueError, r"bias .*\(\)", b=np.zeros(())),
    "stride of 3": bad(ValueError, "stride", stride=(1, 1, 1)),
    "padding of 4": bad(ValueError, "padding", padding=(1, 1, 1, 1)),
    "dilation empty": bad(ValueError, "dilation", dilation=()),
    "stride float": bad(TypeError, "stride", stride=1.0),
    "stride bool": bad(TypeError, "stride", stride=True),
    "padding float": bad(TypeError, "padding", padding=(1, 0.5)),
    "dilation str": bad(TypeError, "dilation", dilation="2"),
    "weight float32": bad(TypeError, "input float64, weight float32", W=W3.astype(np.float32)),
    "bias float32": bad(TypeError, "bias float32", b=np.zeros(6, np.float32)),
    "input int": bad(TypeError, "input", X=X4.astype(int)),
    "weight a list": bad(TypeError, "weight", W=[[[[0.0]]]]),
}


def call_torch(X, W, b, kw):
    as_t = [None if a is None else torch.as_tensor(np.asarray(a)) for a in (X, W, b)]
    return F.conv2d(*as_t, **kw)


@pytest.mark.parametrize("name", BAD)
@pytest.mark.parametrize("fn", [conv2d, conv2d_naive, conv2d_backward, conv2d_backward_naive])
def test_bad_input(name, fn):
    X, W, b, kw, error, pattern = BAD[name]
    with pytest.raises((RuntimeError, TypeError)):  # torch rejects it too
        call_torch(X, W, b, kw)
    args = (X, W, b)
    if fn in (conv2d_backward, conv2d_backward_naive):
        args = (np.zeros((2, 6, 4, 4)), X, W, b)
    with pytest.raises(error, match=pattern) as info:
        fn(*args, **kw)
    assert str(info.value).startswith(fn.__name__)


@pytest.mark.parametrize("fn", [conv2d_backward, conv2d_backward_naive])
@pytest.mark.parametrize(
    "shape", [(2, 6, 4, 5), (2, 6, 4), (1, 6, 4, 4), (2, 5, 4, 4), (6, 4, 4)], ids=str
)
def test_bad_grad_output_shape(fn, shape):
    with pytest.raises(ValueError, match=re.escape(f"(2, 6, 4, 4), got {shape}")) as info:
        fn(np.zeros(shape), X4, W4, groups=2)
    assert str(info.value).startswith(fn.__name__) and "grad_output" in str(info.value)


def test_grad_output_dtype_and_type():
    with pytest.raises(TypeError, match="grad_output float32"):
        conv2d_backward(np.zeros((2, 6, 4, 4), np.float32), X4, W4, groups=2)
    with pytest.raises(TypeError, match="grad_output"):
        conv2d_backward(torch.zeros(2, 6, 4, 4), X4, W4, groups=2)


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
