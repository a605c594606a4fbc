"""flatten: what is not a parity-per-sample. Every (start_dim, end_dim) pair torch accepts, for
0-d to 4-d inputs, is a sample of the op table (tests/test_parity.py, bit for bit); the bad
input is in tests/test_bad_input.py. Here: every pair torch rejects, raised as torch does, and
the view flatten returns."""

import numpy as np
import pytest
import torch
from op_table import BY_NAME, IMPLEMENTATIONS
from support import rand

OP = BY_NAME["flatten"]
SHAPES = [(), (3,), (2, 3), (2, 3, 4), (2, 1, 3, 4), (2, 0, 3), (1, 6, 5, 5)]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_every_rejected_dim_pair_like_torch(impl):
    """One past each end of the dims (IndexError in torch; ours is np.exceptions.AxisError,
    both an IndexError and a ValueError), and start after end (RuntimeError in torch)."""
    flatten, flatten_backward = OP.ours(impl)
    rejected = 0
    for shape in SHAPES:
        X = rand(np.random.default_rng(0), shape, np.float64)
        span = max(len(shape), 1)
        for start in range(-span - 1, span + 1):
            for end in range(-span - 1, span + 1):
                try:
                    torch.flatten(torch.tensor(X), start, end)
                    continue
                except (IndexError, RuntimeError) as error:
                    torch_error = error
                with pytest.raises(ValueError, match=r"^flatten: ") as ours:
                    flatten(X, start, end)
                if isinstance(torch_error, IndexError):
                    assert isinstance(ours.value, IndexError)
                    assert "out of range" in str(ours.value) and str(shape) in str(ours.value)
                else:
                    assert "comes after" in str(ours.value)
                with pytest.raises(ValueError, match=r"^flatten_backward: "):
                    flatten_backward(np.zeros(1), X, start, end)
                rejected += 1
    assert rejected > 100


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_zero_d_input_gives_shape_one(impl):
    flatten, flatten_backward = OP.ours(impl)
    X = np.array(2.5)
    for s, e in [(0, 0), (0, -1), (-1, 0), (-1, -1)]:
        assert flatten(X, s, e).shape == (1,) == tuple(torch.flatten(torch.tensor(X), s, e).shape)
    assert flatten_backward(np.array([0.5]), X).shape == ()


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_a_view_like_torch_and_lenets_view(impl):
    flatten = OP.ours(impl)[0]
    X = rand(np.random.default_rng(1), (4, 16, 5, 5), np.float64)
    Y = flatten(X, 1)
    # LeNet's x.view(-1, num_flat_features(x)) is the same for a contiguous input
    np.testing.assert_array_equal(Y, torch.tensor(X).view(-1, 16 * 5 * 5).numpy())
    assert np.shares_memory(Y, X)  # a view, as torch's flatten of a contiguous tensor
