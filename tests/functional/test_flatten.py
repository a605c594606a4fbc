"""flatten / flatten_backward against torch.flatten and autograd: every (start_dim, end_dim)
pair for 0-d to 4-d inputs, negative dims, errors."""

import numpy as np
import pytest
import torch
from support import DTYPES, assert_close, rand, torch_grads

from backprop_ref.functional import flatten, flatten_backward

SHAPES = [(), (3,), (2, 3), (2, 3, 4), (2, 1, 3, 4), (2, 0, 3), (1, 6, 5, 5)]


def dims(ndim):
    """Every dim torch accepts for this ndim, and one past each end (which it rejects)."""
    span = max(ndim, 1)
    return range(-span - 1, span + 1)


def all_pairs():
    for shape in SHAPES:
        for s in dims(len(shape)):
            for e in dims(len(shape)):
                yield shape, s, e


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, start_dim, end_dim", list(all_pairs()), ids=str)
def test_every_dim_pair_like_torch(shape, start_dim, end_dim, dtype):
    rng = np.random.default_rng(len(shape))
    X = rand(rng, shape, dtype)
    try:
        expected = torch.flatten(torch.tensor(X), start_dim, end_dim)
    except (IndexError, RuntimeError) as torch_error:
        # torch: IndexError for a dim out of range, RuntimeError for start after end
        with pytest.raises(ValueError, match="flatten: ") as ours:
            flatten(X, start_dim, end_dim)
        if isinstance(torch_error, IndexError):
            assert isinstance(ours.value, IndexError)  # np.exceptions.AxisError is both
            assert "out of range" in str(ours.value) and str(shape) in str(ours.value)
        else:
            assert "comes after" in str(ours.value)
        with pytest.raises(ValueError, match="flatten: "):
            flatten_backward(rand(rng, (1,), dtype), X, start_dim, end_dim)
        return
    Y = flatten(X, start_dim, end_dim)
    assert Y.shape == tuple(expected.shape) and Y.dtype == X.dtype
    np.testing.assert_array_equal(Y, expected.numpy())
    dY = rand(rng, Y.shape, dtype)
    _, (dX_t,) = torch_grads(lambda x: torch.flatten(x, start_dim, end_dim), [X], dY)
    dX = flatten_backward(dY, X, start_dim, end_dim)
    assert_close(dX, dX_t, "grad_input")
    np.testing.assert_array_equal(dX, dX_t.numpy())  # a reshape moves numbers, computes none


def test_zero_d_input_gives_shape_one():
    X = np.array(2.5)
    for s, e in [(0, 0), (0, -1), (-1, 0), (-1, -1)]:
        assert flatten(X, s, e).shape == (1,) == tuple(torch.flatten(torch.tensor(X), s, e).shape)
    assert flatten_backward(np.array([0.5]), X).shape == ()
    # a numpy scalar (what arr.sum() returns) counts as 0-d
    assert flatten(np.float64(3.0)).shape == (1,)


def test_defaults_and_the_lenet_case():
    rng = np.random.default_rng(1)
    X = rand(rng, (4, 16, 5, 5), np.float64)
    assert flatten(X).shape == (1600,)
    Y = flatten(X, 1)
    assert Y.shape == (4, 400)
    np.testing.assert_array_equal(Y, torch.flatten(torch.tensor(X), 1).numpy())
    # LeNet's x.view(-1, num_flat_features(x)) is the same for a contiguous input
    np.testing.assert_array_equal(Y, torch.tensor(X).view(-1, 16 * 5 * 5).numpy())
    assert np.shares_memory(Y, X)  # a view, as torch's flatten of a contiguous tensor


@pytest.mark.parametrize("bad", [1.0, True, None, "1", (1,)])
def test_non_int_dims_are_type_errors(bad):
    X = np.zeros((2, 3, 4))
    with pytest.raises(TypeError):
        torch.flatten(torch.tensor(X), bad)
    with pytest.raises(TypeError, match="flatten: start_dim must be an int"):
        flatten(X, bad)
    with pytest.raises(TypeError, match="flatten: end_dim must be an int"):
        flatten(X, 0, bad)


def test_numpy_integer_dims_are_accepted_like_torch():
    X = np.zeros((2, 3, 4))
    assert flatten(X, np.int64(1)).shape == tuple(torch.flatten(torch.tensor(X), 1).shape)


def test_bad_arrays():
    with pytest.raises(TypeError, match="flatten: input must be float32 or float64"):
        flatten(np.zeros((2, 3), dtype=np.int32))
    with pytest.raises(TypeError, match=r"numpy\.ndarray"):
        flatten([[1.0, 2.0]])
    X = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match=r"output's shape \(2, 12\), got \(24,\)"):
        flatten_backward(np.zeros(24), X, 1)
    with pytest.raises(ValueError, match=r"output's shape \(2, 12\), got \(12, 2\)"):
        flatten_backward(np.zeros((12, 2)), X, 1)  # same size, wrong shape: not reshaped
    with pytest.raises(TypeError, match="one dtype"):
        flatten_backward(np.zeros((2, 12), np.float32), X, 1)
