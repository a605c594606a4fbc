"""relu / relu_backward against torch.nn.functional.relu and autograd, kinks included."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import DTYPES, assert_close, rand, torch_grads

from backprop_ref.functional import relu, relu_backward


def with_exact_zeros(rng, shape, dtype):
    """Random values with about a third of them set to exactly +0.0 or -0.0."""
    X = rand(rng, shape, dtype)
    where = rng.random(shape) < 1 / 3
    X[where] = 0.0
    X[where & (rng.random(shape) < 0.5)] = -0.0
    return X


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(), (7,), (4, 5), (2, 3, 4, 5), (1, 1, 33)])
def test_matches_torch(dtype, shape):
    rng = np.random.default_rng(0)
    X = with_exact_zeros(rng, shape, dtype)
    dY = rand(rng, shape, dtype)
    Y_t, (dX_t,) = torch_grads(F.relu, [X], dY)
    Y = relu(X)
    dX = relu_backward(dY, X)
    assert_close(Y, Y_t, "output")
    assert_close(dX, dX_t, "grad_input")
    assert Y.dtype == dX.dtype == dtype
    # the sign of a zero output is torch's too (relu(-0.0) is -0.0)
    np.testing.assert_array_equal(np.signbit(Y), np.signbit(Y_t))


@pytest.mark.parametrize("dtype", DTYPES)
def test_gradient_at_exactly_zero_is_zero_in_torch_and_ours(dtype):
    """ReLU'(0) = 0: torch's choice at the kink, for +0.0 and -0.0, pinned on both sides."""
    X = np.array([-1.0, -0.0, 0.0, 1e-300 if dtype == np.float64 else 1e-40, 2.0], dtype=dtype)
    dY = np.array([0.3, -1.7, 2.9, 0.7, -0.4], dtype=dtype)
    _, (dX_t,) = torch_grads(F.relu, [X], dY)
    dX = relu_backward(dY, X)
    at_zero = X == 0
    assert at_zero.sum() == 2
    assert (dX_t.numpy()[at_zero] == 0).all()  # torch: exactly 0 at +0.0 and -0.0
    assert (dX[at_zero] == 0).all()  # ours too
    # the smallest positive input (subnormal in float32) already passes the gradient on
    assert dX[3] == dY[3] == dX_t.numpy()[3]
    assert_close(dX, dX_t, "grad_input")


def test_negative_zero_forward_keeps_its_sign_like_torch():
    X = np.array([-0.0, 0.0, -0.0])
    Y = relu(X)
    Y_t = F.relu(torch.tensor(X)).numpy()
    np.testing.assert_array_equal(np.signbit(Y_t), [True, False, True])
    np.testing.assert_array_equal(np.signbit(Y), np.signbit(Y_t))


@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_and_inf_like_torch(dtype):
    """NaN stays NaN forward; backward passes dY through at NaN (torch masks on `Y <= 0`)."""
    X = np.array([np.nan, -np.inf, np.inf, -2.0, 0.0, 3.0, np.nan], dtype=dtype)
    dY = np.array([0.5, 1.5, -2.5, 3.5, -4.5, 5.5, -6.5], dtype=dtype)
    Y_t, (dX_t,) = torch_grads(F.relu, [X], dY)
    Y = relu(X)
    dX = relu_backward(dY, X)
    np.testing.assert_array_equal(np.isnan(Y), [True, False, False, False, False, False, True])
    assert_close(Y, Y_t, "output")  # NaN compares equal to NaN in assert_allclose
    assert_close(dX, dX_t, "grad_input")
    assert dX[0] == dY[0] and dX[6] == dY[6]  # not 0 at a NaN input: torch's behaviour


@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_in_upstream_gradient_is_blocked_where_inactive(dtype):
    """dX is a select, not dY * mask: a NaN or inf upstream behind an inactive unit gives 0."""
    X = np.array([-1.0, 0.0, 2.0, -3.0], dtype=dtype)
    dY = np.array([np.nan, np.inf, np.nan, -np.inf], dtype=dtype)
    _, (dX_t,) = torch_grads(F.relu, [X], dY)
    dX = relu_backward(dY, X)
    assert_close(dX, dX_t, "grad_input")
    np.testing.assert_array_equal(np.isnan(dX), [False, False, True, False])
    assert dX[0] == dX[1] == dX[3] == 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_inplace_like_torch(dtype):
    rng = np.random.default_rng(1)
    X = with_exact_zeros(rng, (3, 4), dtype)
    X[0, 0] = np.nan
    original = X.copy()
    dY = rand(rng, (3, 4), dtype)

    T = torch.tensor(original)
    T_out = F.relu(T, inplace=True)
    assert T_out is T  # torch returns its input, modified

    out = relu(X, inplace=True)
    assert out is X  # ours too: the same ndarray object
    assert_close(X, T, "overwritten input")
    np.testing.assert_array_equal(np.signbit(X), np.signbit(T.numpy()))

    # the gradient read off the overwritten array equals torch's (mask Y <= 0 == mask X <= 0)
    leaf = torch.tensor(original, requires_grad=True)
    y = F.relu(leaf * 1, inplace=True)
    y.backward(torch.tensor(dY))
    assert_close(relu_backward(dY, X, inplace=True), leaf.grad, "grad_input")
    assert_close(relu_backward(dY, original), leaf.grad, "grad_input")


def test_not_inplace_leaves_the_input_alone():
    X = np.array([-1.0, 0.0, 2.0])
    Y = relu(X)
    assert Y is not X and not np.shares_memory(Y, X)
    np.testing.assert_array_equal(X, [-1.0, 0.0, 2.0])


def test_inplace_on_a_view_writes_through():
    base = np.array([[-1.0, 2.0], [3.0, -4.0]])
    view = base[:, 1]
    assert relu(view, inplace=True) is view
    np.testing.assert_array_equal(base, [[-1.0, 2.0], [3.0, 0.0]])


# ---- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value,exc,match",
    [
        ([1.0, -1.0], TypeError, r"relu: input must be a numpy.ndarray, got list"),
        (torch.zeros(3), TypeError, r"relu: input must be a numpy.ndarray, got Tensor"),
        (np.arange(3), TypeError, r"relu: input must be float32 or float64, got int64"),
        (np.array([True]), TypeError, r"relu: input must be float32 or float64, got bool"),
    ],
)
def test_bad_input(value, exc, match):
    with pytest.raises(exc, match=match):
        relu(value)
    with pytest.raises(exc, match=match):
        relu_backward(np.zeros(3), value)


def test_inplace_needs_a_writeable_ndarray():
    X = np.array([-1.0, 2.0])
    X.flags.writeable = False
    with pytest.raises(ValueError, match=r"relu: inplace=True needs a writeable input"):
        relu(X, inplace=True)
    with pytest.raises(TypeError, match=r"relu: inplace=True needs a numpy.ndarray input"):
        relu(np.float64(-1.0), inplace=True)


@pytest.mark.parametrize(
    "dY,exc,match",
    [
        (np.zeros((3, 2)), ValueError, r"relu: grad_output must have the output's shape \(2, 3\)"),
        (np.zeros(6), ValueError, r"relu: grad_output .*got \(6,\)"),
        (np.zeros((2, 3), np.float32), TypeError, r"relu: .*grad_output float32, input float64"),
        (np.zeros((2, 3), np.int64), TypeError, r"relu: grad_output must be float32 or float64"),
        ([[0.0] * 3] * 2, TypeError, r"relu: grad_output must be a numpy.ndarray, got list"),
    ],
)
def test_bad_grad_output(dY, exc, match):
    with pytest.raises(exc, match=match):
        relu_backward(dY, np.zeros((2, 3)))


def test_finite_differences_away_from_the_kink():
    """A second witness where ReLU is differentiable: every |x| >= 0.1, steps of 1e-6."""
    rng = np.random.default_rng(5)
    X = rand(rng, (4, 5), np.float64)
    X = np.sign(X) * (0.1 + np.abs(X))
    dY = rand(rng, (4, 5), np.float64)
    V = rand(rng, (4, 5), np.float64)
    h = 1e-6
    numeric = (np.sum(dY * relu(X + h * V)) - np.sum(dY * relu(X - h * V))) / (2 * h)
    np.testing.assert_allclose(np.sum(relu_backward(dY, X) * V), numeric, rtol=1e-7)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", ["contiguous", "strided", "fortran", "0-d"])
def test_bit_select_matches_torch_on_every_special_value(dtype, layout):
    """The forward and backward select on the bits (an integer AND): check it at scale, with
    -0.0, NaN of either sign, infinities and subnormals scattered at random, on views too."""
    rng = np.random.default_rng(3)
    tiny = np.finfo(dtype).smallest_subnormal
    special = np.array([-0.0, 0.0, np.nan, -np.nan, np.inf, -np.inf, tiny, -tiny], dtype=dtype)
    X = rand(rng, (6, 28, 28), dtype)
    X.flat[rng.random(X.size) < 0.3] = rng.choice(special, size=X.size)[rng.random(X.size) < 0.3]
    dY = rand(rng, X.shape, dtype)
    dY.flat[rng.random(X.size) < 0.1] = np.nan
    if layout == "strided":
        X, dY = X[:, ::2, 1::3], dY[:, 1::2, 1::3]
    elif layout == "fortran":
        X, dY = np.asfortranarray(X), np.asfortranarray(dY)
    elif layout == "0-d":
        X, dY = np.array(-0.0, dtype=dtype), np.array(np.nan, dtype=dtype)
    Y_t, (dX_t,) = torch_grads(F.relu, [np.ascontiguousarray(X)], np.ascontiguousarray(dY))
    Y, dX = relu(X), relu_backward(dY, X)
    for ours, theirs in ((Y, Y_t), (dX, dX_t)):
        assert type(ours) is np.ndarray and ours.shape == X.shape and ours.dtype == dtype
        theirs = np.asarray(theirs)
        np.testing.assert_array_equal(ours, theirs)  # exact; NaN matches NaN
        zero_sign = np.signbit(ours) & (ours == 0), np.signbit(theirs) & (theirs == 0)
        np.testing.assert_array_equal(*zero_sign)  # -0.0 where torch has -0.0
    assert not np.shares_memory(Y, X)
    assert relu(X, inplace=True) is X  # and in place, through the view
    np.testing.assert_array_equal(X, Y)
    np.testing.assert_array_equal(np.signbit(X), np.signbit(Y))
