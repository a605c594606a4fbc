"""Batch normalization: forward and backward. Chapter: docs/layers/batch_norm.md

Index letters as in the chapter: n batch, c channel, and the spatial positions (none, l, or
h, w) folded into the statistics with n. The statistics of channel c run over its
M = N * (spatial size) values: the mean mu_c and the biased variance var_c normalize; the
running variance takes the unbiased one, var_c * M / (M - 1) (Bessel's correction), as torch.
"""

import numpy as np

from . import _checks


def _setup(input, running_mean, running_var, weight, bias, training, momentum, eps, op):
    """Check the arguments as torch does; return them as arrays, and the statistics' axes."""
    X = _checks.array(input, "input", op)
    if X.ndim < 2:
        raise ValueError(f"{op}: expected input of shape (N, C, *), got {X.shape}")
    if not isinstance(training, (bool, np.bool_)):
        raise TypeError(f"{op}: training must be a bool, got {training!r}")
    training = bool(training)
    if momentum is None:
        raise TypeError(
            f"{op}: momentum must be a float, got None (torch.nn.functional.batch_norm refuses "
            "None too; the cumulative average of BatchNorm(momentum=None) is momentum = 1/t at "
            "call t)"
        )
    for name, v in (("momentum", momentum), ("eps", eps)):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.floating)):
            raise TypeError(f"{op}: {name} must be a float, got {v!r}")
    C = X.shape[1]
    given = {}
    for name, v in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        v = _checks.optional_array(v, name, op)
        if v is not None and v.shape != (C,):
            raise ValueError(f"{op}: {name} must have shape (C,) = ({C},), got {v.shape}")
        given[name] = v
    _checks.same_dtype(op, input=X, **given)
    if not training and (given["running_mean"] is None or given["running_var"] is None):
        raise ValueError(
            f"{op}: running_mean and running_var must be given in evaluation mode "
            f"(training=False), for input {X.shape}"
        )
    axes = (0, *range(2, X.ndim))  # n and the spatial axes: one statistic per channel
    M = X.shape[0] * int(np.prod(X.shape[2:]))  # values per channel
    if training and M == 1:
        raise ValueError(
            f"{op}: Expected more than 1 value per channel when training, got input of shape "
            f"{X.shape}"
        )
    if eps < 0 or (training and eps == 0):
        when = "positive during training" if training else "non-negative"
        raise ValueError(f"{op}: eps must be {when}, got {eps}")
    return X, given, training, float(momentum), float(eps), axes, M


def _per_channel(v, X):
    """A (C,) array (or None) shaped (1, C, 1, ...) to broadcast against X."""
    return None if v is None else v.reshape((1, -1) + (1,) * (X.ndim - 2))


def batch_norm(
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-5,
):
    """Y = (X - mu) / sqrt(var + eps) * weight + bias, per channel, as
    torch.nn.functional.batch_norm. Training: mu, var from the batch (biased), and the running
    statistics, when given, updated in place; evaluation: mu, var = running_mean, running_var.

    Shapes: input (N, C, *), running_mean, running_var, weight, bias (C,) -> (N, C, *)
    """
    op = "batch_norm"
    X, s, training, m, eps, axes, M = _setup(
        input, running_mean, running_var, weight, bias, training, momentum, eps, op
    )
    if M == 0:  # an empty batch: torch returns an empty output and leaves the statistics alone
        return np.empty_like(X)
    gamma, beta = _per_channel(s["weight"], X), _per_channel(s["bias"], X)
    # --8<-- [start:batch-norm-forward]
    if training:
        mu = X.mean(axis=axes, keepdims=True)  # (1)
        var = ((X - mu) ** 2).mean(axis=axes, keepdims=True)  # (2) biased: divide by M
        _update_running(s["running_mean"], s["running_var"], mu, var, m, M)
    else:
        mu = _per_channel(s["running_mean"], X)  # evaluation: the running estimates
        var = _per_channel(s["running_var"], X)
    X_hat = (X - mu) / np.sqrt(var + eps)  # (3)
    Y = X_hat if gamma is None else X_hat * gamma  # (4)
    Y = Y if beta is None else Y + beta
    # --8<-- [end:batch-norm-forward]
    return Y


# --8<-- [start:batch-norm-running]
def _update_running(running_mean, running_var, mu, var, m, M):
    """In place, as torch: r <- (1 - m) r + m * batch statistic, with the unbiased variance."""
    if running_mean is not None:
        running_mean *= 1 - m
        running_mean += m * mu.ravel()  # (10)
    if running_var is not None:
        running_var *= 1 - m
        running_var += m * var.ravel() * (M / (M - 1))  # (11) Bessel's correction


# --8<-- [end:batch-norm-running]


def batch_norm_backward(
    grad_output,
    input,
    running_mean,
    running_var,
    weight=None,
    bias=None,
    training=False,
    momentum=0.1,
    eps=1e-5,
):
    """(grad_input, None, None, grad_weight, grad_bias): the closed form (8) in training, a
    scaling (9) in evaluation. Nothing is updated (the forward updated the running statistics).

    Shapes: grad_output and input (N, C, *) -> grad_input (N, C, *), grad_weight, grad_bias (C,);
    grad_weight (grad_bias) is None when weight (bias) is None.
    """
    op = "batch_norm_backward"
    X, s, training, _, eps, axes, M = _setup(
        input, running_mean, running_var, weight, bias, training, momentum, eps, op
    )
    dY = _checks.array(grad_output, "grad_output", op)
    _checks.same_dtype(op, grad_output=dY, input=X)
    _checks.grad_like(dY, X.shape, op)
    gamma = _per_channel(s["weight"], X)
    if M == 0:  # nothing flows: empty grad_input, zero grad_weight and grad_bias
        zeros = np.zeros(X.shape[1], X.dtype)
        return (
            np.zeros_like(X),
            None,
            None,
            None if gamma is None else zeros,
            None if s["bias"] is None else zeros.copy(),
        )
    # --8<-- [start:batch-norm-backward]
    if training:
        mu = X.mean(axis=axes, keepdims=True)  # (1)
        var = ((X - mu) ** 2).mean(axis=axes, keepdims=True)  # (2)
    else:
        mu, var = _per_channel(s["running_mean"], X), _per_channel(s["running_var"], X)
    sigma = np.sqrt(var + eps)
    X_hat = (X - mu) / sigma  # (3)
    dX_hat = dY if gamma is None else dY * gamma  # (5)
    if training:  # mu and var depend on X: the closed form
        dX = (
            dX_hat
            - dX_hat.mean(axis=axes, keepdims=True)
            - X_hat * (dX_hat * X_hat).mean(axis=axes, keepdims=True)
        ) / sigma  # (8)
    else:  # mu and var are constants: a per-channel scaling
        dX = dX_hat / sigma  # (9)
    dgamma = (dY * X_hat).sum(axis=axes)  # (6)
    dbeta = dY.sum(axis=axes)  # (7)
    # --8<-- [end:batch-norm-backward]
    return (
        dX,
        None,  # torch gives the running statistics no gradient
        None,
        None if gamma is None else dgamma,
        None if s["bias"] is None else dbeta,
    )


def batch_norm_backward_staged(grad_output, input, weight=None, eps=1e-5):
    """grad_input in training mode, stage by stage through the graph (1)-(4), each stage's
    local derivative times the upstream one (the chapter's staged derivation). Tested equal to
    the closed form (8)."""
    dY, X = grad_output, input
    axes = (0, *range(2, X.ndim))
    M = X.shape[0] * int(np.prod(X.shape[2:]))
    gamma = 1.0 if weight is None else _per_channel(weight, X)
    # --8<-- [start:batch-norm-staged]
    # forward, one node at a time
    mu = X.sum(axis=axes, keepdims=True) / M  # (1)
    Xc = X - mu  # centred
    var = (Xc**2).sum(axis=axes, keepdims=True) / M  # (2)
    inv = (var + eps) ** -0.5  # 1 / sigma
    # X_hat = Xc * inv  (3), then Y = gamma * X_hat + beta  (4)
    # backward, the same nodes in reverse
    dX_hat = dY * gamma  # (5)
    dinv = (dX_hat * Xc).sum(axis=axes, keepdims=True)  # X_hat = Xc * inv
    dXc = dX_hat * inv  # ... its other factor
    dvar = dinv * -0.5 * (var + eps) ** -1.5  # inv = (var + eps)^(-1/2)
    dXc = dXc + dvar * 2 * Xc / M  # var = sum(Xc^2) / M: the path through the variance
    dmu = -dXc.sum(axis=axes, keepdims=True)  # Xc = X - mu
    dX = dXc + dmu / M  # mu = sum(X) / M: the path through the mean
    # --8<-- [end:batch-norm-staged]
    return dX
