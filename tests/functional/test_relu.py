"""relu: what is not a parity-per-sample. Every torch comparison of the op table's samples
(exact zeros of both signs, NaN and inf, NaN upstream, special values on strided, Fortran and
0-d layouts) is in tests/test_parity.py; the bad input is in tests/test_bad_input.py.
Here: torch's choices pinned by hand, and inplace=True, lesson and kernel."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st
from op_table import BY_NAME, IMPLEMENTATIONS, SEEDS, STYLES
from support import DTYPES, assert_bitwise, rand, torch_grads

OP = BY_NAME["relu"]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_gradient_at_exactly_zero_is_zero_in_torch_and_ours(dtype, impl):
    """ReLU'(0) = 0: torch's choice at the kink, for +0.0 and -0.0, pinned on both sides."""
    relu, relu_backward = OP.ours(impl)
    X = np.array([-1.0, -0.0, 0.0, 1e-300 if dtype == np.float64 else 1e-40, 2.0], dtype=dtype)
    dY = np.array([0.3, -1.7, 2.9, 0.7, -0.4], dtype=dtype)
    _, (dX_t,) = torch_grads(F.relu, [X], dY)
    dX = relu_backward(dY, X)
    np.testing.assert_array_equal(dX_t.numpy(), [0.0, 0.0, 0.0, dY[3], dY[4]])  # torch ...
    np.testing.assert_array_equal(dX, [0.0, 0.0, 0.0, dY[3], dY[4]])  # ... and ours
    # relu(-0.0) is -0.0; at NaN the gradient passes (torch masks on `Y <= 0`)
    assert np.signbit(relu(np.array([-0.0], dtype)))[0]
    assert relu_backward(np.array([0.5], dtype), np.array([np.nan], dtype))[0] == 0.5


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_inplace_like_torch(dtype, impl):
    relu, relu_backward = OP.ours(impl)
    rng = np.random.default_rng(1)
    X = rand(rng, (3, 4), dtype)
    X[0, :3] = [np.nan, -0.0, 0.0]
    original = X.copy()
    dY = rand(rng, (3, 4), dtype)

    T = torch.tensor(original)
    assert F.relu(T, inplace=True) is T  # torch returns its input, modified
    out = relu(X, inplace=True)
    assert out is X  # ours too: the same ndarray object
    assert_bitwise(X, T, "overwritten input")

    # the gradient read off the overwritten array equals torch's (mask Y <= 0 == mask X <= 0)
    leaf = torch.tensor(original, requires_grad=True)
    F.relu(leaf * 1, inplace=True).backward(torch.tensor(dY))
    assert_bitwise(relu_backward(dY, X, inplace=True), leaf.grad, "grad_input, from the output")
    assert_bitwise(relu_backward(dY, original), leaf.grad, "grad_input, from the input")


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_not_inplace_leaves_the_input_alone(impl):
    relu = OP.ours(impl)[0]
    X = np.array([-1.0, 0.0, 2.0])
    Y = relu(X)
    assert Y is not X and not np.shares_memory(Y, X)
    np.testing.assert_array_equal(X, [-1.0, 0.0, 2.0])


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_inplace_on_a_view_writes_through(impl):
    relu = OP.ours(impl)[0]
    base = np.array([[-1.0, 2.0], [3.0, -4.0]])
    view = base[:, 1]
    assert relu(view, inplace=True) is view
    np.testing.assert_array_equal(base, [[-1.0, 2.0], [3.0, 0.0]])
    strided = np.zeros((4, 6)) - 1.0
    strided[::2, 1::3] = [[0.5, -0.0], [2.0, np.nan]]
    view = strided[::2, 1::3]
    assert relu(view, inplace=True) is view
    assert_bitwise(view, np.array([[0.5, -0.0], [2.0, np.nan]]), "a strided view, in place")
    assert (strided[1::2] == -1).all()  # the rows between are untouched


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_inplace_needs_a_writeable_ndarray(impl):
    relu = OP.ours(impl)[0]
    X = np.array([-1.0, 2.0])
    X.flags.writeable = False
    with pytest.raises(ValueError, match=r"relu: inplace=True needs a writeable input"):
        relu(X, inplace=True)
    with pytest.raises(TypeError, match=r"relu: inplace=True needs a numpy.ndarray input"):
        relu(np.float64(-1.0), inplace=True)


@given(data=st.data())
def test_inplace_on_drawn_inputs(data):
    """inplace=True on the table's drawn calls (lesson and kernel): the result is written into
    the input, and the backward given that output equals torch's gradient."""
    sample = data.draw(OP.strategy(STYLES), "sample")
    (X,) = sample.arrays
    dY = rand(np.random.default_rng(data.draw(SEEDS, "seed")), X.shape, X.dtype)
    leaf = torch.tensor(X, requires_grad=True)
    out = F.relu(leaf.clone(), inplace=True)  # torch refuses in-place on a leaf
    out.backward(torch.from_numpy(dY))
    for impl in IMPLEMENTATIONS:
        relu, relu_backward = OP.ours(impl)
        X_ours = X.copy()
        Y = relu(X_ours, inplace=True)
        assert Y is X_ours
        assert_bitwise(Y, out, f"{impl} relu(inplace=True)")
        assert_bitwise(relu_backward(dY, Y, inplace=True), leaf.grad, f"{impl} relu_backward")
