"""Linear layer: forward and backward. Chapter: docs/layers/linear.md"""

import math

import numpy as np

from . import _checks

_OP = "linear"


def _check(input, weight, bias):
    X = _checks.array(input, "input", _OP)
    W = _checks.array(weight, "weight", _OP)
    b = _checks.optional_array(bias, "bias", _OP)
    _checks.same_dtype(_OP, input=X, weight=W, bias=b)
    if W.ndim != 2:
        raise ValueError(f"{_OP}: weight must be 2-D (out_features, in_features), got {W.shape}")
    if X.ndim < 1:
        raise ValueError(
            f"{_OP}: input must have shape (*, in_features), got a 0-d input {X.shape}"
        )
    if X.shape[-1] != W.shape[1]:
        raise ValueError(
            f"{_OP}: input's last dimension must equal weight's in_features {W.shape[1]}; "
            f"got input {X.shape} and weight {W.shape}"
        )
    if b is not None and b.shape != (W.shape[0],):
        raise ValueError(
            f"{_OP}: bias must have shape (out_features,) = ({W.shape[0]},), got {b.shape} "
            f"for weight {W.shape}"
        )
    return X, W, b


def linear(input, weight, bias=None):
    """Y = X W^T + b, as torch.nn.functional.linear.

    Shapes: input (*, in), weight (out, in), bias (out,) -> (*, out)
    """
    X, W, b = _check(input, weight, bias)
    # --8<-- [start:linear-forward]
    Y = X @ W.T  # (1)
    if b is not None:
        Y = Y + b  # (1), b broadcast over every leading index
    # --8<-- [end:linear-forward]
    return Y


def linear_backward(grad_output, input, weight, bias=None):
    """Returns (grad_input, grad_weight, grad_bias); grad_bias is None when bias is None.

    Shapes: grad_output (*, out), input (*, in), weight (out, in), bias (out,)
    """
    X, W, b = _check(input, weight, bias)
    dY = _checks.array(grad_output, "grad_output", _OP)
    _checks.same_dtype(_OP, grad_output=dY, input=X)
    _checks.grad_like(dY, (*X.shape[:-1], W.shape[0]), _OP)
    # --8<-- [start:linear-backward]
    out_features, in_features = W.shape
    dX = dY @ W  # (2), for every leading index at once
    # fold every leading index (batch, time, ...) into one row index n
    N = math.prod(X.shape[:-1])
    dY2 = dY.reshape(N, out_features)
    X2 = X.reshape(N, in_features)
    # np.dot rather than @: for N = 1 this is an outer product, which numpy's matmul computes
    # without BLAS, about five times slower
    dW = np.dot(dY2.T, X2)  # (3)
    db = dY2.sum(axis=0) if b is not None else None  # (4)
    # --8<-- [end:linear-backward]
    return dX, dW, db
