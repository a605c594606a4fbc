"""ReLU: forward and backward. Chapter: docs/layers/relu.md

The fast version (a select on the bits) is backprop_ref.kernels.relu.
"""

import numpy as np

from . import _checks


def relu(input, inplace=False):
    """Y = max(X, 0) elementwise, as torch.nn.functional.relu (NaN stays NaN, -0.0 stays -0.0).

    Shapes: input (*) -> (*). `inplace=True` writes the result into `input` and returns that
    same array object, as F.relu(x, inplace=True) returns x.
    """
    X = _check(input, inplace, "relu")
    # --8<-- [start:relu-forward]
    Y = np.where(X < 0, 0.0, X)  # (1); X < 0 is False at NaN and at -0.0: both pass
    # --8<-- [end:relu-forward]
    if inplace:
        input[...] = Y
        return input
    return Y


def relu_backward(grad_output, input, inplace=False):
    """dX = dY where X > 0 (or X is NaN), else 0: as torch, the derivative at exactly 0 is 0.

    Shapes: grad_output (*), input (*) -> (*). The mask can be read off the input or the
    output (Y <= 0 exactly where X <= 0), so after `relu(x, inplace=True)` pass the
    overwritten array; `inplace` is accepted for symmetry with the forward and changes nothing.
    """
    op = "relu_backward"
    X = _check(input, False, op)
    _checks.flag(inplace, "inplace", op)
    dY = _checks.array(grad_output, "grad_output", op)
    _checks.same_dtype(op, grad_output=dY, input=X)
    _checks.grad_like(dY, X.shape, op)
    # --8<-- [start:relu-backward]
    dX = np.where(X <= 0, 0.0, dY)  # (3): ReLU'(0) = 0 as in torch; at NaN, dY passes
    # a select, not dY * mask: a NaN or inf in dY stays behind an inactive unit
    # --8<-- [end:relu-backward]
    return dX


def _check(input, inplace, op):
    X = _checks.array(input, "input", op)
    if _checks.flag(inplace, "inplace", op):
        if not isinstance(input, np.ndarray):
            raise TypeError(
                f"{op}: inplace=True needs a numpy.ndarray input, got {type(input).__name__}"
            )
        if not X.flags.writeable:
            raise ValueError(
                f"{op}: inplace=True needs a writeable input, got a read-only {X.shape}"
            )
    return X
