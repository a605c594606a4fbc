"""mse_loss: what is not a parity-per-sample. The torch comparisons of the op table's samples
(every reduction on 0-d to 4-d shapes, input == target, NaN and inf, a numpy scalar upstream
gradient, empty inputs) are in tests/test_parity.py; the bad input (a broadcasting target, mixed
dtypes) in tests/test_bad_input.py; size_average, reduce and weight in
tests/test_interface_parity.py. Here: torch's choices pinned by hand, and identities."""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from op_table import BY_NAME, IMPLEMENTATIONS
from support import assert_close, rand, torch_grads

OP = BY_NAME["mse_loss"]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_mean_divides_by_the_number_of_elements_not_the_batch_size(impl):
    """(N, D) = (4, 3), every error 1: the mean is 12/12 = 1, not 12/4 = 3; d/dx = 2/12."""
    mse_loss, mse_loss_backward = OP.ours(impl)
    X = np.ones((4, 3))
    T = np.zeros((4, 3))
    assert F.mse_loss(torch.tensor(X), torch.tensor(T)).item() == 1.0  # torch divides by 12 ...
    assert mse_loss(X, T) == 1.0  # ... and so do we
    dL = np.array(0.75)
    _, (dX_t, _) = torch_grads(F.mse_loss, [X, T], dL)
    dX, _ = mse_loss_backward(dL, X, T)
    np.testing.assert_array_equal(dX_t.numpy(), np.full((4, 3), 2 * 1 * 0.75 / 12))
    np.testing.assert_array_equal(dX, np.full((4, 3), 2 * 1 * 0.75 / 12))


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_mean_is_sum_over_numel(impl):
    mse_loss, mse_loss_backward = OP.ours(impl)
    rng = np.random.default_rng(1)
    X = rand(rng, (2, 3, 4), np.float64)
    T = rand(rng, (2, 3, 4), np.float64)
    dL = rand(rng, (), np.float64)
    assert_close(mse_loss(X, T), mse_loss(X, T, reduction="sum") / 24, "loss")
    dX_mean, _ = mse_loss_backward(dL, X, T)
    dX_sum, _ = mse_loss_backward(dL, X, T, reduction="sum")
    assert_close(dX_mean, dX_sum / 24, "grad_input")


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_grad_target_is_minus_grad_input(impl, reduction):
    mse_loss_backward = OP.ours(impl)[1]
    rng = np.random.default_rng(2)
    X = rand(rng, (3, 5), np.float64)
    T = rand(rng, (3, 5), np.float64)
    dL = rand(rng, (3, 5) if reduction == "none" else (), np.float64)
    dX, dT = mse_loss_backward(dL, X, T, reduction=reduction)
    np.testing.assert_array_equal(dT, -dX)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_equal_input_and_target_give_zero_gradient(impl):
    mse_loss, mse_loss_backward = OP.ours(impl)
    X = np.array([[1.5, -2.0], [0.0, 3.25]])
    dX, dT = mse_loss_backward(np.array(0.9), X, X.copy())
    assert (dX == 0).all() and (dT == 0).all()
    assert mse_loss(X, X.copy()) == 0


def test_torch_broadcasts_a_target_of_another_shape_which_we_refuse():
    """(N, 1) predictions against (N,) targets: torch warns and broadcasts to (N, N), the
    classic silent bug; the table's row "target broadcasts" holds our refusal."""
    X, T = np.zeros((4, 1)), np.zeros(4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = F.mse_loss(torch.tensor(X), torch.tensor(T), reduction="none")
    assert out.shape == (4, 4)
    assert any("broadcasting" in str(w.message) for w in caught)
    for impl in IMPLEMENTATIONS:
        with pytest.raises(ValueError, match=r"target must have the input's shape.*broadcast"):
            OP.ours(impl)[0](X, T)
