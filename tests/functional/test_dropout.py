"""dropout: what the op table cannot express. Its parity with torch (torch's own mask, read
back from F.dropout under a fixed seed) is in tests/test_parity.py and test_properties.py.
Here: the random mask from a numpy Generator, the given mask's checks, torch's object identity
in evaluation mode, and reading torch's mask from its output."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from op_table import BY_NAME, IMPLEMENTATIONS

from backprop_ref.functional.dropout import draw_mask, read_torch_mask

OP = BY_NAME["dropout"]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_generator_draws_the_mask_draw_mask_returns(impl):
    """generator=rng(s) and mask=draw_mask(shape, p, rng(s)) give the same output; the backward
    with that mask scales exactly the kept entries by 1 / (1 - p)."""
    dropout, dropout_backward = OP.ours(impl)
    X = np.random.default_rng(0).standard_normal((200, 50)) + 5  # no zeros
    Y = dropout(X, 0.3, generator=np.random.default_rng(7))
    M = draw_mask(X.shape, 0.3, np.random.default_rng(7))
    np.testing.assert_array_equal(Y, dropout(X, 0.3, mask=M))
    np.testing.assert_array_equal(Y != 0, M)
    assert abs(M.mean() - 0.7) < 0.01  # P(kept) = 1 - p: 10,000 draws
    dY = np.random.default_rng(1).standard_normal(X.shape)
    np.testing.assert_array_equal(
        dropout_backward(dY, X, 0.3, mask=M), dY * (M / 0.7)
    )  # (3): the scale first, as torch
    # no generator: a fresh one each call (torch's default generator is global state instead)
    assert not np.array_equal(dropout(X, 0.5), dropout(X, 0.5))


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_evaluation_and_p0_return_the_input_itself_as_torch(impl):
    dropout = OP.ours(impl)[0]
    X = np.ones((2, 3))
    T = torch.ones(2, 3)
    assert F.dropout(T, 0.5, training=False) is T and F.dropout(T, 0.0) is T  # torch ...
    assert dropout(X, 0.5, training=False) is X and dropout(X, 0.0) is X  # ... and ours
    assert dropout(X, 0.5, mask=np.ones((2, 3), bool)) is not X  # training: a new array


def test_read_torch_mask():
    x = np.random.default_rng(2).standard_normal((4, 6)) + 10
    y = F.dropout(torch.tensor(x), 0.5)
    mask = read_torch_mask(y.numpy(), x)
    np.testing.assert_array_equal(y.numpy(), x * mask / 0.5)
    with pytest.raises(ValueError, match="zeros or NaN"):
        read_torch_mask(y.numpy(), np.zeros_like(x))


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"mask": np.ones((3, 2), bool)}, ValueError, r"mask must have the input's shape \(2, 3\)"),
        ({"mask": [[1, 0, 1], [0, 1, 1]]}, TypeError, "mask must be a numpy.ndarray"),
        ({"mask": np.full((2, 3), 0.5)}, ValueError, "only 0 and 1"),
        ({"mask": np.full((2, 3), "1")}, TypeError, "bool or 0/1"),
        ({"p": 0.0, "mask": np.zeros((2, 3), bool)}, ValueError, "disagrees with p=0.0"),
        ({"p": 1.0, "mask": np.ones((2, 3), bool)}, ValueError, "disagrees with p=1.0"),
        ({"generator": np.random.default_rng}, TypeError, "numpy.random.Generator"),
    ],
)
def test_bad_mask_and_generator(kwargs, error, match, impl):
    dropout, dropout_backward = OP.ours(impl)
    X = np.ones((2, 3))
    with pytest.raises(error, match="^dropout: .*" + match):
        dropout(X, **{"p": 0.5, **kwargs})
    if "generator" not in kwargs:
        with pytest.raises(error, match="^dropout_backward: .*" + match):
            dropout_backward(X, X, **{"p": 0.5, **kwargs})


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_backward_needs_the_mask_in_training(impl):
    dropout_backward = OP.ours(impl)[1]
    X = np.ones((2, 3))
    with pytest.raises(ValueError, match=r"^dropout_backward: mask= is required.*\(2, 3\)"):
        dropout_backward(X, X, 0.5)
    np.testing.assert_array_equal(dropout_backward(X, X, 0.5, training=False), X)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_inplace_on_a_read_only_input_raises(impl):
    X = np.ones((2, 3))
    X.flags.writeable = False
    with pytest.raises(ValueError, match=r"^dropout: inplace=True needs a writeable"):
        OP.ours(impl)[0](X, 0.5, inplace=True, mask=np.ones((2, 3), bool))
