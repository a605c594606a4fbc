"""batch_norm: what is not a parity-per-sample. The output and the gradients of every op-table
sample against torch autograd are in tests/test_parity.py, the bad input in
tests/test_bad_input.py. Here: the running statistics, which training mode updates in place,
over several successive calls against torch's own update; the cumulative average
(momentum=None) of nn.BatchNorm; the one-value-per-channel error; the staged backward of the
chapter (docs/layers/batch_norm.md) against the closed form and torch.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from backprop_ref.functional import batch_norm, batch_norm_backward
from backprop_ref.functional.batch_norm import batch_norm_backward_staged

TIGHT = {"rtol": 1e-12, "atol": 1e-13}  # float64: a few roundings apart at most
SHAPES = [(5, 3), (4, 3, 6), (3, 3, 4, 5)]  # (N, C), (N, C, L), (N, C, H, W)


def close(ours, theirs, name):
    if isinstance(theirs, torch.Tensor):
        theirs = theirs.detach().numpy()
    np.testing.assert_allclose(ours, theirs, err_msg=name, **TIGHT)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("momentum", [0.1, 0.3])
def test_running_statistics_follow_torch_over_several_calls(shape, momentum):
    """Five training calls on different batches: after each, running_mean and running_var hold
    what torch's hold, in the same array objects; the input is left alone."""
    rng = np.random.default_rng(len(shape) * 10 + int(momentum * 10))
    C = shape[1]
    rm, rv = rng.standard_normal(C), rng.random(C) + 0.5  # as a trained model holds them
    rm_t, rv_t = torch.tensor(rm), torch.tensor(rv)
    same_mean, same_var = rm, rv
    w, b = rng.standard_normal(C), rng.standard_normal(C)
    for call in range(5):
        X = rng.standard_normal(shape) * (1 + call) + call  # each batch its own mean and spread
        X_before = X.copy()
        Y = batch_norm(X, rm, rv, w, b, training=True, momentum=momentum)
        Y_t = F.batch_norm(
            torch.tensor(X), rm_t, rv_t, torch.tensor(w), torch.tensor(b), True, momentum
        )
        assert rm is same_mean and rv is same_var  # updated in place, not rebound
        np.testing.assert_array_equal(X, X_before)  # the input is not modified
        close(rm, rm_t, f"running_mean after call {call + 1}")
        close(rv, rv_t, f"running_var after call {call + 1}")
        close(Y, Y_t, f"output of call {call + 1}")


def test_unbiased_variance_for_the_running_estimate_biased_for_normalizing():
    """momentum=1 replaces the running statistics by the batch's: the running variance is
    the unbiased one (divide by M - 1), the normalization uses the biased one (divide by M).
    M = 2 * 3 = 6 values per channel, so the two differ by the factor 6/5."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((2, 4, 3))
    rm, rv = np.zeros(4), np.ones(4)
    rm_t, rv_t = torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64)
    Y = batch_norm(X, rm, rv, training=True, momentum=1.0)
    Y_t = F.batch_norm(torch.tensor(X), rm_t, rv_t, training=True, momentum=1.0)
    by_channel = X.transpose(1, 0, 2).reshape(4, -1)  # (C, M)
    close(rv, by_channel.var(axis=1, ddof=1), "running_var: unbiased")
    close(rv_t, by_channel.var(axis=1, ddof=1), "torch's running_var: unbiased")
    close(rm, by_channel.mean(axis=1), "running_mean")
    mu, var = X.mean(axis=(0, 2), keepdims=True), X.var(axis=(0, 2), keepdims=True)  # biased
    close(Y, (X - mu) / np.sqrt(var + 1e-5), "output: normalized by the biased variance")
    close(Y, Y_t, "output")


def test_momentum_none_is_refused_as_by_torch():
    """F.batch_norm takes momentum as a float and refuses None; so do we, with a TypeError
    that says how nn.BatchNorm(momentum=None)'s cumulative average is written instead."""
    X, rm, rv = np.random.default_rng(0).standard_normal((4, 3)), np.zeros(3), np.ones(3)
    with pytest.raises(TypeError, match="momentum"):
        F.batch_norm(torch.tensor(X), torch.tensor(rm), torch.tensor(rv), None, None, True, None)
    with pytest.raises(TypeError, match=r"batch_norm: momentum must be a float, got None.*1/t"):
        batch_norm(X, rm, rv, training=True, momentum=None)
    np.testing.assert_array_equal(rm, 0.0)  # refused before anything is written
    np.testing.assert_array_equal(rv, 1.0)


@pytest.mark.parametrize(
    ("module", "shape"), [(torch.nn.BatchNorm1d, (6, 3, 5)), (torch.nn.BatchNorm2d, (2, 3, 4, 3))]
)
def test_cumulative_average_is_momentum_one_over_t(module, shape):
    """nn.BatchNorm(momentum=None) passes F.batch_norm the factor 1/num_batches_tracked:
    after t calls the running statistics are the plain average of the t batches' statistics
    (starting from mean 0, variance 1, which call 1 overwrites). Ours with momentum=1/t at call
    t gives the same numbers."""
    rng = np.random.default_rng(7)
    C = shape[1]
    bn = module(C, momentum=None, affine=False).double().train()
    rm, rv = np.zeros(C), np.ones(C)  # the module's initial running statistics
    batch_means, batch_vars = [], []
    for t in range(1, 6):
        X = rng.standard_normal(shape) * t + 2.0 * t
        Y_t = bn(torch.tensor(X))
        Y = batch_norm(X, rm, rv, training=True, momentum=1.0 / t)
        close(Y, Y_t, f"output of call {t}")
        close(rm, bn.running_mean, f"running_mean after call {t}")
        close(rv, bn.running_var, f"running_var after call {t}")
        by_channel = np.moveaxis(X, 1, 0).reshape(C, -1)
        batch_means.append(by_channel.mean(axis=1))
        batch_vars.append(by_channel.var(axis=1, ddof=1))
        close(rm, np.mean(batch_means, axis=0), "the average of the batch means")
        close(rv, np.mean(batch_vars, axis=0), "the average of the unbiased batch variances")
    assert int(bn.num_batches_tracked) == 5


def test_evaluation_reads_the_running_statistics_and_writes_nothing():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((4, 3, 2))
    rm, rv = rng.standard_normal(3), rng.random(3) + 0.5
    rm0, rv0 = rm.copy(), rv.copy()
    Y = batch_norm(X, rm, rv, training=False, momentum=0.5)
    np.testing.assert_array_equal(rm, rm0)
    np.testing.assert_array_equal(rv, rv0)
    close(Y, F.batch_norm(torch.tensor(X), torch.tensor(rm0), torch.tensor(rv0)), "output")


def test_running_statistics_that_are_views_are_written_through():
    """running_mean and running_var may be views into a larger buffer (strided here, as a
    model that keeps all its buffers in one array): the update lands in that buffer, as
    torch's in-place update lands in a strided tensor's storage."""
    rng = np.random.default_rng(11)
    buffer = np.stack([np.zeros(3), np.ones(3)], axis=1).copy()  # (3, 2): columns mean, var
    buffer_t = torch.tensor(buffer)
    for call in range(3):
        X = rng.standard_normal((6, 3)) + call
        batch_norm(X, buffer[:, 0], buffer[:, 1], training=True, momentum=0.3)
        F.batch_norm(torch.tensor(X), buffer_t[:, 0], buffer_t[:, 1], training=True, momentum=0.3)
    close(buffer, buffer_t, "the buffer holding both running statistics")


@pytest.mark.parametrize("shape", [(1, 3), (1, 3, 1), (1, 2, 1, 1)])
def test_one_value_per_channel_in_training_raises_as_torch(shape):
    """N = 1 with a spatial size of 1: each channel's variance would be 0/0 for the running
    estimate. torch raises; so do we, naming the function and the input's shape."""
    X = np.random.default_rng(0).standard_normal(shape)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        F.batch_norm(torch.tensor(X), None, None, training=True)
    for fn, args in ((batch_norm, (X,)), (batch_norm_backward, (X, X))):
        pattern = rf"^{fn.__name__}: Expected more than 1 value per channel when training, .*"
        with pytest.raises(ValueError, match=pattern + rf"\({shape[0]}, {shape[1]}"):
            fn(*args, None, None, training=True)


def test_one_sample_with_several_positions_trains():
    """N = 1 is fine when each channel still has several values (1 x L of them)."""
    rng = np.random.default_rng(2)
    X, dY = rng.standard_normal((1, 3, 4)), rng.standard_normal((1, 3, 4))
    x = torch.tensor(X, requires_grad=True)
    F.batch_norm(x, None, None, training=True).backward(torch.tensor(dY))
    close(batch_norm_backward(dY, X, None, None, training=True)[0], x.grad, "grad_input")


@pytest.mark.parametrize("shape", SHAPES)
def test_staged_backward_equals_the_closed_form_and_torch(shape):
    """The chapter's two derivations: the graph stage by stage and the closed form (8) give
    the same grad_input, and both are torch's."""
    rng = np.random.default_rng(sum(shape))
    C = shape[1]
    X, dY = rng.standard_normal(shape) * 3 + 1, rng.standard_normal(shape)
    w, b = rng.standard_normal(C), rng.standard_normal(C)
    x = torch.tensor(X, requires_grad=True)
    F.batch_norm(x, None, None, torch.tensor(w), torch.tensor(b), training=True).backward(
        torch.tensor(dY)
    )
    staged = batch_norm_backward_staged(dY, X, w)
    closed = batch_norm_backward(dY, X, None, None, w, b, training=True)[0]
    close(staged, closed, "staged == closed form")
    close(staged, x.grad, "staged == torch")
    close(batch_norm_backward_staged(dY, X), torch_grad_without_weight(X, dY), "staged, no weight")


def torch_grad_without_weight(X, dY):
    x = torch.tensor(X, requires_grad=True)
    F.batch_norm(x, None, None, training=True).backward(torch.tensor(dY))
    return x.grad
