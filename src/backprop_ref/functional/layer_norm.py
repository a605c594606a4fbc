"""Layer normalization: forward and backward. Chapter: docs/layers/layer_norm.md

Batch normalization over the other axes: each sample's last K axes (normalized_shape, K of
them) are one group, with its own mean and biased variance; weight and bias have the group's
shape. No running statistics, no training mode: the same computation always.
"""

import numpy as np

from . import _checks


def _setup(input, normalized_shape, weight, bias, eps, op):
    """Check the arguments as torch does; return the arrays and the group's axes."""
    X = _checks.array(input, "input", op)
    if not isinstance(normalized_shape, (tuple, list)):
        raise TypeError(
            f"{op}: normalized_shape must be a tuple or list of ints (torch.nn.functional."
            f"layer_norm takes no bare int), got {normalized_shape!r}"
        )
    shape = tuple(
        _checks.integer(v, "normalized_shape", op, "a tuple of ints") for v in normalized_shape
    )
    if not shape:
        raise ValueError(f"{op}: normalized_shape must have at least one entry, got ()")
    K = len(shape)
    if X.ndim < K or X.shape[X.ndim - K :] != shape:
        raise ValueError(
            f"{op}: normalized_shape {shape} must equal the input's last {K} dims, "
            f"got input of shape {X.shape}"
        )
    if isinstance(eps, (bool, np.bool_)) or not isinstance(eps, (int, float, np.floating)):
        raise TypeError(f"{op}: eps must be a float, got {eps!r}")
    given = {}
    for name, v in (("weight", weight), ("bias", bias)):
        v = _checks.optional_array(v, name, op)
        if v is not None and v.shape != shape:
            raise ValueError(
                f"{op}: {name} must have normalized_shape {shape}, got {name} of shape {v.shape}"
            )
        given[name] = v
    _checks.same_dtype(op, input=X, **given)
    axes = tuple(range(X.ndim - K, X.ndim))  # the group: the last K axes
    return X, given["weight"], given["bias"], float(eps), axes


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Y = (X - mu) / sqrt(var + eps) * weight + bias, mu and var over the last
    len(normalized_shape) axes of each sample, as torch.nn.functional.layer_norm.

    Shapes: input (*, *normalized_shape), weight, bias normalized_shape -> input's shape
    """
    X, gamma, beta, eps, axes = _setup(input, normalized_shape, weight, bias, eps, "layer_norm")
    if X.size == 0:
        return np.empty_like(X)
    # --8<-- [start:layer-norm-forward]
    mu = X.mean(axis=axes, keepdims=True)  # (1) one mean per sample
    var = ((X - mu) ** 2).mean(axis=axes, keepdims=True)  # (2) biased: divide by D
    X_hat = (X - mu) / np.sqrt(var + eps)  # (3)
    Y = X_hat if gamma is None else X_hat * gamma  # (4) weight broadcasts over the samples
    Y = Y if beta is None else Y + beta
    # --8<-- [end:layer-norm-forward]
    return Y


def layer_norm_backward(grad_output, input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """(grad_input, grad_weight, grad_bias), the closed form (5)-(8) over each sample's group;
    grad_weight (grad_bias) is None when weight (bias) is None.

    Shapes: grad_output and input (*, *normalized_shape) -> grad_input of the same shape,
    grad_weight and grad_bias normalized_shape.
    """
    op = "layer_norm_backward"
    X, gamma, beta, eps, axes = _setup(input, normalized_shape, weight, bias, eps, op)
    dY = _checks.array(grad_output, "grad_output", op)
    _checks.same_dtype(op, grad_output=dY, input=X)
    _checks.grad_like(dY, X.shape, op)
    batch = tuple(range(X.ndim - len(axes)))  # the axes weight and bias broadcast over
    if X.size == 0:
        zeros = np.zeros(X.shape[X.ndim - len(axes) :], X.dtype)
        return (
            np.zeros_like(X),
            None if gamma is None else zeros,
            None if beta is None else zeros.copy(),
        )
    # --8<-- [start:layer-norm-backward]
    mu = X.mean(axis=axes, keepdims=True)  # (1)
    var = ((X - mu) ** 2).mean(axis=axes, keepdims=True)  # (2)
    sigma = np.sqrt(var + eps)
    X_hat = (X - mu) / sigma  # (3)
    dX_hat = dY if gamma is None else dY * gamma  # (5)
    dX = (
        dX_hat
        - dX_hat.mean(axis=axes, keepdims=True)
        - X_hat * (dX_hat * X_hat).mean(axis=axes, keepdims=True)
    ) / sigma  # (8): batch norm's closed form, over the group's axes
    dgamma = (dY * X_hat).sum(axis=batch)  # (6) summed over the axes weight broadcasts over
    dbeta = dY.sum(axis=batch)  # (7)
    # --8<-- [end:layer-norm-backward]
    return dX, None if gamma is None else dgamma, None if beta is None else dbeta
