"""softmax and log_softmax: forward and backward. Chapter: docs/layers/softmax.md

There is no separate kernel: backprop_ref.kernels.softmax is this code.
"""

import warnings

import numpy as np

from . import _checks


def _implicit_dim(ndim):
    """torch's legacy choice when dim is None (torch.nn.functional._get_softmax_dim)."""
    return 0 if ndim in (0, 1, 3) else 1


def _check(input, dim, _stacklevel, dtype, op):
    if dtype is not None:
        raise NotImplementedError(
            f"{op}: dtype is not supported (got {dtype!r}); cast the input first and pass "
            "dtype=None"
        )
    X = _checks.array(input, "input", op)
    if dim is None:
        dim = _implicit_dim(X.ndim)
        warnings.warn(
            f"{op}: dim=None picks dim={dim} for an input of {X.ndim} dims, as torch's "
            "deprecated implicit choice does; pass dim explicitly",
            UserWarning,
            stacklevel=_checks.integer(_stacklevel, "_stacklevel", op),
        )
    d = _checks.dim(dim, "dim", X.shape, op)
    return X, (d if X.ndim else None)  # axis None: a 0-d input is its own (one-element) row


def _upstream(grad_output, X, op):
    """grad_output as an array of X's dtype and shape (softmax and log_softmax keep shapes)."""
    dG = _checks.array(grad_output, "grad_output", op)
    _checks.same_dtype(op, grad_output=dG, input=X)
    _checks.grad_like(dG, X.shape, op)
    return dG


def _shifted(X, d):
    """X minus its largest entry along d: every exponent is <= 0, so exp never overflows."""
    m = np.max(X, axis=d, keepdims=True, initial=-np.inf)  # initial: a row may be empty
    return X - m


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """P = exp(X) / sum exp(X) along dim, as torch.nn.functional.softmax.

    Shapes: input (*) -> (*). dim=None is torch's deprecated implicit choice (with a warning);
    dtype is supported only at its default None.
    """
    X, d = _check(input, dim, _stacklevel, dtype, "softmax")
    return _softmax(X, d)


def _softmax(X, d):
    # --8<-- [start:softmax-forward]
    E = np.exp(_shifted(X, d))  # exp(x_i - max x): the max cancels in the ratio
    P = E / E.sum(axis=d, keepdims=True)  # (1)
    # --8<-- [end:softmax-forward]
    return np.asarray(P)  # a 0-d input gives a 0-d array, not a numpy scalar


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log P = X - logsumexp(X) along dim, as torch.nn.functional.log_softmax.

    Shapes: input (*) -> (*). dim=None and dtype as in softmax.
    """
    X, d = _check(input, dim, _stacklevel, dtype, "log_softmax")
    return _log_softmax(X, d)


def _log_softmax(X, d):
    if X.size == 0:  # no row to normalize (and no log of an empty sum)
        return X.copy()
    # --8<-- [start:log-softmax-forward]
    Z = _shifted(X, d)  # z_i = x_i - max x <= 0
    logP = Z - np.log(np.exp(Z).sum(axis=d, keepdims=True))  # (4): the sum is >= 1, no log 0
    # --8<-- [end:log-softmax-forward]
    return np.asarray(logP)


def softmax_backward(grad_output, input, dim=None, _stacklevel=3, dtype=None):
    """dX = P * (dP - <dP, P>) along dim: the Jacobian's product, never the Jacobian.

    Shapes: grad_output (*), input (*) -> (*).
    """
    op = "softmax_backward"
    X, d = _check(input, dim, _stacklevel, dtype, op)
    dP = _upstream(grad_output, X, op)
    P = _softmax(X, d)
    # --8<-- [start:softmax-backward]
    dX = P * (dP - (dP * P).sum(axis=d, keepdims=True))  # (3)
    # --8<-- [end:softmax-backward]
    return np.asarray(dX)


def log_softmax_backward(grad_output, input, dim=None, _stacklevel=3, dtype=None):
    """dX = dY - P * sum(dY) along dim.

    Shapes: grad_output (*), input (*) -> (*).
    """
    op = "log_softmax_backward"
    X, d = _check(input, dim, _stacklevel, dtype, op)
    dY = _upstream(grad_output, X, op)
    return _log_softmax_backward(dY, _log_softmax(X, d), d)


def _log_softmax_backward(dY, logP, d):
    # --8<-- [start:log-softmax-backward]
    dX = dY - np.exp(logP) * dY.sum(axis=d, keepdims=True)  # (6)
    # --8<-- [end:log-softmax-backward]
    return np.asarray(dX)
