"""Mean squared error loss: forward and backward. Chapter: docs/layers/mse_loss.md

There is no separate kernel: backprop_ref.kernels.mse_loss is this code.
"""

import numpy as np

from . import _checks


def _check(input, target, size_average, reduce, reduction, weight, op):
    _checks.reduction(reduction, size_average, reduce, op)
    _unsupported(weight, op)
    X = _checks.array(input, "input", op)
    T = _checks.array(target, "target", op)
    _checks.same_dtype(op, input=X, target=T)
    if X.shape != T.shape:
        # torch broadcasts with a warning; a shape mismatch is almost always a bug
        # (the classic: (N, 1) predictions against (N,) targets), so we refuse it.
        raise ValueError(
            f"{op}: target must have the input's shape, got input {X.shape} and target "
            f"{T.shape}; torch would broadcast them (with only a warning), we refuse"
        )
    return X, T


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """L = mean or sum of (X - T)^2, as torch.nn.functional.mse_loss.

    Shapes: input (*), target (*) -> () for "mean" and "sum", (*) for "none".
    size_average and reduce (deprecated in torch) and weight (torch 2.13's weighted form) are
    not supported: only None is accepted.
    """
    X, T = _check(input, target, size_average, reduce, reduction, weight, "mse_loss")
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
    op = "mse_loss_backward"
    X, T = _check(input, target, size_average, reduce, reduction, weight, op)
    dL = _checks.array(grad_output, "grad_output", op)
    _checks.same_dtype(op, grad_output=dL, input=X)
    _checks.grad_like(dL, X.shape if reduction == "none" else (), op)
    # --8<-- [start:mse-backward]
    # the constant first, in X's dtype, then (X - T), then dL: torch's order, so that a large
    # X - T is scaled down before it is doubled (2 * 2e38 would overflow float32)
    numel = max(X.size, 1)  # (an empty input has nothing to scale)
    c = X.dtype.type(2 / numel if reduction == "mean" else 2)  # (4) mean: 2/numel; (5) sum, none
    dX = np.asarray(c * (X - T) * dL)  # (4), (5); asarray: a 0-d X gives a 0-d array
    dT = np.asarray(-dX)  # (6): L depends on X - T only, so the target's gradient is the negative
    # --8<-- [end:mse-backward]
    return dX, dT


def _unsupported(weight, op):
    if weight is not None:
        # torch 2.13's weighted form divides "mean" by sum(weight), not numel; not covered here
        raise NotImplementedError(
            f"{op}: weight is not supported (got an array of shape "
            f"{getattr(weight, 'shape', None)}); pass weight=None"
        )
