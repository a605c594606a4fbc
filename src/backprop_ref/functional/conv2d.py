"""2-D convolution: forward and backward. Chapter: docs/layers/conv2d.md

Index letters, as in the chapter: n sample, o output channel, c input channel (within its group),
g group, i, j output row and column, p, q kernel row and column, s stride, d dilation.
Xp is the zero-padded input. The number after `#` is the equation's tag in the chapter.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import _checks

_OP = "conv2d"


# ---------------------------------------------------------------------------------------------
# argument checks (torch's rules; each failure names the argument and the shapes)


def _int(value, name, op):
    # bool is an int in Python, but torch rejects stride=True; so do we
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int or a tuple of 2 ints, got {value!r}")
    return int(value)


def _pair(value, name, op):
    """An int, or a tuple/list of 1 or 2 ints (torch expands a 1-tuple), as (rows, cols)."""
    if isinstance(value, (tuple, list)):
        if len(value) not in (1, 2):
            raise ValueError(
                f"{op}: {name} must be an int or a tuple of 2 ints, got {len(value)} values "
                f"{tuple(value)!r}"
            )
        pair = tuple(_int(v, name, op) for v in value)
        return pair * 2 if len(pair) == 1 else pair
    v = _int(value, name, op)
    return (v, v)


def _padding(padding, weight_shape, dilation, stride, op):
    """((top, bottom), (left, right)) zero rows/columns, as torch pads."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0), (0, 0)
        if padding == "same":
            if stride != (1, 1):
                raise ValueError(
                    f"{op}: padding='same' is not supported for strided convolutions "
                    f"(stride={stride}), as in torch"
                )
            # the output keeps the input's size: pad d*(k-1) in total; torch puts the smaller
            # half before and the extra row/column (when the total is odd) after
            pads = []
            for k, d in zip(weight_shape[2:], dilation, strict=True):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
            return tuple(pads)
        raise ValueError(
            f"{op}: padding must be 'valid', 'same', an int or a pair, got {padding!r}"
        )
    ph, pw = _pair(padding, "padding", op)
    if ph < 0 or pw < 0:
        raise ValueError(f"{op}: padding must be >= 0, got {(ph, pw)}")
    return (ph, ph), (pw, pw)


def _check(input, weight, bias, stride, padding, dilation, groups, op=_OP):
    """Checked arrays and arguments: X as (N, C, H, W), plus whether the input was unbatched."""
    X = _checks.array(input, "input", op)
    W = _checks.array(weight, "weight", op)
    b = _checks.optional_array(bias, "bias", op)
    _checks.same_dtype(op, input=X, weight=W, bias=b)
    if X.ndim not in (3, 4):
        raise ValueError(
            f"{op}: input must be (N, C_in, H, W) or unbatched (C_in, H, W), got shape {X.shape}"
        )
    if W.ndim != 4:
        raise ValueError(
            f"{op}: weight must be 4-D (C_out, C_in/groups, kH, kW), got shape {W.shape}"
        )
    stride = _pair(stride, "stride", op)
    dilation = _pair(dilation, "dilation", op)
    groups = _int(groups, "groups", op)
    if min(stride) <= 0:
        raise ValueError(f"{op}: stride must be positive, got {stride}")
    if min(dilation) <= 0:
        raise ValueError(f"{op}: dilation must be positive, got {dilation}")
    if groups <= 0:
        raise ValueError(f"{op}: groups must be positive, got {groups}")
    pads = _padding(padding, W.shape, dilation, stride, op)

    unbatched = X.ndim == 3
    if unbatched:
        X = X[None]
    C_out, C_g, kH, kW = W.shape
    if kH == 0 or kW == 0:
        raise ValueError(f"{op}: weight's kernel size must be positive, got weight {W.shape}")
    if C_out < groups or C_out % groups:
        raise ValueError(
            f"{op}: weight's C_out = {C_out} must be a positive multiple of groups = {groups}, "
            f"got weight {W.shape}"
        )
    if X.shape[1] != C_g * groups:
        raise ValueError(
            f"{op}: input has {X.shape[1]} channels but weight {W.shape} with groups={groups} "
            f"expects C_in = {C_g} * {groups} = {C_g * groups}; got input {input.shape}"
        )
    if b is not None and b.shape != (C_out,):
        raise ValueError(
            f"{op}: bias must have shape (C_out,) = ({C_out},), got {b.shape} for weight {W.shape}"
        )
    for axis, name in ((0, "height"), (1, "width")):
        size = X.shape[2 + axis] + sum(pads[axis])
        span = dilation[axis] * (W.shape[2 + axis] - 1) + 1
        if span > size:
            raise ValueError(
                f"{op}: the kernel's dilated {name} {span} is larger than the padded input's "
                f"{name} {size}; got input {input.shape}, weight {W.shape}, "
                f"padding={padding!r}, dilation={dilation}"
            )
    return X, W, b, stride, pads, dilation, groups, unbatched


def _output_size(X, W, stride, pads, dilation):
    # H_out = floor((H + pad_top + pad_bottom - d*(kH-1) - 1) / s) + 1                    (2)
    return tuple(
        (X.shape[2 + a] + sum(pads[a]) - dilation[a] * (W.shape[2 + a] - 1) - 1) // stride[a] + 1
        for a in (0, 1)
    )


def _pad(X, pads):
    if not any(pads[0] + pads[1]):
        return X
    return np.pad(X, ((0, 0), (0, 0), pads[0], pads[1]))


def _check_grad(grad_output, X, W, stride, pads, dilation, unbatched, op=_OP):
    dY = _checks.array(grad_output, "grad_output", op)
    _checks.same_dtype(op, grad_output=dY, input=X)
    H_out, W_out = _output_size(X, W, stride, pads, dilation)
    shape = (W.shape[0], H_out, W_out) if unbatched else (X.shape[0], W.shape[0], H_out, W_out)
    _checks.grad_like(dY, shape, op)
    return dY if not unbatched else dY[None]


# ---------------------------------------------------------------------------------------------
# the loop versions: the index formulas, one multiply-add at a time


def conv2d_naive(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """conv2d by the index formula (1), with Python loops. Slow; for reading and for tests."""
    X, W, b, (sh, sw), pads, (dh, dw), groups, unbatched = _check(
        input, weight, bias, stride, padding, dilation, groups, "conv2d_naive"
    )
    H_out, W_out = _output_size(X, W, (sh, sw), pads, (dh, dw))
    # --8<-- [start:conv2d-naive-forward]
    Xp = _pad(X, pads)  # zero rows/columns around each image
    N = X.shape[0]
    C_out, C_g, kH, kW = W.shape  # C_g input channels per group
    O_g = C_out // groups  # output channels per group
    Y = np.zeros((N, C_out, H_out, W_out), dtype=X.dtype)
    for n in range(N):
        for o in range(C_out):
            g = o // O_g  # output channel o reads the input channels of group g only
            for i in range(H_out):
                for j in range(W_out):
                    total = b[o] if b is not None else 0.0
                    for c in range(C_g):
                        ch = g * C_g + c  # c counts inside the group; ch is the input channel
                        for p in range(kH):
                            u = i * sh + p * dh  # the row of Xp that tap p reads
                            for q in range(kW):
                                v = j * sw + q * dw  # and the column for tap q
                                total += W[o, c, p, q] * Xp[n, ch, u, v]  # (1)
                    Y[n, o, i, j] = total
    # --8<-- [end:conv2d-naive-forward]
    return Y[0] if unbatched else Y


def conv2d_backward_naive(
    grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1
):
    """conv2d_backward with Python loops: each product of (1) sends dY back to both factors."""
    op = "conv2d_backward_naive"
    X, W, b, (sh, sw), pads, (dh, dw), groups, unbatched = _check(
        input, weight, bias, stride, padding, dilation, groups, op
    )
    dY = _check_grad(grad_output, X, W, (sh, sw), pads, (dh, dw), unbatched, op)
    # --8<-- [start:conv2d-naive-backward]
    Xp = _pad(X, pads)
    N, _, H_out, W_out = dY.shape
    C_out, C_g, kH, kW = W.shape
    O_g = C_out // groups
    dXp = np.zeros_like(Xp)
    dW = np.zeros_like(W)
    db = np.zeros(C_out, dtype=X.dtype) if b is not None else None
    for n in range(N):
        for o in range(C_out):
            g = o // O_g
            for i in range(H_out):
                for j in range(W_out):
                    dy = dY[n, o, i, j]
                    if db is not None:
                        db[o] += dy  # (5)
                    for c in range(C_g):
                        ch = g * C_g + c
                        for p in range(kH):
                            u = i * sh + p * dh
                            for q in range(kW):
                                v = j * sw + q * dw
                                dW[o, c, p, q] += dy * Xp[n, ch, u, v]  # (3)
                                dXp[n, ch, u, v] += dy * W[o, c, p, q]  # (4)
    top, left = pads[0][0], pads[1][0]
    dX = dXp[:, :, top : top + X.shape[2], left : left + X.shape[3]]  # (6) drop the padding
    # --8<-- [end:conv2d-naive-backward]
    return (dX[0] if unbatched else dX), dW, db


# ---------------------------------------------------------------------------------------------
# the vectorized versions: im2col from a strided view, one matmul per group, col2im by slices.
# Two choices make them fast (docs/performance.md measures them):
# - the batch axis goes last, (C, H, W, N): the copies of one pixel from all samples sit side by
#   side, so one matmul covers every sample and col2im adds long contiguous runs, not 10 pixels;
# - the batch is processed in chunks of samples whose `cols` fits in about 1 MiB, so that it is
#   still in the CPU's cache when the matmuls read it (a plain batch of 64 makes it 5 MB).

# --8<-- [start:conv2d-chunks]
_CHUNK_BYTES = 2**20


def _chunks(N, bytes_per_sample):
    """Slices of the batch axis, each holding as many samples as fit in _CHUNK_BYTES."""
    B = max(1, min(N, _CHUNK_BYTES // max(1, bytes_per_sample)))
    return [slice(n0, min(N, n0 + B)) for n0 in range(0, N, B)]


# --8<-- [end:conv2d-chunks]


# --8<-- [start:conv2d-batch-last]
def _batch_last(X, pads):
    """Xt[c, h, w, n] = Xp[n, c, h, w]: the zero-padded input with the batch axis last."""
    (top, bottom), (left, right) = pads
    N, C, H, W = X.shape
    Xt = np.zeros((C, top + H + bottom, left + W + right, N), dtype=X.dtype)
    Xt[:, top : top + H, left : left + W] = X.transpose(1, 2, 3, 0)  # one copy: pad + move n
    return Xt


# --8<-- [end:conv2d-batch-last]


# --8<-- [start:conv2d-columns]
def _columns(Xt, kernel, stride, dilation, out_size):
    """cols[c, p, q, i, j, n] = Xt[c, i*s + p*d, j*s + q*d, n], copied into a new array."""
    (kH, kW), (sh, sw), (dh, dw), (H_out, W_out) = kernel, stride, dilation, out_size
    # every (dh*(kH-1)+1) x (dw*(kW-1)+1) window, then keep every s-th window and every d-th
    # element inside it: axes (c, i, j, n, p, q), a view, no copy yet
    win = sliding_window_view(Xt, (dh * (kH - 1) + 1, dw * (kW - 1) + 1), axis=(1, 2))
    win = win[:, : (H_out - 1) * sh + 1 : sh, : (W_out - 1) * sw + 1 : sw, :, ::dh, ::dw]
    return np.ascontiguousarray(win.transpose(0, 4, 5, 1, 2, 3))


# --8<-- [end:conv2d-columns]


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Y[n,o,i,j] = b[o] + sum_{c,p,q} W[o,c,p,q] Xp[n, g*C_g+c, i*s+p*d, j*s+q*d], as
    torch.nn.functional.conv2d (a cross-correlation; g = o // (C_out/groups)).

    Shapes: input (N, C_in, H, W) or (C_in, H, W), weight (C_out, C_in/groups, kH, kW),
    bias (C_out,) -> (N, C_out, H_out, W_out) or (C_out, H_out, W_out)
    """
    X, W, b, stride, pads, dilation, groups, unbatched = _check(
        input, weight, bias, stride, padding, dilation, groups
    )
    H_out, W_out = _output_size(X, W, stride, pads, dilation)  # (2)
    # --8<-- [start:conv2d-forward]
    N = X.shape[0]
    C_out, C_g, kH, kW = W.shape
    G, O_g, K, L = groups, C_out // groups, C_g * kH * kW, H_out * W_out
    Wg = W.reshape(G, O_g, K)  # rows o of group g; columns (c, p, q)
    Y = np.empty((N, C_out, H_out, W_out), dtype=X.dtype)
    for part in _chunks(N, G * K * L * X.itemsize):  # a few samples at a time
        Xt = _batch_last(X[part], pads)  # (c, h, w, n): padded, batch axis last
        B = Xt.shape[-1]  # samples in this chunk
        cols = _columns(Xt, (kH, kW), stride, dilation, (H_out, W_out))  # (c, p, q, i, j, n)
        cols = cols.reshape(G, K, L * B)  # rows (c, p, q) of group g; columns (i, j, n)
        Yt = (Wg @ cols).reshape(C_out, L * B)  # (1): sum over (c, p, q), one product per group
        if b is not None:
            Yt += b[:, None]  # (1)
        Y[part] = Yt.reshape(C_out, H_out, W_out, B).transpose(3, 0, 1, 2)  # to (n, o, i, j)
    # --8<-- [end:conv2d-forward]
    return Y[0] if unbatched else Y


def conv2d_backward(
    grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1
):
    """Returns (grad_input, grad_weight, grad_bias); grad_bias is None when bias is None.

    Shapes: grad_output (N, C_out, H_out, W_out), input (N, C_in, H, W), weight
    (C_out, C_in/groups, kH, kW), bias (C_out,); unbatched input and grad_output drop the N.
    """
    X, W, b, stride, pads, dilation, groups, unbatched = _check(
        input, weight, bias, stride, padding, dilation, groups, "conv2d_backward"
    )
    dY = _check_grad(grad_output, X, W, stride, pads, dilation, unbatched, "conv2d_backward")
    # --8<-- [start:conv2d-backward]
    db = dY.sum(axis=(0, 2, 3)) if b is not None else None  # (5)
    dW = _grad_weight(X, W.shape, dY, stride, pads, dilation, groups)  # (3)
    dX = _grad_input(X.shape, W, dY, stride, pads, dilation, groups)  # (4) and (6)
    # --8<-- [end:conv2d-backward]
    return (dX[0] if unbatched else dX), dW, db


# --8<-- [start:conv2d-grad-weight]
def _grad_weight(X, weight_size, dY, stride, pads, dilation, groups):
    """dW (C_out, C_in/G, kH, kW) from the checked X (N, C_in, H, W) and dY (N, C_out, ...)."""
    N, C_out, H_out, W_out = dY.shape
    _, C_g, kH, kW = weight_size
    G, O_g, K, L = groups, C_out // groups, C_g * kH * kW, H_out * W_out
    dWt = np.zeros((G, K, O_g), dtype=X.dtype)  # dW transposed, rows (c, p, q), columns o
    for part in _chunks(N, G * K * L * X.itemsize):  # the forward's chunks
        Xt = _batch_last(X[part], pads)  # (c, h, w, n)
        B = Xt.shape[-1]
        cols = _columns(Xt, (kH, kW), stride, dilation, (H_out, W_out)).reshape(G, K, L * B)
        dYt = dY[part].transpose(1, 2, 3, 0).reshape(G, O_g, L * B)  # columns (i, j, n)
        # (3): dW[o,c,p,q] = sum_{n,i,j} dY[n,o,i,j] cols[c,p,q,i,j,n], summed over the chunks
        # (computed as its transpose cols dY^T: OpenBLAS runs that one twice as fast in float32)
        dWt += cols @ dYt.transpose(0, 2, 1)
    return dWt.transpose(0, 2, 1).reshape(weight_size)


# --8<-- [end:conv2d-grad-weight]


# --8<-- [start:conv2d-grad-input]
def _grad_input(input_size, W, dY, stride, pads, dilation, groups):
    """dX (N, C_in, H, W) from the checked weight W and dY (N, C_out, H_out, W_out)."""
    N, C_out, H_out, W_out = dY.shape
    _, C_g, kH, kW = W.shape
    G, O_g, K, L = groups, C_out // groups, C_g * kH * kW, H_out * W_out
    (sh, sw), (dh, dw) = stride, dilation
    (top, bottom), (left, right) = pads
    H, W_in = input_size[2:]
    Wg = W.reshape(G, O_g, K)
    dX = np.empty(input_size, dtype=W.dtype)
    for part in _chunks(N, G * K * L * W.itemsize):  # dcols is as large as the forward's cols
        dYt = dY[part].transpose(1, 2, 3, 0).reshape(G, O_g, -1)  # columns (i, j, n)
        B = dYt.shape[-1] // L  # samples in this chunk
        # (4), first half: dcols[c,p,q,i,j,n] = sum_o W[o,c,p,q] dY[n,o,i,j] within each group
        dcols = (Wg.transpose(0, 2, 1) @ dYt).reshape(G * C_g, kH, kW, H_out, W_out, B)
        # (4), second half (col2im): dcols[:, p, q] came from the rows i*s + p*d and columns
        # j*s + q*d of the padded input; add it back there, one strided slice per tap (p, q)
        dXt = np.zeros((G * C_g, top + H + bottom, left + W_in + right, B), dtype=W.dtype)
        for p in range(kH):
            for q in range(kW):
                rows = slice(p * dh, p * dh + (H_out - 1) * sh + 1, sh)
                columns = slice(q * dw, q * dw + (W_out - 1) * sw + 1, sw)
                dXt[:, rows, columns] += dcols[:, p, q]
        dXt = dXt[:, top : top + H, left : left + W_in]  # (6) drop the padding
        dX[part] = dXt.transpose(3, 0, 1, 2)  # back to (n, c, h, w)
    return dX


# --8<-- [end:conv2d-grad-input]


def _size(value, name, op, dtype, lengths, meaning):
    """A stand-in array of shape `value` (non-negative ints), without memory, for _check."""
    if not isinstance(value, (tuple, list)) or len(value) not in lengths:
        raise ValueError(f"{op}: {name} must be a tuple of {meaning}, got {value!r}")
    size = tuple(_int(v, name, op) for v in value)
    if min(size) < 0:
        raise ValueError(f"{op}: {name} must not be negative, got {size}")
    return np.broadcast_to(np.zeros((), dtype=dtype), size)


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """grad_input alone, as torch.nn.grad.conv2d_input: what conv2d_backward returns first.

    Shapes: input_size (N, C_in, H, W) or (C_in, H, W), weight (C_out, C_in/groups, kH, kW),
    grad_output (N, C_out, H_out, W_out) or (C_out, H_out, W_out) -> input_size.
    """
    op = "conv2d_input"
    W = _checks.array(weight, "weight", op)
    X = _size(input_size, "input_size", op, W.dtype, (3, 4), "4 ints (N, C, H, W) or 3 (C, H, W)")
    X, W, _, stride, pads, dilation, groups, unbatched = _check(
        X, W, None, stride, padding, dilation, groups, op
    )
    dY = _check_grad(grad_output, X, W, stride, pads, dilation, unbatched, op)
    dX = _grad_input(X.shape, W, dY, stride, pads, dilation, groups)
    return dX[0] if unbatched else dX


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """grad_weight alone, as torch.nn.grad.conv2d_weight: what conv2d_backward returns second.

    Shapes: input (N, C_in, H, W) or (C_in, H, W), weight_size (C_out, C_in/groups, kH, kW),
    grad_output (N, C_out, H_out, W_out) or (C_out, H_out, W_out) -> weight_size.
    """
    op = "conv2d_weight"
    X = _checks.array(input, "input", op)
    W = _size(weight_size, "weight_size", op, X.dtype, (4,), "4 ints (C_out, C_in/groups, kH, kW)")
    X, W, _, stride, pads, dilation, groups, unbatched = _check(
        X, W, None, stride, padding, dilation, groups, op
    )
    dY = _check_grad(grad_output, X, W, stride, pads, dilation, unbatched, op)
    return _grad_weight(X, W.shape, dY, stride, pads, dilation, groups)
