"""Linear layer: forward and backward. Chapter: docs/layers/linear.md

The fast version is backprop_ref.kernels.linear.
"""

import math

import numpy as np

from . import _checks


def _check(input, weight, bias, op):
    X = _checks.array(input, "input", op)
    W = _checks.array(weight, "weight", op)
    b = _checks.optional_array(bias, "bias", op)
    _checks.same_dtype(op, input=X, weight=W, bias=b)
    if W.ndim != 2:
        raise ValueError(f"{op}: weight must be 2-D (out_features, in_features), got {W.shape}")
    if X.ndim < 1:
        raise ValueError(f"{op}: input must have shape (*, in_features), got a 0-d input {X.shape}")
    if X.shape[-1] != W.shape[1]:
        raise ValueError(
            f"{op}: input's last dimension must equal weight's in_features {W.shape[1]}; "
            f"got input {X.shape} and weight {W.shape}"
        )
    if b is not None and b.shape != (W.shape[0],):
        raise ValueError(
            f"{op}: bias must have shape (out_features,) = ({W.shape[0]},), got {b.shape} "
            f"for weight {W.shape}"
        )
    return X, W, b


def _check_grad(grad_output, X, W, op):
    dY = _checks.array(grad_output, "grad_output", op)
    _checks.same_dtype(op, grad_output=dY, input=X)
    _checks.grad_like(dY, (*X.shape[:-1], W.shape[0]), op)
    return dY


def linear(input, weight, bias=None):
    """Y = X W^T + b, as torch.nn.functional.linear.

    Shapes: input (*, in), weight (out, in), bias (out,) -> (*, out)
    """
    X, W, b = _check(input, weight, bias, "linear")
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
    X, W, b = _check(input, weight, bias, "linear_backward")
    dY = _check_grad(grad_output, X, W, "linear_backward")
    # --8<-- [start:linear-backward]
    dX = dY @ W  # (2), for every leading index at once
    # fold every leading index (batch, time, ...) into one row index n
    N = math.prod(X.shape[:-1])
    dY2 = dY.reshape(N, W.shape[0])  # (N, out)
    X2 = X.reshape(N, W.shape[1])  # (N, in)
    dW = dY2.T @ X2  # (3)
    db = None
    if b is not None:
        # (4), accumulated in float64: a float32 running sum over many rows drifts (torch sums
        # in blocks for the same reason)
        db = dY2.sum(axis=0, dtype=np.float64).astype(dY.dtype)
    # --8<-- [end:linear-backward]
    return dX, dW, db
