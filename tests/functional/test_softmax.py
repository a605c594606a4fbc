"""softmax and log_softmax: a 3-class example worked by hand (docs/layers/softmax.md),
against the closed-form values and torch autograd. The op table's samples (every dim, 0-d,
ties, +-1000, empty rows, float32) are compared with torch in tests/test_parity.py."""

import numpy as np
import torch
import torch.nn.functional as F

from backprop_ref.functional import log_softmax, log_softmax_backward, softmax, softmax_backward

# x = (0, ln 2, ln 4): exp(x) = (1, 2, 4), the sum is 7, p = (1/7, 2/7, 4/7)
X = np.log([1.0, 2.0, 4.0])
P = np.array([1 / 7, 2 / 7, 4 / 7])


def _torch(fn, dY):
    x = torch.tensor(X, requires_grad=True)
    y = fn(x, dim=0)
    y.backward(torch.tensor(dY))
    return y.detach().numpy(), x.grad.numpy()


def _close(value, expected, name):
    np.testing.assert_allclose(value, expected, rtol=1e-14, atol=1e-14, err_msg=name)


def test_softmax_by_hand():
    # dP = (7, 0, -7): <dP, P> = 1 - 4 = -3, dX = P * (dP + 3) = (10, 6, -16) / 7      (3)
    dP = np.array([7.0, 0.0, -7.0])
    dX_hand = [10 / 7, 6 / 7, -16 / 7]
    # the Jacobian (2) of this row, entry by entry: diag(p) - p p^T, times 49
    J_hand = np.array([[6.0, -2.0, -4.0], [-2.0, 10.0, -8.0], [-4.0, -8.0, 12.0]]) / 49
    _close(J_hand.T @ dP, dX_hand, "J^T dP")
    P_torch, dX_torch = _torch(F.softmax, dP)
    _close(P_torch, P, "torch softmax")
    _close(softmax(X, dim=0), P, "our softmax")
    _close(dX_torch, dX_hand, "torch grad_input")
    _close(softmax_backward(dP, X, dim=0), dX_hand, "our grad_input")


def test_log_softmax_by_hand():
    # dY = (0, 7, 0): sum = 7, dX = dY - 7 P = (-1, 5, -4)                                (6)
    dY = np.array([0.0, 7.0, 0.0])
    logP_hand = [-np.log(7), np.log(2 / 7), np.log(4 / 7)]
    logP_torch, dX_torch = _torch(F.log_softmax, dY)
    _close(logP_torch, logP_hand, "torch log_softmax")
    _close(log_softmax(X, dim=0), logP_hand, "our log_softmax")
    _close(dX_torch, [-1.0, 5.0, -4.0], "torch grad_input")
    _close(log_softmax_backward(dY, X, dim=0), [-1.0, 5.0, -4.0], "our grad_input")


def test_scores_of_1000_stay_finite():
    """(1000, 999, -1000): exp(1000) overflows; after the max-subtraction p = (1, e^-1, 0)
    / (1 + e^-1), and log p = (0, -1, -2000) - log(1 + e^-1)."""
    X = np.array([1000.0, 999.0, -1000.0])
    lse = np.log1p(np.exp(-1.0))
    _close(softmax(X, dim=0), np.array([1.0, np.exp(-1.0), 0.0]) / (1 + np.exp(-1.0)), "softmax")
    _close(log_softmax(X, dim=0), np.array([0.0, -1.0, -2000.0]) - lse, "log_softmax")
    dY = np.random.default_rng(0).standard_normal(3)
    for ours, backward, theirs in [
        (softmax, softmax_backward, F.softmax),
        (log_softmax, log_softmax_backward, F.log_softmax),
    ]:
        x = torch.tensor(X, requires_grad=True)
        y = theirs(x, dim=0)
        y.backward(torch.tensor(dY))
        dX = backward(dY, X, dim=0)
        assert np.isfinite(dX).all()
        np.testing.assert_allclose(ours(X, dim=0), y.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dX, x.grad.numpy(), rtol=1e-10, atol=1e-12)
