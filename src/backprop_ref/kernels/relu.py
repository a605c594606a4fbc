"""ReLU, the fast path: the lesson's semantics (backprop_ref.functional.relu) and its checks,
with the select done on the bits (docs/performance.md measures it against np.where)."""

import numpy as np

from ..functional import _checks
from ..functional.relu import _check

# the integer type whose width matches a float's (its itemsize in bytes): float32 -> int32, ...
_INT = {4: np.int32, 8: np.int64}
# below this many elements np.where (the lesson's own expression) is faster: fewer numpy calls
_SMALL = 2048


def relu(input, inplace=False):
    """Y = max(X, 0) elementwise, as torch.nn.functional.relu (NaN stays NaN, -0.0 stays -0.0).

    Shapes: input (*) -> (*). `inplace=True` writes the result into `input` and returns it.
    """
    X = _check(input, inplace, "relu")
    if X.size < _SMALL:
        Y = np.where(X < 0, 0.0, X)  # the lesson's (1)
        if inplace:
            input[...] = Y
            return input
        return Y
    # --8<-- [start:relu-forward]
    # (1) as a select on the bits: `keep` is -1 (every bit set) where Y = X, 0 where Y = +0.0;
    # X's bits AND keep copy X there (-0.0 and NaN included) and give all-zero bits, +0.0, here.
    # X < 0 is False at NaN and -0.0, so both pass, as in the lesson's np.where(X < 0, 0.0, X)
    keep = np.asarray(X < 0).view(np.int8)  # the comparison's bytes: 1 where X < 0, else 0 ...
    keep -= 1  # ... minus 1: 0 where X < 0, -1 elsewhere
    bits = X.view(_INT[X.dtype.itemsize])  # X's memory read as integers of the same width
    keep = keep.astype(bits.dtype)  # widened to that width: -1 stays "every bit set"
    if inplace:
        np.bitwise_and(bits, keep, out=bits)  # written into the input's own memory
        return input
    keep &= bits  # in place: keep's memory now holds Y's bits
    Y = keep.view(X.dtype)
    # --8<-- [end:relu-forward]
    return Y


def relu_backward(grad_output, input, inplace=False):
    """dX = dY where X > 0 (or X is NaN), else 0: as torch, the derivative at exactly 0 is 0.

    Shapes: grad_output (*), input (*) -> (*). `inplace` changes nothing (see the lesson).
    """
    op = "relu_backward"
    X = _check(input, False, op)
    _checks.flag(inplace, "inplace", op)
    dY = _checks.array(grad_output, "grad_output", op)
    _checks.same_dtype(op, grad_output=dY, input=X)
    _checks.grad_like(dY, X.shape, op)
    if X.size < _SMALL:
        return np.where(X <= 0, 0.0, dY)  # the lesson's (3)
    # --8<-- [start:relu-backward]
    # (3): dY where not (X <= 0), +0.0 where X <= 0: the lesson's np.where(X <= 0, 0.0, dY)
    keep = np.asarray(X <= 0).view(np.int8)  # 1 where the unit is off, else 0 ...
    keep -= 1  # ... minus 1: 0 there, -1 (every bit set) where dY passes
    keep = keep.astype(_INT[dY.dtype.itemsize])  # widened to dY's width
    keep &= dY.view(keep.dtype)  # in place: keep's memory now holds dX's bits
    dX = keep.view(dY.dtype)  # a select, not a product: NaN or inf in dY stays behind an off unit
    # --8<-- [end:relu-backward]
    return dX
