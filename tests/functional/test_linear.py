"""linear / linear_backward against torch.nn.functional.linear and autograd."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import DTYPES, assert_close, rand, torch_grads

from backprop_ref.functional import linear, linear_backward

# (leading dims of the input, in_features, out_features): 1-D input, a batch, batch x time,
# non-square weights both ways, a single feature, a batch of one
SHAPES = [
    ((), 3, 5),
    ((4,), 3, 5),
    ((4,), 6, 2),
    ((1,), 7, 7),
    ((2, 3), 4, 6),
    ((2, 3, 2), 5, 1),
    ((5,), 1, 3),
]


def assert_matches_torch(dY, X, W, b, torch_inputs):
    """Output and all three gradients equal torch's (torch runs on `torch_inputs`)."""
    Y_t, (dX_t, dW_t, db_t) = torch_grads(F.linear, torch_inputs, dY)
    dX, dW, db = linear_backward(dY, X, W, b)
    assert_close(linear(X, W, b), Y_t, "output")
    assert_close(dX, dX_t, "grad_input")
    assert_close(dW, dW_t, "grad_weight")
    assert_close(db, db_t, "grad_bias")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("lead,n_in,n_out", SHAPES)
@pytest.mark.parametrize("with_bias", [True, False])
def test_matches_torch(dtype, lead, n_in, n_out, with_bias):
    rng = np.random.default_rng(0)
    X = rand(rng, (*lead, n_in), dtype)
    W = rand(rng, (n_out, n_in), dtype)
    b = rand(rng, (n_out,), dtype) if with_bias else None
    dY = rand(rng, (*lead, n_out), dtype)

    Y = linear(X, W, b)
    dX, dW, db = linear_backward(dY, X, W, b)

    Y_t, (dX_t, dW_t, db_t) = torch_grads(F.linear, [X, W, b], dY)
    assert_close(Y, Y_t, "output")
    assert_close(dX, dX_t, "grad_input")
    assert_close(dW, dW_t, "grad_weight")
    if with_bias:
        assert_close(db, db_t, "grad_bias")
    else:
        assert db is None and db_t is None
    for a in (Y, dX, dW, *([db] if with_bias else [])):
        assert a.dtype == dtype  # float32 in, float32 out: nothing upcast on the way


def test_weight_gradient_sums_over_every_leading_index():
    """(B, T, in) is the same as (B*T, in): the gradients of W and b sum over B and T."""
    rng = np.random.default_rng(1)
    X = rand(rng, (3, 4, 5), np.float64)
    W = rand(rng, (2, 5), np.float64)
    b = rand(rng, (2,), np.float64)
    dY = rand(rng, (3, 4, 2), np.float64)
    _, dW, db = linear_backward(dY, X, W, b)
    _, dW_flat, db_flat = linear_backward(dY.reshape(12, 2), X.reshape(12, 5), W, b)
    np.testing.assert_allclose(dW, dW_flat, rtol=1e-12)
    np.testing.assert_allclose(db, db_flat, rtol=1e-12)


def test_transposed_and_strided_views():
    """Non-contiguous arrays (a transposed input, a strided weight) give torch's results."""
    rng = np.random.default_rng(2)
    X = rand(rng, (5, 4), np.float64).T  # (4, 5), Fortran-ordered
    W = rand(rng, (3, 10), np.float64)[:, ::2]  # (3, 5), strided
    b = rand(rng, (3,), np.float64)
    dY = rand(rng, (4, 3), np.float64)
    assert_matches_torch(dY, X, W, b, torch_inputs=[X.copy(), W.copy(), b])


def test_empty_batch():
    """A batch of zero samples: output (0, out), zero gradients for W and b, like torch."""
    rng = np.random.default_rng(3)
    X = np.zeros((0, 3))
    W = rand(rng, (2, 3), np.float64)
    b = rand(rng, (2,), np.float64)
    dY = np.zeros((0, 2))
    assert_matches_torch(dY, X, W, b, torch_inputs=[X, W, b])


def test_module_convention_y_equals_x_w_transpose():
    """torch.nn.Linear(in, out).weight has shape (out, in); our linear uses it unchanged."""
    torch.manual_seed(0)
    layer = torch.nn.Linear(3, 2).double()
    assert tuple(layer.weight.shape) == (2, 3)
    X = np.random.default_rng(4).standard_normal((4, 3))
    W = layer.weight.detach().numpy()
    b = layer.bias.detach().numpy()
    assert_close(linear(X, W, b), layer(torch.tensor(X)), "output")


# ---- bad input ------------------------------------------------------------------------------

X64 = np.zeros((4, 3))
W64 = np.zeros((2, 3))
B64 = np.zeros(2)
DY64 = np.zeros((4, 2))


@pytest.mark.parametrize(
    "args,exc,match",
    [
        ((np.zeros((4, 5)), W64, B64), ValueError, r"linear: input's last dimension .* \(4, 5\)"),
        ((np.zeros(()), W64, B64), ValueError, r"linear: input must have shape \(\*, in_features"),
        ((X64, np.zeros((2, 3, 1)), B64), ValueError, r"linear: weight must be 2-D.*\(2, 3, 1\)"),
        ((X64, np.zeros(3), B64), ValueError, r"linear: weight must be 2-D.*\(3,\)"),
        ((X64, W64, np.zeros(3)), ValueError, r"linear: bias must have shape .*\(2,\).*\(3,\)"),
        ((X64, W64, np.zeros((1, 2))), ValueError, r"linear: bias must have shape .*\(1, 2\)"),
        (([[0.0, 0.0, 0.0]], W64, B64), TypeError, r"linear: input must be a numpy.ndarray"),
        ((torch.zeros(4, 3), W64, B64), TypeError, r"linear: input must be a numpy.ndarray"),
        ((X64, W64.astype(np.int64), B64), TypeError, r"linear: weight must be float32 or float"),
        ((X64.astype(np.float32), W64, B64), TypeError, r"linear: .*input float32, weight float64"),
        ((X64, W64, B64.astype(np.float32)), TypeError, r"linear: .*bias float32"),
    ],
)
def test_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        linear(*args)
    with pytest.raises(exc, match=match):
        linear_backward(DY64, *args)


@pytest.mark.parametrize(
    "dY,exc,match",
    [
        (
            np.zeros((4, 3)),
            ValueError,
            r"linear: grad_output must have the output's shape \(4, 2\)",
        ),
        (np.zeros((2, 4)), ValueError, r"linear: grad_output .*got \(2, 4\)"),
        (np.zeros(2), ValueError, r"linear: grad_output .*got \(2,\)"),
        (DY64.astype(np.float32), TypeError, r"linear: .*grad_output float32, input float64"),
        (DY64.astype(np.int32), TypeError, r"linear: grad_output must be float32 or float64"),
        (DY64.tolist(), TypeError, r"linear: grad_output must be a numpy.ndarray, got list"),
    ],
)
def test_bad_grad_output(dY, exc, match):
    with pytest.raises(exc, match=match):
        linear_backward(dY, X64, W64, B64)


def test_finite_differences():
    """A second witness: the directional derivative of <dY, Y> matches the three gradients."""
    rng = np.random.default_rng(5)
    X, W, b = rand(rng, (3, 4), np.float64), rand(rng, (2, 4), np.float64), rand(rng, 2, np.float64)
    dY = rand(rng, (3, 2), np.float64)
    V = [rand(rng, a.shape, np.float64) for a in (X, W, b)]  # a random direction

    def f(t):
        return np.sum(dY * linear(X + t * V[0], W + t * V[1], b + t * V[2]))

    h = 1e-5
    numeric = (f(h) - f(-h)) / (2 * h)
    analytic = sum(np.sum(g * v) for g, v in zip(linear_backward(dY, X, W, b), V, strict=True))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7)
