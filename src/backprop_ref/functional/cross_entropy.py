"""nll_loss and cross_entropy: forward and backward. Chapter: docs/layers/cross_entropy.md

Shapes: input (N, C), (N, C, d1, ...) or unbatched (C,); the classes are dim 1 (dim 0 when
unbatched). Targets are class indices (int64 or uint8, the input's shape without the class
dim) or, for cross_entropy only, class probabilities (the input's shape and dtype).
There is no separate kernel: backprop_ref.kernels.cross_entropy is this code.
"""

from typing import NamedTuple

import numpy as np

from . import _checks
from .softmax import _log_softmax, _log_softmax_backward

INDEX_DTYPES = (np.dtype(np.int64), np.dtype(np.uint8))  # torch's Long and Byte


class _Call(NamedTuple):
    """The checked arguments, batched: X (N, C, ...), T (N, ...) or (N, C, ...)."""

    X: np.ndarray
    T: np.ndarray
    W: np.ndarray | None
    probabilities: bool
    ignore_index: int
    reduction: str
    eps: float
    unbatched: bool

    @property
    def C(self):  # noqa: N802 (the chapter's letter for the number of classes)
        return self.X.shape[1]

    def class_shaped(self, v):
        """A per-class vector (C,) shaped to broadcast along X's class dim: (1, C, 1, ...)."""
        return v.reshape((1, -1) + (1,) * (self.X.ndim - 2))

    def smoothed_target(self):
        """Class probabilities with label smoothing eps: (1 - eps) y + eps / C."""
        eps, C = self.eps, self.C
        # --8<-- [start:ce-smoothed-target]
        Ys = self.T * (1 - eps) + eps / C if eps > 0 else self.T  # (9) the smoothed target
        # --8<-- [end:ce-smoothed-target]
        return Ys


def _check(op, input, target, weight, size_average, ignore_index, reduce, reduction, eps=0.0):
    _checks.reduction(reduction, size_average, reduce, op)
    X = _checks.array(input, "input", op)
    if X.ndim == 0:
        raise ValueError(
            f"{op}: expected input of shape (C,), (N, C) or (N, C, d1, ...), got {X.shape}"
        )
    C = X.shape[0 if X.ndim == 1 else 1]
    W = _checks.optional_array(weight, "weight", op)
    _checks.same_dtype(op, input=X, weight=W)
    if W is not None and W.shape != (C,):
        raise ValueError(
            f"{op}: weight must have one entry per class, shape ({C},), got {W.shape} "
            f"(input {X.shape})"
        )
    ignore_index = _checks.integer(ignore_index, "ignore_index", op)
    if isinstance(eps, (bool, np.bool_)) or not isinstance(eps, (int, float, np.floating)):
        raise TypeError(f"{op}: label_smoothing must be a float, got {eps!r}")
    if not 0.0 <= eps <= 1.0:  # torch silently takes a negative value as 0.0: we refuse it
        raise ValueError(f"{op}: label_smoothing must be between 0.0 and 1.0, got {eps!r}")
    T = _target(target, X, op)
    probabilities = T.dtype.kind == "f"
    if probabilities:
        _checks.same_dtype(op, input=X, target=T)
        if ignore_index >= 0:
            raise ValueError(
                f"{op}: ignore_index={ignore_index} needs class-index targets; torch "
                "takes only a negative ignore_index with class probabilities"
            )
    else:
        _in_range(T, C, ignore_index, op)
    unbatched = X.ndim == 1
    if unbatched:  # (C,) and a 0-d target are a batch of one
        X, T = X[None], T[None]
    return _Call(X, T, W, probabilities, ignore_index, reduction, float(eps), unbatched)


def _target(value, X, op):
    """Class indices (int64/uint8, X's shape without the class dim) or, for cross_entropy,
    class probabilities (float, X's shape)."""
    if isinstance(value, np.generic):
        value = np.asarray(value)
    if not isinstance(value, np.ndarray) or isinstance(value, np.ma.MaskedArray):
        raise TypeError(f"{op}: target must be a numpy.ndarray, got {type(value).__name__}")
    indices_shape = () if X.ndim == 1 else (X.shape[0], *X.shape[2:])
    if value.dtype.kind == "f":
        if op.startswith("nll_loss"):
            raise TypeError(
                f"{op}: target must hold class indices (int64 or uint8) of shape "
                f"{indices_shape}, got {value.dtype} of shape {value.shape}"
            )
        T = _checks.array(value, "target", op)
        if T.shape != X.shape:
            raise ValueError(
                f"{op}: target of class probabilities must have the input's shape {X.shape}, "
                f"got {T.shape}; class indices are integers of shape {indices_shape}"
            )
        return T
    if value.dtype not in INDEX_DTYPES:
        raise TypeError(
            f"{op}: target must be class indices as int64 (or uint8), or probabilities as "
            f"float, got {value.dtype} (shape {value.shape})"
        )
    if value.shape != indices_shape:
        raise ValueError(
            f"{op}: target of class indices must have shape {indices_shape} for an input of "
            f"shape {X.shape}, got {value.shape}"
        )
    return value.view(np.ndarray).astype(np.int64)


def _in_range(T, C, ignore_index, op):
    bad = (T != ignore_index) & ((T < 0) | (T >= C))
    if bad.any():
        # torch raises IndexError ("Target 7 is out of bounds."): so do we, with more words
        raise IndexError(
            f"{op}: target {int(T[bad].flat[0])} is out of range for {C} classes: a class "
            f"index must be in [0, {C - 1}] or equal ignore_index={ignore_index}"
        )


def _chosen(c):
    """keep (N, ...): the targets that count; t: the target with 0 where ignored (a safe index
    whose value is masked out); w: each target's weight, 0 where ignored (torch's w_{t_n})."""
    keep = c.T != c.ignore_index
    t = np.where(keep, c.T, 0)
    w = c.W[t] * keep if c.W is not None else keep.astype(c.X.dtype)
    return keep, t, w


def _reduce(L, total, reduction):
    """mean: the sum over the total (of weights); sum; none: L itself."""
    if reduction == "mean":
        with np.errstate(divide="ignore", invalid="ignore"):  # 0/0 is NaN, silently as torch
            return np.asarray(L.sum() / total)
    return np.asarray(L.sum()) if reduction == "sum" else L


def _unbatch(value, c):
    """An unbatched call's "none" loss is 0-d (a 0-d array, never a numpy scalar)."""
    return np.asarray(value[0]) if c.unbatched and c.reduction == "none" else value


def _scale(dL, total, c):
    """dL/dL_n for each sample's loss L_n, shaped (N, 1, ...) to broadcast along the classes."""
    if c.reduction == "none":
        dL = dL[None] if c.unbatched else dL
        return np.expand_dims(dL, 1)
    with np.errstate(divide="ignore"):  # every target ignored: 1/0; masked out below
        return dL / total if c.reduction == "mean" else dL


def _grad_output(grad_output, c, op):
    """grad_output: 0-d for "mean" and "sum", one per sample (the shape of L) for "none"."""
    dL = _checks.array(grad_output, "grad_output", op)
    _checks.same_dtype(op, grad_output=dL, input=c.X)
    per_sample = () if c.unbatched else (c.X.shape[0], *c.X.shape[2:])
    _checks.grad_like(dL, per_sample if c.reduction == "none" else (), op)
    return dL


# ---------------------------------------------------------------------------------------------
# nll_loss


def nll_loss(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
):
    """L_n = -w_{t_n} X[n, t_n], reduced, as torch.nn.functional.nll_loss.

    Shapes: input (N, C, *) or (C,), target (N, *) or (), weight (C,) -> () for "mean" and
    "sum", (N, *) (or ()) for "none". "mean" divides by the summed weights of the targets
    that are not ignored (NaN when every target is). size_average and reduce (deprecated in
    torch) are not supported: only None is accepted.
    """
    c = _check("nll_loss", input, target, weight, size_average, ignore_index, reduce, reduction)
    return _unbatch(_nll(c.X, c)[0], c)


def _nll(X, c):
    keep, t, w = _chosen(c)
    # --8<-- [start:nll-forward]
    x = np.take_along_axis(X, t[:, None], axis=1)[:, 0]  # x_n = X[n, t_n]
    L = np.where(keep, -w * x, 0)  # (1) ignored targets contribute 0
    total = w.sum()  # (2) mean divides by sum of w_{t_n} over the targets kept
    # --8<-- [end:nll-forward]
    return _reduce(L, total, c.reduction), total


def nll_loss_backward(
    grad_output,
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
):
    """Returns (grad_input, None, None): torch gives no gradient to target or weight.

    Shapes: grad_output () for "mean"/"sum", the target's shape for "none"; -> input's shape.
    """
    op = "nll_loss_backward"
    c = _check(op, input, target, weight, size_average, ignore_index, reduce, reduction)
    dL = _grad_output(grad_output, c, op)
    with np.errstate(invalid="ignore"):  # 0 x inf where every target is ignored: masked out
        dX = _nll_backward(dL, c)
    return dX.reshape(np.shape(input)), None, None


def _nll_backward(dL, c):
    keep, t, w = _chosen(c)
    s = _scale(dL, w.sum(), c)
    s = s[:, 0] if c.reduction == "none" else s
    # --8<-- [start:nll-backward]
    dx = np.where(keep, -w * s, 0)  # (3) dL/dx_n = -w_{t_n} s_n; 0 where ignored
    dX = np.zeros_like(c.X)  # every other entry of X is not read by the loss
    np.put_along_axis(dX, t[:, None], dx[:, None], axis=1)  # dX[n, t_n] = dL/dx_n
    # --8<-- [end:nll-backward]
    return dX


# ---------------------------------------------------------------------------------------------
# cross_entropy


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """L = nll_loss(log_softmax(X, class dim), ...), smoothed, as
    torch.nn.functional.cross_entropy.

    Shapes: as nll_loss; target may also be class probabilities shaped like the input.
    Label smoothing eps: (1 - eps) * nll + eps / C * (smoothing term), as torch's
    cross_entropy_loss_label_smoothing (class indices) and cross_entropy_loss_prob_target.
    """
    c = _check(
        "cross_entropy",
        input,
        target,
        weight,
        size_average,
        ignore_index,
        reduce,
        reduction,
        label_smoothing,
    )
    logP = _log_softmax(c.X, 1)
    W = 1 if c.W is None else c.class_shaped(c.W)
    eps, C = c.eps, c.C
    if c.probabilities:
        # --8<-- [start:ce-probabilities]
        Y = c.smoothed_target()  # (9)
        L = -(logP * Y * W).sum(axis=1)  # (10) L_n = -sum_c w_c y_nc log p_nc
        total = L.size  # "mean" divides by the number of samples (N x d1 x ...), not weights
        # --8<-- [end:ce-probabilities]
        return _unbatch(_reduce(L, total, c.reduction), c)
    # --8<-- [start:ce-forward]
    nll, total = _nll(logP, c)  # (7) nll_loss of the log-probabilities
    if eps == 0:
        return _unbatch(nll, c)
    keep = c.T != c.ignore_index
    smooth = np.where(keep, -(logP * W).sum(axis=1), 0)  # -sum_c w_c log p_nc, 0 if ignored
    L = (1 - eps) * nll + _reduce(smooth, total, c.reduction) * (eps / C)  # (8)
    # --8<-- [end:ce-forward]
    return _unbatch(np.asarray(L), c)


def _effective_target(c):
    """Y (N, C, ...), the weighted (and smoothed) target the loss pulls log p towards:
    L_n = -sum_c Y_nc log p_nc, and the mean's denominator. Class indices: Y_nc =
    (1 - eps) w_{t_n} [c = t_n] + eps/C w_c, zero for an ignored target; probabilities:
    Y_nc = w_c ((1 - eps) y_nc + eps/C)."""
    eps, C = c.eps, c.C
    W = np.ones(C, c.X.dtype) if c.W is None else c.W
    if c.probabilities:
        Ys = c.smoothed_target()
        keep = np.ones(c.X.shape[:1] + c.X.shape[2:], bool)
        return Ys * c.class_shaped(W), keep, keep.size
    keep, t, w = _chosen(c)
    Y = np.zeros_like(c.X)
    np.put_along_axis(Y, t[:, None], ((1 - eps) * w)[:, None], axis=1)
    if eps > 0:
        Y += (eps / C) * c.class_shaped(W) * keep[:, None]
    return Y, keep, w.sum()


def cross_entropy_backward(
    grad_output,
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """Returns (grad_input, grad_target, grad_weight): the fused p - y form.

    grad_target and grad_weight are None for class indices (torch gives none); for class
    probabilities torch differentiates its formula with respect to both, and so do we.
    """
    op = "cross_entropy_backward"
    c = _check(
        op, input, target, weight, size_average, ignore_index, reduce, reduction, label_smoothing
    )
    dL = _grad_output(grad_output, c, op)
    with np.errstate(invalid="ignore"):  # inf x 0 where every target is ignored: masked out
        return _cross_entropy_backward(dL, c, np.shape(input))


def _cross_entropy_backward(dL, c, shape):
    Y, keep, total = _effective_target(c)
    s = _scale(dL, total, c)
    logP = _log_softmax(c.X, 1)
    P = np.exp(logP)
    # --8<-- [start:ce-backward]
    dX = s * (P * Y.sum(axis=1, keepdims=True) - Y)  # (11) = s (p - y) when sum_c Y_nc = 1
    dX = np.where(keep[:, None], dX, 0)  # an ignored target sends nothing back
    # --8<-- [end:ce-backward]
    dX = dX.reshape(shape)
    if not c.probabilities:
        return dX, None, None
    eps = c.eps
    W = 1 if c.W is None else c.class_shaped(c.W)
    # --8<-- [start:ce-probabilities-backward]
    dT = -s * (1 - eps) * W * logP  # (12) dL/dy_nc
    Ys = c.smoothed_target()  # (9)
    dW = None if c.W is None else -(s * Ys * logP).sum(axis=(0, *range(2, c.X.ndim)))  # (13)
    # --8<-- [end:ce-probabilities-backward]
    return dX, dT.reshape(shape), dW


def cross_entropy_backward_atomic(
    grad_output,
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """grad_input the long way: the loss's gradient with respect to log p (nll_loss_backward
    and the smoothing term's), then log_softmax_backward. Equal to cross_entropy_backward's
    grad_input (tests/functional/test_cross_entropy.py)."""
    op = "cross_entropy_backward_atomic"
    c = _check(
        op, input, target, weight, size_average, ignore_index, reduce, reduction, label_smoothing
    )
    dL = _grad_output(grad_output, c, op)
    with np.errstate(invalid="ignore"):  # inf x 0 where every target is ignored: masked out
        return _atomic(dL, c).reshape(np.shape(input))


def _atomic(dL, c):
    logP = _log_softmax(c.X, 1)
    W = np.ones(c.C, c.X.dtype) if c.W is None else c.W
    eps, C = c.eps, c.C
    if c.probabilities:
        Y, _, total = _effective_target(c)
        dlogP = -_scale(dL, total, c) * Y  # d(-sum_c Y_nc log p_nc)/d log p
    else:
        keep, _, w = _chosen(c)
        s = _scale(dL, w.sum(), c)
        # --8<-- [start:ce-atomic]
        dlogP = (1 - eps) * _nll_backward(dL, c)  # through (7)
        if eps > 0:  # through the smoothing term of (8): -eps/C w_c s_n, where kept
            dlogP = dlogP + np.where(keep[:, None], -(eps / C) * c.class_shaped(W) * s, 0)
        dX = _log_softmax_backward(dlogP, logP, 1)  # (6)
        # --8<-- [end:ce-atomic]
        return dX
    return _log_softmax_backward(dlogP, logP, 1)
