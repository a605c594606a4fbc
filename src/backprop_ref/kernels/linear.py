"""Linear, the fast path: the lesson's semantics (backprop_ref.functional.linear) and its
checks (cached per shapes and dtypes), with the measured tricks of docs/performance.md."""

import math

import numpy as np

from ..functional.linear import _check as _lesson_check
from ..functional.linear import _check_grad as _lesson_check_grad
from . import _cache

_checked = _cache.Cache()


def _check(input, weight, bias, op):
    """The lesson's _check, skipped when these shapes and dtypes were checked before."""
    if _cache.plain(input) and _cache.plain(weight) and (bias is None or _cache.plain(bias)):
        key = (op, input.shape, input.dtype, weight.shape, weight.dtype)
        key += (None,) if bias is None else (bias.shape, bias.dtype)
        if key in _checked:
            return input, weight, bias
        _lesson_check(input, weight, bias, op)
        _checked.put(key, True)
        return input, weight, bias
    return _lesson_check(input, weight, bias, op)


def _check_grad(grad_output, X, W, op):
    if (
        type(grad_output) is np.ndarray
        and grad_output.dtype == X.dtype
        and grad_output.shape == (*X.shape[:-1], W.shape[0])
    ):
        return grad_output
    return _lesson_check_grad(grad_output, X, W, op)


def linear(input, weight, bias=None):
    """Y = X W^T + b, as torch.nn.functional.linear.

    Shapes: input (*, in), weight (out, in), bias (out,) -> (*, out)
    """
    X, W, b = _check(input, weight, bias, "linear")
    # --8<-- [start:linear-forward]
    Y = X @ W.T  # (1)
    if b is not None:
        Y += b  # (1), in place: Y is our own new array, so no second (*, out) array
    # --8<-- [end:linear-forward]
    return Y


def linear_backward(grad_output, input, weight, bias=None):
    """Returns (grad_input, grad_weight, grad_bias); grad_bias is None when bias is None.

    Shapes: grad_output (*, out), input (*, in), weight (out, in), bias (out,)
    """
    X, W, b = _check(input, weight, bias, "linear_backward")
    dY = _check_grad(grad_output, X, W, "linear_backward")
    # --8<-- [start:linear-backward]
    dX = dY @ W  # (2)
    N = math.prod(X.shape[:-1])  # every leading index folded into n
    dY2 = dY.reshape(N, W.shape[0])  # (N, out)
    X2 = X.reshape(N, W.shape[1])  # (N, in)
    # np.dot rather than @: for N = 1 this is an outer product, which numpy's matmul computes
    # without BLAS, several times slower
    dW = np.dot(dY2.T, X2)  # (3)
    db = None
    if b is not None:
        db = dY2.sum(axis=0, dtype=np.float64).astype(dY.dtype)  # (4), summed in float64
    # --8<-- [end:linear-backward]
    return dX, dW, db
