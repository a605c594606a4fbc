"""ReLU: forward and backward. Chapter: docs/layers/relu.md"""

import numpy as np

from . import _checks

_OP = "relu"


def relu(input, inplace=False):
    """Y = max(X, 0) elementwise, as torch.nn.functional.relu (NaN stays NaN).

    Shapes: input (*) -> (*). `inplace=True` writes the result into `input` and returns it.
    """
    X = _checks.array(input, "input", _OP)
    # --8<-- [start:relu-forward]
    Y = np.maximum(X, 0)  # (1); np.maximum keeps NaN, as torch does
    # --8<-- [end:relu-forward]
    if inplace:
        X[...] = Y
        return X
    return Y


def relu_backward(grad_output, input, inplace=False):
    """dX = dY * [X > 0]; the derivative at exactly 0 is taken as 0, as torch does.

    Shapes: grad_output (*), input (*) -> (*). With `inplace=True` the forward overwrote its
    input, so pass its output: Y > 0 exactly where X > 0, so the mask is the same.
    """
    X = _checks.array(input, "input", _OP)
    dY = _checks.array(grad_output, "grad_output", _OP)
    _checks.same_dtype(_OP, grad_output=dY, input=X)
    _checks.grad_like(dY, X.shape, _OP)
    # --8<-- [start:relu-backward]
    mask = X > 0  # (2): True where the unit was active; False at X <= 0 and at NaN
    dX = np.where(mask, dY, 0).astype(dY.dtype)  # (3); a masked NaN in dY gives 0, as in torch
    # --8<-- [end:relu-backward]
    return dX
