"""ReLU: forward and backward. Chapter: docs/layers/relu.md"""

import numpy as np

from . import _checks

_OP = "relu"

# the integer type whose width matches a float's (its itemsize in bytes): float32 -> int32, ...
_INT = {4: np.int32, 8: np.int64}


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
    # (1) as a select on the bits: `keep` is -1 (every bit set) where Y = X, 0 where Y = +0.0;
    # X's bits AND keep copy X there (-0.0 and NaN included) and give all-zero bits, +0.0, here
    # the comparison's bytes as int8 (asarray: a 0-d X gives a numpy scalar), 1 where X < 0 ...
    keep = np.asarray(negative).view(np.int8)
    keep -= 1  # ... minus 1: 0 where X < 0, -1 where X >= 0 or NaN
    bits = X.view(_INT[X.dtype.itemsize])  # X's memory read as integers of the same width
    keep = keep.astype(bits.dtype)  # widened to that width: -1 stays "every bit set"
    if inplace:
        np.bitwise_and(bits, keep, out=bits)  # (1), written into the input's own memory
        return X
    keep &= bits  # in place: keep's memory now holds Y's bits
    Y = keep.view(X.dtype)  # (1): Y = X where X >= 0 (keeping -0.0 and NaN), else +0.0
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
    # (2): the mask is ~(X <= 0), True where X > 0 and at NaN; False at X <= 0, exact 0 included
    keep = np.asarray(X <= 0).view(np.int8)  # 1 where the mask is False, else 0 ...
    keep -= 1  # ... minus 1: 0 there, -1 (every bit set) where the mask is True
    keep = keep.astype(_INT[dY.dtype.itemsize])  # widened to dY's width
    keep &= dY.view(keep.dtype)  # in place: keep's memory now holds dX's bits
    dX = keep.view(dY.dtype)  # (3): dY where the mask is True, else +0.0
    # a select on the bits, not a product, so NaN or inf in dY stays behind an inactive unit
    # --8<-- [end:relu-backward]
    return dX
