"""2-D average pooling, fixed and adaptive: forward and backward. Chapter: docs/layers/avg_pool2d.md

Index letters as in max pooling: n batch, c channel, (i, j) a window (an output position),
(p, q) a tap inside the window, (h, w) an input position. Both ops are one computation: along
each axis, tap p of window i reads input row h[p, i] (-1 where that is padding or past the
window's end), and window (i, j) divides its sum by D[i, j] = DH[i] * DW[j]. Only the geometry
(h, w, DH, DW) differs between the two; work and memory follow the output and the taps that
reach the input, never the padding.
"""

from typing import NamedTuple

import numpy as np

from . import _checks
from ._windows import reaching_taps, tap_rows
from .max_pool2d import _output_size


class _Geometry(NamedTuple):
    out: tuple  # (Ho, Wo)
    h: np.ndarray  # h[p, i]: the input row tap p of window i reads, -1 for none
    w: np.ndarray  # w[q, j]: the same for columns
    D: np.ndarray  # (Ho, Wo): each window's divisor


def _input(input, op, empty_channels):
    X = _checks.array(input, "input", op)
    if X.ndim not in (3, 4):
        raise ValueError(f"{op}: expected input of shape (N, C, H, W) or (C, H, W), got {X.shape}")
    dims = X.shape[-2:] if empty_channels else X.shape[-3:]
    if 0 in dims:
        which = "H, W" if empty_channels else "C, H, W"
        raise ValueError(f"{op}: input needs {which} > 0 (only N may be 0), got {X.shape}")
    return X


# --8<-- [start:avg-pool-divisor]
def _divisors(size, k, s, P, out, count_include_pad):
    """Along one axis, how many rows window i divides by, as torch's kernel counts them: its
    rows clipped to the padded input (with count_include_pad) or to the input itself."""
    start = np.arange(out) * s - P  # the window's first row (negative: in the padding)
    end = np.minimum(start + k, size + P)  # ceil_mode's last window may stick out: clip it
    if count_include_pad:
        return end - start  # (3a) padding counts, what sticks out past the padding does not
    return np.minimum(end, size) - np.maximum(start, 0)  # (3b) input rows only


# --8<-- [end:avg-pool-divisor]


def _avg_geometry(shape, kernel_size, stride, padding, ceil_mode, count_include_pad, div, op):
    k = _checks.pair(kernel_size, "kernel_size", op)
    empty = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    s = k if empty else _checks.pair(stride, "stride", op)
    P = _checks.pair(padding, "padding", op)
    ceil_mode = _checks.flag(ceil_mode, "ceil_mode", op)
    count_include_pad = _checks.flag(count_include_pad, "count_include_pad", op)
    if div is not None:
        div = _checks.integer(div, "divisor_override", op)
        if div == 0:
            raise ValueError(f"{op}: divisor_override must not be zero, for input {shape}")
    for name, v in (("kernel_size", k), ("stride", s)):
        if min(v) < 1:
            raise ValueError(f"{op}: {name} must be positive, got {v} for input {shape}")
    if min(P) < 0:
        raise ValueError(f"{op}: padding must be non-negative, got {P} for input {shape}")
    if P[0] > k[0] // 2 or P[1] > k[1] // 2:
        raise ValueError(
            f"{op}: padding {P} must be at most half of kernel_size {k}, for input {shape}"
        )
    axes = list(zip(shape[-2:], k, s, P, strict=True))  # (size, k, s, P): height, width
    out = tuple(_output_size(*axis, 1, ceil_mode) for axis in axes)  # max pooling's (2)
    if min(out) < 1:
        raise ValueError(
            f"{op}: input {shape} with kernel_size {k}, stride {s}, padding {P}, "
            f"ceil_mode={ceil_mode} gives output size {out}: the window does not fit"
        )
    h, w = (
        tap_rows(n, kk, ss, 1, PP, o, reaching_taps(n, kk, ss, 1, PP, o))
        for (n, kk, ss, PP), o in zip(axes, out, strict=True)
    )
    if div is not None:
        D = np.full(out, float(div))
    else:
        DH, DW = (
            _divisors(n, kk, ss, PP, o, count_include_pad)
            for (n, kk, ss, PP), o in zip(axes, out, strict=True)
        )
        D = (DH[:, None] * DW[None, :]).astype(float)
    return _Geometry(out, h, w, D)


# --8<-- [start:adaptive-windows]
def _adaptive_rows(size, out):
    """Window i of `out` along an axis of length `size` covers rows floor(i*size/out) up to
    ceil((i+1)*size/out), exclusive (torch's start_index and end_index): h[p, i] = start + p
    for the taps p below the window's length, -1 past it; and each window's length."""
    i = np.arange(out)
    start = (i * size) // out  # (4a)
    end = -((-(i + 1) * size) // out)  # (4b) ceil division
    p = np.arange(int((end - start).max(initial=0)))[:, None]  # taps: the longest window
    h = np.where(p < end - start, start + p, -1)
    return h, end - start


# --8<-- [end:adaptive-windows]


def _adaptive_geometry(shape, output_size, op):
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise ValueError(
                f"{op}: output_size must be an int or a tuple of 2 (ints or None), "
                f"got {output_size!r}"
            )
        sizes = output_size
    else:
        sizes = (output_size, output_size)
    what = "an int, None, or a tuple of 2 of them"
    out = tuple(
        n if v is None else _checks.integer(v, "output_size", op, what)
        for v, n in zip(sizes, shape[-2:], strict=True)
    )
    if min(out) < 0:
        raise ValueError(f"{op}: output_size must be non-negative, got {out} for input {shape}")
    (h, DH), (w, DW) = (_adaptive_rows(n, o) for n, o in zip(shape[-2:], out, strict=True))
    return _Geometry(out, h, w, (DH[:, None] * DW[None, :]).astype(float))


# --8<-- [start:avg-pool-forward]
def _average(X, g):
    """Y[n,c,i,j] = (sum over the taps p, q inside the input of X[n,c,h[p,i],w[q,j]]) / D[i,j]"""
    S = np.zeros((*X.shape[:2], *g.out), dtype=X.dtype)  # the windows' sums
    for h_p in g.h:  # row-major over the taps, as torch sums a window
        for w_q in g.w:
            h, w = h_p[:, None], w_q[None, :]  # (Ho, 1), (1, Wo): tap (p, q) of every window
            inside = (h >= 0) & (w >= 0)
            S += np.where(inside, X[:, :, h, w], 0)  # (1) padding adds nothing
    return S / g.D.astype(X.dtype)  # (2)


# --8<-- [end:avg-pool-forward]


# --8<-- [start:avg-pool-backward]
def _spread(dY, X_shape, g, dtype):
    """dX[n,c,h,w] = sum over the windows (i, j) and taps reading (h, w) of dY[n,c,i,j] / D[i,j]"""
    N, C, H, W = X_shape
    G = dY / g.D.astype(dtype)  # (5) each window's share, the same for all its taps
    dX = np.zeros((N * C, H * W), dtype=dtype)
    planes = np.arange(N * C)[:, None]
    L = g.out[0] * g.out[1]
    for h_p in g.h:
        for w_q in g.w:
            h, w = h_p[:, None], w_q[None, :]
            inside = ((h >= 0) & (w >= 0)).ravel()
            flat = (h * W + w).ravel()[inside]  # the input position tap (p, q) reads
            np.add.at(dX, (planes, flat), G.reshape(N * C, L)[:, inside])  # (6) windows add
    return dX.reshape(X_shape)


# --8<-- [end:avg-pool-backward]


def _batched(X):
    return X if X.ndim == 4 else X[None]


def _check_grad(grad_output, X, out, op):
    dY = _checks.array(grad_output, "grad_output", op)
    _checks.same_dtype(op, grad_output=dY, input=X)
    _checks.grad_like(dY, (*X.shape[:-2], *out), op)
    return _batched(dY)


def avg_pool2d(
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """Y[n,c,i,j] = sum over p, q of X[n,c, i*sH - PH + p, j*sW - PW + q] / D[i,j] (padding
    adds 0), as torch.nn.functional.avg_pool2d; D from count_include_pad (3a, 3b) or
    divisor_override.

    Shapes: input (N, C, H, W) or (C, H, W) -> (N, C, Ho, Wo) or (C, Ho, Wo), Ho and Wo as
    max_pool2d's (dilation 1).
    """
    op = "avg_pool2d"
    X = _input(input, op, empty_channels=False)
    g = _avg_geometry(
        X.shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, op
    )
    Y = _average(_batched(X), g)
    return Y if X.ndim == 4 else Y[0]


def avg_pool2d_backward(
    grad_output,
    input,
    kernel_size,
    stride=None,
    padding=0,
    ceil_mode=False,
    count_include_pad=True,
    divisor_override=None,
):
    """dX: each window's dY / D[i,j] goes to every input entry it covers; windows add up.

    Shapes: grad_output (N, C, Ho, Wo), input (N, C, H, W) -> (N, C, H, W); or without N.
    """
    op = "avg_pool2d_backward"
    X = _input(input, op, empty_channels=False)
    g = _avg_geometry(
        X.shape, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override, op
    )
    dY = _check_grad(grad_output, X, g.out, op)
    dX = _spread(dY, _batched(X).shape, g, X.dtype)
    return dX if X.ndim == 4 else dX[0]


def adaptive_avg_pool2d(input, output_size):
    """Y[n,c,i,j] = the mean of X[n,c] over rows floor(i*H/Ho) .. ceil((i+1)*H/Ho) - 1 and
    the columns likewise, as torch.nn.functional.adaptive_avg_pool2d.

    Shapes: input (N, C, H, W) or (C, H, W) -> (N, C, Ho, Wo) or (C, Ho, Wo); output_size an
    int or a pair, None in the pair keeping that input size.
    """
    op = "adaptive_avg_pool2d"
    X = _input(input, op, empty_channels=True)
    g = _adaptive_geometry(X.shape, output_size, op)
    Y = _average(_batched(X), g)
    return Y if X.ndim == 4 else Y[0]


def adaptive_avg_pool2d_backward(grad_output, input, output_size):
    """dX: each window's dY / (its rows x its columns) to every entry it covers; windows add.

    Shapes: grad_output (N, C, Ho, Wo), input (N, C, H, W) -> (N, C, H, W); or without N.
    """
    op = "adaptive_avg_pool2d_backward"
    X = _input(input, op, empty_channels=True)
    g = _adaptive_geometry(X.shape, output_size, op)
    dY = _check_grad(grad_output, X, g.out, op)
    dX = _spread(dY, _batched(X).shape, g, X.dtype)
    return dX if X.ndim == 4 else dX[0]
