"""2-D convolution: forward and backward. Chapter: docs/layers/conv2d.md

Index letters, as in the chapter: n sample, o output channel, c input channel (within its group),
g group, i, j output row and column, p, q kernel row and column, s stride, d dilation.
Xp is the zero-padded input. The number after `#` is the equation's tag in the chapter.
The fast version (batch-last layout, cache-sized chunks, slice-add col2im) is
backprop_ref.kernels.conv2d.
"""

import numpy as np

from . import _checks
from ._windows import tap_rows

# ---------------------------------------------------------------------------------------------
# argument checks (torch's rules; each failure names the argument and the shapes)


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
    ph, pw = _checks.pair(padding, "padding", op)
    if ph < 0 or pw < 0:
        raise ValueError(f"{op}: padding must be >= 0, got {(ph, pw)}")
    return (ph, ph), (pw, pw)


def _check(input, weight, bias, stride, padding, dilation, groups, op):
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
    stride = _checks.pair(stride, "stride", op)
    dilation = _checks.pair(dilation, "dilation", op)
    groups = _checks.integer(groups, "groups", op)
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
    if C_g == 0:
        # torch 2.13 returns an output with 0 channels here, whatever C_out and the bias say;
        # a convolution over no input channels is a mistake, so we refuse it
        raise ValueError(
            f"{op}: weight {W.shape} has C_in/groups = 0 input channels (input {input.shape})"
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


def _check_grad(grad_output, X, W, stride, pads, dilation, unbatched, op):
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
    top, left = pads[0][0], pads[1][0]
    # --8<-- [start:conv2d-naive-forward]
    N, _, H, W_in = X.shape
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
                            u = i * sh + p * dh - top  # the row of X that tap p reads
                            for q in range(kW):
                                v = j * sw + q * dw - left  # and the column for tap q
                                if 0 <= u < H and 0 <= v < W_in:  # else Xp is a padding zero
                                    total += W[o, c, p, q] * X[n, ch, u, v]  # (1)
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
    top, left = pads[0][0], pads[1][0]
    # --8<-- [start:conv2d-naive-backward]
    N, _, H_out, W_out = dY.shape
    H, W_in = X.shape[2:]
    C_out, C_g, kH, kW = W.shape
    O_g = C_out // groups
    dX = np.zeros_like(X)  # the padding's gradient is never stored: (6) for free
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
                            u = i * sh + p * dh - top
                            for q in range(kW):
                                v = j * sw + q * dw - left
                                if 0 <= u < H and 0 <= v < W_in:
                                    dW[o, c, p, q] += dy * X[n, ch, u, v]  # (3)
                                    dX[n, ch, u, v] += dy * W[o, c, p, q]  # (4)
    # --8<-- [end:conv2d-naive-backward]
    return (dX[0] if unbatched else dX), dW, db


# ---------------------------------------------------------------------------------------------
# the vectorized versions: im2col by index arithmetic, one matrix product per sample and group,
# col2im by np.add.at


# --8<-- [start:conv2d-columns]
def _where(X, W, stride, pads, dilation):
    """The rows and columns of X that the taps read: h[p, i] = i*s + p*d - top (7),
    w[q, j] likewise, -1 where the tap falls in the zero padding."""
    (kH, kW), (H_out, W_out) = W.shape[2:], _output_size(X, W, stride, pads, dilation)
    h = tap_rows(X.shape[2], kH, stride[0], dilation[0], pads[0][0], H_out)
    w = tap_rows(X.shape[3], kW, stride[1], dilation[1], pads[1][0], W_out)
    # broadcast to cols' axes (p, q, i, j)
    return h[:, None, :, None], w[None, :, None, :]


def _columns(X, W, stride, pads, dilation):
    """cols[n, c, p, q, i, j] = Xp[n, c, i*s + p*d, j*s + q*d]   (8), one gather."""
    h, w = _where(X, W, stride, pads, dilation)
    Xz = np.pad(X, ((0, 0), (0, 0), (0, 1), (0, 1)))  # a zero row and column: where -1 points
    return Xz[:, :, h, w]


# --8<-- [end:conv2d-columns]


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Y[n,o,i,j] = b[o] + sum_{c,p,q} W[o,c,p,q] Xp[n, g*C_g+c, i*s+p*d, j*s+q*d], as
    torch.nn.functional.conv2d (a cross-correlation; g = o // (C_out/groups)).

    Shapes: input (N, C_in, H, W) or (C_in, H, W), weight (C_out, C_in/groups, kH, kW),
    bias (C_out,) -> (N, C_out, H_out, W_out) or (C_out, H_out, W_out)
    """
    X, W, b, stride, pads, dilation, groups, unbatched = _check(
        input, weight, bias, stride, padding, dilation, groups, "conv2d"
    )
    H_out, W_out = _output_size(X, W, stride, pads, dilation)  # (2)
    # --8<-- [start:conv2d-forward]
    N, C_out, G = X.shape[0], W.shape[0], groups
    K, L = W[0].size, H_out * W_out  # K = C_g*kH*kW taps per output, L outputs per channel
    cols = _columns(X, W, stride, pads, dilation)  # (n, c, p, q, i, j)
    cols = cols.reshape(N, G, K, L)  # rows (c, p, q) of group g, columns (i, j)
    Wg = W.reshape(G, C_out // G, K)  # rows o of group g, columns (c, p, q)
    Y = Wg @ cols  # (9): Y = W cols, for every sample n and group g at once
    Y = Y.reshape(N, C_out, H_out, W_out)
    if b is not None:
        Y = Y + b[:, None, None]  # (1)
    # --8<-- [end:conv2d-forward]
    return Y[0] if unbatched else Y


def conv2d_backward(
    grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1
):
    """Returns (grad_input, grad_weight, grad_bias); grad_bias is None when bias is None.

    Shapes: grad_output (N, C_out, H_out, W_out), input (N, C_in, H, W), weight
    (C_out, C_in/groups, kH, kW), bias (C_out,); unbatched input and grad_output drop the N.
    """
    op = "conv2d_backward"
    X, W, b, stride, pads, dilation, groups, unbatched = _check(
        input, weight, bias, stride, padding, dilation, groups, op
    )
    dY = _check_grad(grad_output, X, W, stride, pads, dilation, unbatched, op)
    # --8<-- [start:conv2d-backward]
    db = None
    if b is not None:  # (5), accumulated in float64 as torch's sum is accurate
        db = dY.sum(axis=(0, 2, 3), dtype=np.float64).astype(dY.dtype)
    dW = _grad_weight(X, W.shape, dY, stride, pads, dilation, groups)  # (3)
    dX = _grad_input(X.shape, W, dY, stride, pads, dilation, groups)  # (4) and (6)
    # --8<-- [end:conv2d-backward]
    return (dX[0] if unbatched else dX), dW, db


# --8<-- [start:conv2d-grad-weight]
def _grad_weight(X, weight_size, dY, stride, pads, dilation, groups):
    """dW (C_out, C_in/G, kH, kW) from the checked X (N, C_in, H, W) and dY (N, C_out, ...)."""
    N, C_out, H_out, W_out = dY.shape
    G, K, L = groups, weight_size[1] * weight_size[2] * weight_size[3], H_out * W_out
    W = np.broadcast_to(np.zeros((), dtype=X.dtype), weight_size)  # only its shape is read
    cols = _columns(X, W, stride, pads, dilation).reshape(N, G, K, L)
    dYg = dY.reshape(N, G, C_out // G, L)  # rows o of group g, columns (i, j)
    dW = (dYg @ cols.swapaxes(-1, -2)).sum(axis=0)  # (10): dW = sum over n of dY cols^T
    return dW.reshape(weight_size)


# --8<-- [end:conv2d-grad-weight]


# --8<-- [start:conv2d-grad-input]
def _grad_input(input_size, W, dY, stride, pads, dilation, groups):
    """dX (N, C_in, H, W) from the checked weight W and dY (N, C_out, H_out, W_out)."""
    N, C_out, H_out, W_out = dY.shape
    G, K, L = groups, W[0].size, H_out * W_out
    X = np.broadcast_to(np.zeros((), dtype=W.dtype), input_size)  # only its shape is read
    Wg = W.reshape(G, C_out // G, K)
    dYg = dY.reshape(N, G, C_out // G, L)
    dcols = Wg.swapaxes(-1, -2) @ dYg  # (11): dcols = W^T dY, per sample and group
    dcols = dcols.reshape(N, input_size[1], *W.shape[2:], *dY.shape[2:])  # (n, c, p, q, i, j)
    # col2im: each copy's gradient goes back onto the pixel it was copied from, (4).
    # np.add.at adds repeated indices up; dXz[:, :, h, w] += dcols would keep only one of them
    h, w = _where(X, W, stride, pads, dilation)
    N, C, H, W_in = input_size
    dXz = np.zeros((N, C, H + 1, W_in + 1), dtype=W.dtype)  # + the zero row and column
    np.add.at(dXz, (slice(None), slice(None), h, w), dcols)
    return np.ascontiguousarray(
        dXz[:, :, :H, :W_in]
    )  # (6): what landed on the padding (index -1) is dropped


# --8<-- [end:conv2d-grad-input]


def _size(value, name, op, dtype, lengths, meaning):
    """A stand-in array of shape `value` (non-negative ints), without memory, for _check."""
    if not isinstance(value, (tuple, list)) or len(value) not in lengths:
        raise ValueError(f"{op}: {name} must be a tuple of {meaning}, got {value!r}")
    size = tuple(_checks.integer(v, name, op) for v in value)
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
