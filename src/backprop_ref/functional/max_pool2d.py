"""2-D max pooling: forward and backward. Chapter: docs/layers/max_pool2d.md

Index letters as in the chapter (and as in conv2d): n batch, c channel, (i, j) a window (an
output position), (p, q) a tap, a position inside the kernel, (h, w) an input position.
Every window follows torch's rule: its entries are read in row-major order (p, then q); the
first one inside the input takes the lead, and a later one takes over when it is strictly
larger or when it is NaN; the winner receives the window's whole gradient.
The fast version is backprop_ref.kernels.max_pool2d.
"""

from typing import NamedTuple

import numpy as np

from . import _checks
from ._windows import reaching_taps, tap_rows


class _Geometry(NamedTuple):
    """The pooling arguments as (height, width) pairs, the output size, and the tap rows."""

    k: tuple  # kernel_size (kH, kW)
    s: tuple  # stride (sH, sW)
    P: tuple  # padding (PH, PW)
    d: tuple  # dilation (dH, dW)
    out: tuple  # (Ho, Wo)
    h: np.ndarray  # h[p, i], the input row tap p of window i reads (-1: padding), for the taps
    w: np.ndarray  # p that reach the input, in order (see _windows); w: the same for columns


# --8<-- [start:max-pool-output-size]
def _output_size(size, k, s, P, d, ceil_mode):
    """How many windows fit along one axis of length `size` (torch's pooling_output_shape)."""
    span = d * (k - 1) + 1  # input rows a dilated window stretches over
    room = size + 2 * P - span  # how far its first row can move: 0 .. room
    if not ceil_mode:
        return room // s + 1  # (2a)
    out = -(-room // s) + 1  # (2b): one more window when the last one would stick out
    if (out - 1) * s >= size + P:  # ... which must start in the input or the padding before it
        out -= 1
    return out


# --8<-- [end:max-pool-output-size]


def _geometry(shape, kernel_size, stride, padding, dilation, ceil_mode, op):
    """Check the arguments as torch does; return them as pairs with the output size."""
    if len(shape) not in (3, 4):
        raise ValueError(f"{op}: expected input of shape (N, C, H, W) or (C, H, W), got {shape}")
    if 0 in shape[-3:]:
        raise ValueError(f"{op}: input needs C, H, W > 0 (only N may be 0), got {shape}")
    k = _checks.pair(kernel_size, "kernel_size", op)
    empty = stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0)
    s = k if empty else _checks.pair(stride, "stride", op)
    P = _checks.pair(padding, "padding", op)
    d = _checks.pair(dilation, "dilation", op)
    ceil_mode = _checks.flag(ceil_mode, "ceil_mode", op)
    for name, v in (("kernel_size", k), ("stride", s), ("dilation", d)):
        if min(v) < 1:
            raise ValueError(f"{op}: {name} must be positive, got {v} for input {shape}")
    if min(P) < 0:
        raise ValueError(f"{op}: padding must be non-negative, got {P} for input {shape}")
    if P[0] > k[0] // 2 or P[1] > k[1] // 2:
        raise ValueError(
            f"{op}: padding {P} must be at most half of kernel_size {k} (torch compares it with "
            f"the undilated kernel), for input {shape}"
        )
    axes = list(zip(shape[-2:], k, s, P, d, strict=True))  # (size, k, s, P, d): height, width
    out = tuple(_output_size(*axis, ceil_mode) for axis in axes)
    where = (
        f"input {shape} with kernel_size {k}, stride {s}, padding {P}, dilation {d}, "
        f"ceil_mode={ceil_mode}"
    )
    if min(out) < 1:
        raise ValueError(f"{op}: {where} gives output size {out}: the window does not fit")
    (H, kH, sH, PH, dH), (W, kW, sW, PW, dW) = axes
    h = tap_rows(H, kH, sH, dH, PH, out[0], reaching_taps(H, kH, sH, dH, PH, out[0]))
    w = tap_rows(W, kW, sW, dW, PW, out[1], reaching_taps(W, kW, sW, dW, PW, out[1]))
    if not ((h >= 0).any(axis=0).all() and (w >= 0).any(axis=0).all()):
        raise ValueError(
            f"{op}: {where} has a window that covers no input element, only padding and gaps "
            "between dilated taps (torch 2.13 returns indices outside the input there, and its "
            "backward writes out of bounds)"
        )
    return _Geometry(k, s, P, d, out, h, w)


def _setup(input, kernel_size, stride, padding, dilation, ceil_mode, op):
    """(input as a float ndarray, the same as (N, C, H, W), its geometry)."""
    X = _checks.array(input, "input", op)
    g = _geometry(X.shape, kernel_size, stride, padding, dilation, ceil_mode, op)
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
    """max_pool2d written as loops over n, c, i, j and the taps p, q."""
    X0, X, g = _setup(input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d_naive")
    _checks.flag(return_indices, "return_indices", "max_pool2d_naive")
    (kH, kW), (sH, sW), (PH, PW), (dH, dW), (Ho, Wo) = g.k, g.s, g.P, g.d, g.out
    # --8<-- [start:max-pool-naive-forward]
    N, C, H, W = X.shape
    Y = np.empty((N, C, Ho, Wo), dtype=X.dtype)
    I = np.empty((N, C, Ho, Wo), dtype=np.int64)  # winner's flat index h*W + w in its plane
    for n, c, i, j in np.ndindex(N, C, Ho, Wo):
        best, arg = None, None
        for p, q in np.ndindex(kH, kW):  # row-major order
            h = i * sH - PH + p * dH  # (1)
            w = j * sW - PW + q * dW
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
    grad_output,
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """max_pool2d_backward as a loop: each window's gradient goes to its winner."""
    op = "max_pool2d_backward_naive"
    X0, X, g = _setup(input, kernel_size, stride, padding, dilation, ceil_mode, op)
    _checks.flag(return_indices, "return_indices", op)
    dY = _check_grad(grad_output, X0, g, op)
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
# The vectorized version: one tap (p, q) at a time, every window at once.


# --8<-- [start:max-pool-forward]
def _max_and_winner(X, g):
    """Y (N, C, Ho, Wo), the best entry of every window, and I, its flat index h*W + w."""
    N, C, _, W = X.shape
    Y = np.full((N, C, *g.out), -np.inf, dtype=X.dtype)  # the best entry so far ...
    I = np.full(Y.shape, -1)  # ... and where it is; -1: the window has seen no entry yet
    # row-major over the taps (p, q) that reach the input (the others read only padding): work
    # and memory follow the output and the input, however large the kernel or the padding
    for h_p in g.h:
        for w_q in g.w:
            h, w = h_p[:, None], w_q[None, :]  # (Ho, 1) and (1, Wo): tap (p, q)'s rows, columns
            inside = (h >= 0) & (w >= 0)  # (Ho, Wo): windows whose tap is not padding
            V = X[:, :, h, w]  # V[n,c,i,j] = X[n,c, i*sH - PH + p*dH, j*sW - PW + q*dW]   (1)
            # torch's rule: the first entry inside leads; then strictly larger wins (a tie keeps
            # the earlier entry), and NaN wins, even over an earlier NaN
            wins = inside & ((I < 0) | (V > Y) | np.isnan(V))
            Y = np.where(wins, V, Y)
            I = np.where(wins, h * W + w, I)
    return Y, I


# --8<-- [end:max-pool-forward]


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Y[n,c,i,j] = max over p, q of X[n,c, i*sH - PH + p*dH, j*sW - PW + q*dW], as
    torch.nn.functional.max_pool2d (the first maximum in row-major order wins; NaN wins).

    Shapes: input (N, C, H, W) or (C, H, W) -> (N, C, Ho, Wo) or (C, Ho, Wo), with Ho, Wo from
    the chapter's (2). return_indices=True also returns the winners' flat indices h*W + w (int64).
    """
    X0, X, g = _setup(input, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    _checks.flag(return_indices, "return_indices", "max_pool2d")
    Y, I = _max_and_winner(X, g)
    if X0.ndim == 3:
        Y, I = Y[0], I[0]
    return (Y, I) if return_indices else Y


def max_pool2d_backward(
    grad_output,
    input,
    kernel_size,
    stride=None,
    padding=0,
    dilation=1,
    ceil_mode=False,
    return_indices=False,
):
    """dX: each window's dY goes to its winner (the forward's rule), overlapping windows add.

    Shapes: grad_output (N, C, Ho, Wo), input (N, C, H, W) -> (N, C, H, W); or without N.
    return_indices is accepted, as every keyword of the forward is, and changes nothing.
    """
    op = "max_pool2d_backward"
    X0, X, g = _setup(input, kernel_size, stride, padding, dilation, ceil_mode, op)
    _checks.flag(return_indices, "return_indices", op)
    dY = _check_grad(grad_output, X0, g, op)
    # --8<-- [start:max-pool-backward]
    _, I = _max_and_winner(X, g)  # the forward's winners (torch saves them; we recompute)
    N, C, H, W = X.shape
    planes = np.arange(N * C)[:, None]  # one row per (n, c) plane
    dX = np.zeros((N * C, H * W), dtype=X.dtype)
    # (3): dX[n, c, I[n,c,i,j]] += dY[n,c,i,j]; np.add.at adds up the windows that share a
    # winner (overlapping windows), in the windows' row-major order, as torch does
    L = g.out[0] * g.out[1]  # windows per plane
    np.add.at(dX, (planes, I.reshape(N * C, L)), dY.reshape(N * C, L))
    dX = dX.reshape(X.shape)
    # --8<-- [end:max-pool-backward]
    return dX if X0.ndim == 4 else dX[0]
