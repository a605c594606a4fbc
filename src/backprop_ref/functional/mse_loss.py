"""Mean squared error loss: forward and backward. Chapter: docs/layers/mse_loss.md"""

import numpy as np

from . import _checks

_OP = "mse_loss"
REDUCTIONS = ("mean", "sum", "none")


def _check(input, target, reduction):
    X = _checks.array(input, "input", _OP)
    T = _checks.array(target, "target", _OP)
    _checks.same_dtype(_OP, input=X, target=T)
    if reduction not in REDUCTIONS:
        raise ValueError(f"{_OP}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if X.shape != T.shape:
        # torch broadcasts with a warning; a shape mismatch is almost always a bug
        # (the classic: (N, 1) predictions against (N,) targets), so we refuse it.
        raise ValueError(
            f"{_OP}: target must have the input's shape, got input {X.shape} and target "
            f"{T.shape}; torch would broadcast them (with only a warning), we refuse"
        )
    return X, T


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """L = mean or sum of (X - T)^2, as torch.nn.functional.mse_loss.

    Shapes: input (*), target (*) -> () for "mean" and "sum", (*) for "none".
    size_average and reduce (deprecated in torch) and weight (torch 2.13's weighted form) are
    not supported: only None is accepted.
    """
    _unsupported(size_average, reduce, weight)
    X, T = _check(input, target, reduction)
    # --8<-- [start:mse-forward]
    E = (X - T) ** 2  # (1)
    if reduction == "mean":
        L = E.mean(dtype=X.dtype)  # (2): divide by numel, every element of every sample
    elif reduction == "sum":
        L = E.sum(dtype=X.dtype)  # (3)
    else:
        L = E
    # --8<-- [end:mse-forward]
    return np.asarray(L)  # a 0-d array for "mean" and "sum", like torch's 0-d tensor


def mse_loss_backward(
    grad_output, input, target, size_average=None, reduce=None, reduction="mean", weight=None
):
    """Returns (grad_input, grad_target).

    Shapes: grad_output () for "mean"/"sum", (*) for "none"; input (*), target (*).
    """
    _unsupported(size_average, reduce, weight)
    X, T = _check(input, target, reduction)
    dL = _checks.array(grad_output, "grad_output", _OP)
    _checks.same_dtype(_OP, grad_output=dL, input=X)
    _checks.grad_like(dL, X.shape if reduction == "none" else (), _OP)
    # --8<-- [start:mse-backward]
    D = X - T
    if reduction == "mean":
        dX = 2 * D * (dL / D.size)  # (4): the factor 2 from the square, 1/numel from the mean
    else:
        dX = 2 * D * dL  # (5): "sum" (dL a scalar) and "none" (dL shaped like X)
    dT = -dX  # (6): L depends on X - T only, so the target's gradient is the negative
    # --8<-- [end:mse-backward]
    return dX.astype(X.dtype, copy=False), dT.astype(X.dtype, copy=False)


def _unsupported(size_average, reduce, weight):
    if size_average is not None or reduce is not None:
        raise NotImplementedError(
            f"{_OP}: size_average and reduce are deprecated in torch; use reduction= instead "
            f"(got size_average={size_average!r}, reduce={reduce!r})"
        )
    if weight is not None:
        # torch 2.13's weighted form divides "mean" by sum(weight), not numel; not covered here
        raise NotImplementedError(
            f"{_OP}: weight is not supported (got an array of shape "
            f"{getattr(weight, 'shape', None)}); pass weight=None"
        )
