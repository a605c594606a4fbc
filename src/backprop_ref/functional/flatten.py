"""flatten: forward and backward. Chapter: docs/layers/flatten.md

torch.nn.functional has no flatten; these mirror torch.flatten (nn.Flatten calls it with
start_dim=1).
There is no separate kernel: backprop_ref.kernels.flatten is this code.
"""

import numpy as np

from . import _checks


def _dim(value, name, shape, op):
    """A dim in torch's range [-max(ndim, 1), max(ndim, 1) - 1], as a non-negative index."""
    return _checks.dim(value, name, shape, op)


def _flat_shape(X, start_dim, end_dim, op):
    """The output shape: the dims start..end (inclusive) of X replaced by their product."""
    start = _dim(start_dim, "start_dim", X.shape, op)
    end = _dim(end_dim, "end_dim", X.shape, op)
    if start > end:
        raise ValueError(
            f"{op}: start_dim {start_dim} comes after end_dim {end_dim} for an input of shape "
            f"{X.shape}"
        )
    if X.ndim == 0:
        return (1,)
    # --8<-- [start:flatten-shape]
    S = X.shape
    return (*S[:start], int(np.prod(S[start : end + 1])), *S[end + 1 :])
    # --8<-- [end:flatten-shape]


def flatten(input, start_dim=0, end_dim=-1):
    """Y = X reshaped so that dims start_dim..end_dim become one, as torch.flatten.

    Shapes: (d0, ..., d_{s-1}, d_s, ..., d_e, d_{e+1}, ...) -> (d0, ..., d_s*...*d_e, d_{e+1}, ...);
    a 0-d input gives shape (1,). Like torch, the result is a view of X when X's layout allows.
    """
    X = _checks.array(input, "input", "flatten")
    shape = _flat_shape(X, start_dim, end_dim, "flatten")
    # --8<-- [start:flatten-forward]
    Y = X.reshape(shape)  # (1): the same numbers in the same (row-major) order
    # --8<-- [end:flatten-forward]
    return Y


def flatten_backward(grad_output, input, start_dim=0, end_dim=-1):
    """dX = dY reshaped back to the input's shape.

    Shapes: grad_output (the output's shape), input (*) -> input's shape.
    """
    op = "flatten_backward"
    X = _checks.array(input, "input", op)
    dY = _checks.array(grad_output, "grad_output", op)
    _checks.same_dtype(op, grad_output=dY, input=X)
    _checks.grad_like(dY, _flat_shape(X, start_dim, end_dim, op), op)
    # --8<-- [start:flatten-backward]
    dX = dY.reshape(X.shape)  # (2): every dY entry goes back to the X entry it came from
    # --8<-- [end:flatten-backward]
    return dX
