"""ReLU: forward and backward. Chapter: docs/layers/relu.md"""

import numpy as np

from . import _checks

_OP = "relu"


def relu(input, inplace=False):
    """Y = max(X, 0) elementwise, as torch.nn.functional.relu (NaN stays NaN, -0.0 stays -0.0).

    Shapes: input (*) -> (*). `inplace=True` writes the result into `input` and returns that
    same array object, as F.relu(x, inplace=True) returns x.
    """
    X = _checks.array(input, "input", _OP)
    if inplace and not isinstance(input, np.ndarray):
        raise TypeError(
            f"{_OP}: inplace=True needs a numpy.ndarray input, got {type(input).__name__}"
        )
    if inplace and not X.flags.writeable:
        raise ValueError(f"{_OP}: inplace=True needs a writeable input, got a read-only {X.shape}")
    # --8<-- [start:relu-forward]
    negative = X < 0  # False at NaN, so NaN passes through, as in torch
    if inplace:
        X[negative] = 0  # (1), written into the input's own memory
        return X
    Y = np.where(negative, 0, X)  # (1): Y = X where X >= 0 (keeping -0.0 and NaN), else 0
    # --8<-- [end:relu-forward]
    return Y


def relu_backward(grad_output, input, inplace=False):
    """dX = dY where not (X <= 0), else 0: as torch, the derivative at exactly 0 is 0.

    Shapes: grad_output (*), input (*) -> (*). The mask can be read off the input or the
    output (Y <= 0 exactly where X <= 0), so after `relu(x, inplace=True)` pass the
    overwritten array; `inplace` is accepted for symmetry with the forward and changes nothing.
    """
    X = _checks.array(input, "input", _OP)
    dY = _checks.array(grad_output, "grad_output", _OP)
    _checks.same_dtype(_OP, grad_output=dY, input=X)
    _checks.grad_like(dY, X.shape, _OP)
    # --8<-- [start:relu-backward]
    mask = ~(X <= 0)  # (2): True where X > 0 and at NaN; False at X <= 0, exactly 0 included
    dX = np.where(mask, dY, 0)  # (3): a select, not a product, so NaN in dY stays behind a 0
    # --8<-- [end:relu-backward]
    return dX
