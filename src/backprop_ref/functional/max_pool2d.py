"""2-D max pooling: forward and backward. Chapter: docs/layers/max_pool2d.md

Index letters as in the chapter: n batch, c channel, (i, j) a window (an output position),
(a, b) a position inside the kernel, (h, w) an input position. Every window follows torch's rule:
its entries are read in row-major order (a, then b) and an entry takes over when it is strictly
larger than the best so far or when it is NaN; the winner receives the window's whole gradient.
"""

import functools
from typing import NamedTuple

import numpy as np

from . import _checks

_OP = "max_pool2d"


class _Geometry(NamedTuple):
    """The pooling arguments as (height, width) pairs, and the output size they give."""

    k: tuple  # kernel_size (kH, kW)
    s: tuple  # stride (sH, sW)
    p: tuple  # padding (pH, pW)
    d: tuple  # dilation (dH, dW)
    out: tuple  # (Ho, Wo)
    first: np.ndarray  # (Ho, Wo): kernel position a*kW + b of each window's first input element


def _pair(value, name, op):
    """An int, or a tuple/list of one or two ints, as (h, w); torch accepts exactly these."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(items) not in (1, 2):
        raise ValueError(f"{op}: {name} must be an int or a tuple of two ints, got {value!r}")
    for v in items:
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{op}: {name} must be an int or a tuple of two ints, got {value!r}")
    return int(items[0]), int(items[-1])


# --8<-- [start:max-pool-output-size]
def _output_size(size, k, s, p, d, ceil_mode):
    """How many windows fit along one axis of length `size` (torch's pooling_output_shape)."""
    span = d * (k - 1) + 1  # input rows a dilated window stretches over
    room = size + 2 * p - span  # how far its first row can move: 0 .. room
    if not ceil_mode:
        return room // s + 1  # (2a)
    out = -(-room // s) + 1  # (2b): one more window when the last one would stick out
    if (out - 1) * s >= size + p:  # ... which must start in the input or the padding before it
        out -= 1
    return out


# --8<-- [end:max-pool-output-size]


def _first_inside(size, k, s, p, d, out):
    """For each window along one axis: the first kernel offset that lands in the input, or -1."""
    rows = (np.arange(out) * s - p)[:, None] + np.arange(k) * d  # (out, k) input rows
    inside = (rows >= 0) & (rows < size)
    return np.where(inside.any(axis=1), inside.argmax(axis=1), -1)


def _geometry(X, kernel_size, stride, padding, dilation, ceil_mode, op):
    """Check the arguments as torch does; return them as pairs with the output size."""
    shape = tuple(X.shape)
    if X.ndim not in (3, 4):
        raise ValueError(f"{op}: expected input of shape (N, C, H, W) or (C, H, W), got {shape}")
    if 0 in shape[-3:]:
        raise ValueError(f"{op}: input needs C, H, W > 0 (only N may be 0), got {shape}")
    k = _pair(kernel_size, "kernel_size", op)
    empty = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    s = k if empty else _pair(stride, "stride", op)
    p = _pair(padding, "padding", op)
    d = _pair(dilation, "dilation", op)
    return _window_geometry(shape, k, s, p, d, bool(ceil_mode), op)


@functools.lru_cache(maxsize=256)
def _window_geometry(shape, k, s, p, d, ceil_mode, op):
    """The rest of _geometry, on plain ints: computed once per shape and arguments (a network
    calls it with the same ones at every step), then taken from the cache."""
    for name, v, low in (("kernel_size", k, 1), ("stride", s, 1), ("dilation", d, 1)):
        if min(v) < low:
            raise ValueError(f"{op}: {name} must be positive, got {v} for input {shape}")
    if min(p) < 0:
        raise ValueError(f"{op}: padding must be non-negative, got {p} for input {shape}")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise ValueError(
            f"{op}: padding {p} must be at most half of kernel_size {k} (torch compares it with "
            f"the undilated kernel), for input {shape}"
        )
    axes = list(zip(shape[-2:], k, s, p, d, strict=True))  # (size, k, s, p, d): height, width
    out = tuple(_output_size(*axis, ceil_mode) for axis in axes)
    where = (
        f"input {shape} with kernel_size {k}, stride {s}, padding {p}, dilation {d}, "
        f"ceil_mode={bool(ceil_mode)}"
    )
    if min(out) < 1:
        raise ValueError(f"{op}: {where} gives output size {out}: the window does not fit")
    fh, fw = (_first_inside(*axis, n) for axis, n in zip(axes, out, strict=True))
    if (fh < 0).any() or (fw < 0).any():
        raise ValueError(
            f"{op}: {where} has a window that covers no input element, only padding and gaps "
            "between dilated taps (torch 2.13 returns indices outside the input there, and its "
            "backward writes out of bounds)"
        )
    first = fh[:, None] * k[1] + fw[None, :]
    first.flags.writeable = False  # shared by every call that gets this geometry from the cache
    return _Geometry(k, s, p, d, out, first)


def _setup(input, kernel_size, stride, padding, dilation, ceil_mode, op=_OP):
    """(input as a float ndarray, the same as (N, C, H, W), its geometry)."""
    X = _checks.array(input, "input", op)
    g = _geometry(X, kernel_size, stride, padding, dilation, ceil_mode, op)
    return X, (X if X.ndim == 4 else X[None]), g


def _check_grad(grad_output, X, g, op):
    dY = _checks.array(grad_output, "grad_output", op)
    _checks.same_dtype(op, grad_output=dY, input=X)
    _checks.grad_like(dY, (*X.shape[:-2], *g.out), op)
    return dY if dY.ndim == 4 else dY[None]


# ---------------------------------------------------------------------------------------------
# The loop version: one window at a time, exactly the index formula (1).


def max_pool2d_naive(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """max_pool2d written as loops over n, c, i, j and the kernel offsets a, b."""
    X0, X, g = _setup(input, kernel_size, stride, padding, dilation, ceil_mode)
    (kH, kW), (sH, sW), (pH, pW), (dH, dW), (Ho, Wo) = g.k, g.s, g.p, g.d, g.out
    # --8<-- [start:max-pool-naive-forward]
    N, C, H, W = X.shape
    Y = np.empty((N, C, Ho, Wo), dtype=X.dtype)
    I = np.empty((N, C, Ho, Wo), dtype=np.int64)  # winner's flat index h*W + w in its plane
    for n, c, i, j in np.ndindex(N, C, Ho, Wo):
        best, arg = None, None
        for a, b in np.ndindex(kH, kW):  # row-major order
            h = i * sH - pH + a * dH  # (1)
            w = j * sW - pW + b * dW
            if not (0 <= h < H and 0 <= w < W):
                continue  # padding: never a candidate
            v = X[n, c, h, w]
            if arg is None or v > best or np.isnan(v):  # a tie keeps the earlier entry
                best, arg = v, h * W + w
        Y[n, c, i, j], I[n, c, i, j] = best, arg
    # --8<-- [end:max-pool-naive-forward]
    if X0.ndim == 3:
        Y, I = Y[0], I[0]
    return (Y, I) if return_indices else Y


def max_pool2d_backward_naive(
    grad_output, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False
):
    """max_pool2d_backward as a loop: each window's gradient goes to its winner."""
    X0, X, g = _setup(input, kernel_size, stride, padding, dilation, ceil_mode)
    dY = _check_grad(grad_output, X0, g, _OP)
    _, I = max_pool2d_naive(X, *g[:4], ceil_mode=ceil_mode, return_indices=True)
    # --8<-- [start:max-pool-naive-backward]
    W = X.shape[-1]
    dX = np.zeros_like(X)
    for n, c, i, j in np.ndindex(*dY.shape):
        h, w = divmod(int(I[n, c, i, j]), W)  # the winner of window (i, j)
        dX[n, c, h, w] += dY[n, c, i, j]  # (3); overlapping windows add up
    # --8<-- [end:max-pool-naive-backward]
    return dX if X0.ndim == 4 else dX[0]


# ---------------------------------------------------------------------------------------------
# The vectorized version: one kernel position (a, b) at a time, every window at once.


# --8<-- [start:max-pool-pad]
def _pad(X, g):
    """X inside a -inf border: pH, pW on the top and left; below and to the right as far as
    the last window reaches (ceil_mode's extra window can reach past the padding)."""
    (kH, kW), (sH, sW), (pH, pW), (dH, dW), (Ho, Wo) = g.k, g.s, g.p, g.d, g.out
    N, C, H, W = X.shape
    Hp = max(pH + H, (Ho - 1) * sH + (kH - 1) * dH + 1)
    Wp = max(pW + W, (Wo - 1) * sW + (kW - 1) * dW + 1)
    if (pH, pW, Hp, Wp) == (0, 0, H, W):
        return X
    Xp = np.full((N, C, Hp, Wp), -np.inf, dtype=X.dtype)
    Xp[:, :, pH : pH + H, pW : pW + W] = X
    return Xp


# --8<-- [end:max-pool-pad]


# --8<-- [start:max-pool-taps]
def _taps(g):
    """For each kernel position t = a*kW + b: the slices of the padded input that it reads,
    Xp[:, :, i*sH + a*dH, j*sW + b*dW] for every window (i, j)."""
    (kH, kW), (sH, sW), (dH, dW), (Ho, Wo) = g.k, g.s, g.d, g.out
    for a, b in np.ndindex(kH, kW):
        rows = slice(a * dH, a * dH + (Ho - 1) * sH + 1, sH)
        cols = slice(b * dW, b * dW + (Wo - 1) * sW + 1, sW)
        yield a * kW + b, (slice(None), slice(None), rows, cols)


# --8<-- [end:max-pool-taps]


# -0.0 is the one float whose bits, read as a signed integer of the same width, are the
# smallest integer (only the sign bit set): one integer comparison finds it, where
# np.signbit(X) & (X == 0) takes three passes over X
_INT = {4: np.int32, 8: np.int64}
_NEGATIVE_ZERO = {4: np.iinfo(np.int32).min, 8: np.iinfo(np.int64).min}


def _max_and_winner(X, Xp, g):
    """Y (N, C, Ho, Wo) and T, the kernel position a*kW + b of each window's winner.

    X is the input, Xp the same inside its -inf border (see _pad)."""
    has_nan = np.isnan(X).any()
    small = np.int16 if g.k[0] * g.k[1] <= 2**15 else np.int64  # T's type: less memory to move
    N, C = X.shape[:2]
    # --8<-- [start:max-pool-forward]
    Y = np.full((N, C, *g.out), -np.inf, dtype=X.dtype)  # the best entry so far ...
    T = np.full(Y.shape, g.first, dtype=small)  # ... and its kernel position t
    for t, tap in _taps(g):
        V = Xp[tap]  # V[n,c,i,j] = Xp[n,c, i*sH + a*dH, j*sW + b*dW]   (1)
        wins = V > Y  # strictly larger: on a tie the earlier entry stays
        if has_nan:
            wins |= np.isnan(V)  # a NaN takes over, even from an earlier NaN
        T += wins * (t - T)  # T = t where V wins
        np.maximum(V, Y, out=Y)  # == V where V wins; the same value as before elsewhere
    # --8<-- [end:max-pool-forward]
    return Y, T


def _zero_signs(Y, T, X, Xp, g):
    """Y with each zero read at its winner: -0.0 == 0.0, and np.maximum may return either one.
    (Only the forward needs this: the backward uses T alone.)"""
    if (X.view(_INT[X.itemsize]) == _NEGATIVE_ZERO[X.itemsize]).any():  # a -0.0 in X?
        n, c, i, j = np.nonzero(Y == 0)
        a, b = np.divmod(T[n, c, i, j].astype(np.int64), g.k[1])
        Y[n, c, i, j] = Xp[n, c, i * g.s[0] + a * g.d[0], j * g.s[1] + b * g.d[1]]
    return Y


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Y[n,c,i,j] = max over a, b of X[n,c, i*sH - pH + a*dH, j*sW - pW + b*dW], as
    torch.nn.functional.max_pool2d (the first maximum in row-major order wins; NaN wins).

    Shapes: input (N, C, H, W) or (C, H, W) -> (N, C, Ho, Wo) or (C, Ho, Wo), with Ho, Wo from
    the chapter's (2). return_indices=True also returns the winners' flat indices h*W + w (int64).
    """
    X0, X, g = _setup(input, kernel_size, stride, padding, dilation, ceil_mode)
    Xp = _pad(X, g)
    Y, T = _max_and_winner(X, Xp, g)
    Y = _zero_signs(Y, T, X, Xp, g)
    if X0.ndim == 3:
        Y, T = Y[0], T[0]
    if not return_indices:
        return Y
    kW, (sH, sW), (pH, pW), (dH, dW), (Ho, Wo) = g.k[1], g.s, g.p, g.d, g.out
    a, b = np.divmod(T.astype(np.int64), kW)
    h = np.arange(Ho)[:, None] * sH - pH + a * dH
    w = np.arange(Wo) * sW - pW + b * dW
    return Y, (h * X.shape[-1] + w).astype(np.int64)


def max_pool2d_backward(
    grad_output, input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False
):
    """dX: each window's dY goes to its winner (the forward's rule), overlapping windows add.

    Shapes: grad_output (N, C, Ho, Wo), input (N, C, H, W) -> (N, C, H, W); or without N.
    """
    X0, X, g = _setup(input, kernel_size, stride, padding, dilation, ceil_mode)
    dY = _check_grad(grad_output, X0, g, _OP)
    Xp = _pad(X, g)
    _, T = _max_and_winner(X, Xp, g)
    finite = np.isfinite(dY).all()  # then dY * mask is safe (no 0 * inf), and faster
    (pH, pW), (H, W) = g.p, X.shape[-2:]
    # windows that do not overlap write every input entry at most once: = instead of +=
    overlap = any(s < d * (k - 1) + 1 for k, s, d in zip(g.k, g.s, g.d, strict=True))
    # --8<-- [start:max-pool-backward]
    dXp = np.zeros(Xp.shape, dtype=X.dtype)
    for t, tap in _taps(g):
        won = T == t  # the windows whose winner sits at kernel position t
        # dXp[n,c, i*sH + a*dH, j*sW + b*dW] += G[n,c,i,j]
        if not finite:
            dXp[tap] += np.where(won, dY, 0)  # (3): dY there, 0 elsewhere (0 * inf is NaN)
        elif overlap:
            dXp[tap] += dY * won  # (3); windows overlap: gradients add up
        else:
            np.multiply(dY, won, out=dXp[tap])  # (3), written straight into dXp
    dX = dXp[:, :, pH : pH + H, pW : pW + W]  # the padding's gradient is dropped
    # --8<-- [end:max-pool-backward]
    return np.ascontiguousarray(dX if X0.ndim == 4 else dX[0])
