"""conv2d, the fast path: the lesson's semantics (backprop_ref.functional.conv2d) and its
argument checks (cached per shapes and arguments), with the tricks measured in
docs/performance.md:

- only the kernel taps and the windows that meet the input are computed (the rest of the output
  is the bias): work and memory follow the input and the output, not the padding or the kernel;
- im2col works on the input with the batch axis last, (c, h, w, n), so that one matrix product
  per group covers every sample of a chunk and col2im adds long contiguous runs;
- the batch, and the output rows of one sample when needed, are cut into chunks whose columns
  fit in about 1 MiB: the products read them from the cache, and memory stays bounded;
- the backward builds the columns and the transposed dY once for both gradients;
- a depthwise convolution (one input channel per output channel) skips im2col: a sum over the
  kernel taps of shifted slices times per-channel weights.

Index letters as in the lesson: n sample, o output channel, c input channel (within its group),
g group, i, j output row and column, p, q kernel row and column, s stride, d dilation.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..functional import _checks
from ..functional.conv2d import _check as _lesson_check
from ..functional.conv2d import _check_grad as _lesson_check_grad
from ..functional.conv2d import _output_size
from ..functional.conv2d import _size as _lesson_size
from . import _cache, _taps

_CHUNK_BYTES = 2**20  # the columns of one chunk; measured against 256 KiB .. 8 MiB
_BINCOUNT_ROWS = 128  # col2im by np.bincount when the slice-adds cover this few numbers a row


# ---------------------------------------------------------------------------------------------
# the plan: everything that depends only on the shapes and the arguments, computed once per
# signature (a network calls each layer with the same ones at every step)


class _Shape:
    """What the lesson's _output_size reads of an array: its shape."""

    def __init__(self, shape):
        self.shape = shape


# --8<-- [start:conv-plan]
class _Plan:
    def __init__(self, X_shape, W_shape, stride, pads, dilation, groups, unbatched, itemsize):
        N, C_in, H, W_in = X_shape
        C_out, C_g, kH, kW = W_shape
        Ho, Wo = _output_size(_Shape(X_shape), _Shape(W_shape), stride, pads, dilation)
        self.stride, self.pads, self.dilation, self.groups = stride, pads, dilation, groups
        self.unbatched, self.out = unbatched, (Ho, Wo)
        self.grad_shape = (C_out, Ho, Wo) if unbatched else (N, C_out, Ho, Wo)
        self.depthwise = C_g == 1 and groups == C_in == C_out
        # along each axis: the taps that reach the input and the windows they reach
        axes = []
        for size, k, s, (before, _), d, out in zip(
            (H, W_in), (kH, kW), stride, pads, dilation, (Ho, Wo), strict=True
        ):
            axes.append(_taps.reaching(size, k, s, d, before, out))
        self.rows, self.cols = axes
        self.empty = not (self.rows and self.cols)  # no window meets the input: Y = bias
        if self.empty:
            return
        # the sub-problem im2col solves: taps p_lo..p_hi, windows i_lo..i_hi - 1, and the
        # stretch of padded rows they read, which starts at input row `off` (< 0: padding)
        self.k, self.win, self.off, self.span = [], [], [], []
        for taps, s, d, (before, _) in zip(axes, stride, dilation, pads, strict=True):
            p_lo, p_hi = taps[0][0], taps[-1][0]
            i_lo, i_hi = min(t[1] for t in taps), max(t[2] for t in taps)
            self.k.append(slice(p_lo, p_hi + 1))
            self.win.append(slice(i_lo, i_hi))
            self.off.append(i_lo * s + p_lo * d - before)
            self.span.append((i_hi - i_lo - 1) * s + (p_hi - p_lo) * d + 1)
        nA, nB = (k.stop - k.start for k in self.k)
        nI, nJ = (w.stop - w.start for w in self.win)
        self.full = (nA, nB, nI, nJ) == (kH, kW, Ho, Wo)
        self.nA, self.nB, self.nJ = nA, nB, nJ
        (oh, ow), (Hs, Ws) = self.off, self.span
        self.inside = (max(0, oh), min(H, oh + Hs), max(0, ow), min(W_in, ow + Ws))
        self.unpadded = (oh, ow, Hs, Ws) == (0, 0, H, W_in)  # the sub-problem reads X as it is
        self.scatter = {}  # col2im's bincount indices, per batch size (see _scatter_index)
        # chunks: whole samples while their columns fit in _CHUNK_BYTES, else row blocks
        K, row_bytes = C_g * nA * nB, groups * C_g * nA * nB * nJ * itemsize
        per_sample = row_bytes * nI
        self.samples = max(1, _CHUNK_BYTES // per_sample)
        rows = nI if per_sample <= _CHUNK_BYTES else max(1, _CHUNK_BYTES // row_bytes)
        self.blocks = [(i, min(nI, i + rows)) for i in range(0, nI, rows)]
        self.K = K
        if self.depthwise:
            self.taps = []  # (t, the windows' slices, the input's slices), t = p*kW + q
            for p, i0, i1, r0 in self.rows:
                for q, j0, j1, c0 in self.cols:
                    y = (slice(None), slice(i0, i1), slice(j0, j1))
                    x = (
                        slice(None),
                        slice(r0, r0 + (i1 - i0 - 1) * stride[0] + 1, stride[0]),
                        slice(c0, c0 + (j1 - j0 - 1) * stride[1] + 1, stride[1]),
                    )
                    self.taps.append((p * kW + q, y, x))
            self.planes = max(1, _CHUNK_BYTES // (H * W_in * itemsize))
            # stride 1 and a padding no wider than the kernel: the flat-slice version
            (top, bottom), (left, right) = pads
            Hp, Wp = H + top + bottom, W_in + left + right
            self.kernel = (kH, kW)
            self.flat = stride == (1, 1) and max(top, bottom) <= dilation[0] * (kH - 1)
            self.flat = self.flat and max(left, right) <= dilation[1] * (kW - 1)
            self.flat_planes = max(1, _CHUNK_BYTES // ((Hp + 1) * Wp * itemsize))


# --8<-- [end:conv-plan]

_plans = _cache.Cache()
_sizes = _cache.Cache()  # conv2d_weight's checked weight_size, per signature


def _setup(input, weight, bias, stride, padding, dilation, groups, op):
    """(X as (N, C, H, W), W, b, plan): the lesson's _check, skipped for a signature seen before."""
    key = None
    if _cache.plain(input) and _cache.plain(weight) and (bias is None or _cache.plain(bias)):
        args = _cache.args_key(stride, padding, dilation, groups)
        if args is not None:
            key = (op, input.shape, input.dtype, weight.shape, weight.dtype)
            key += (None,) if bias is None else (bias.shape, bias.dtype)
            key += (args,)
            plan = _plans.get(key)
            if plan is not None:
                return (input[None] if plan.unbatched else input), weight, bias, plan
    X, W, b, stride, pads, dilation, groups, unbatched = _lesson_check(
        input, weight, bias, stride, padding, dilation, groups, op
    )
    plan = _Plan(X.shape, W.shape, stride, pads, dilation, groups, unbatched, X.itemsize)
    if key is not None:
        _plans.put(key, plan)
    return X, W, b, plan


def _check_grad(grad_output, X, W, plan, op):
    if (
        type(grad_output) is np.ndarray
        and grad_output.dtype == X.dtype
        and grad_output.shape == plan.grad_shape
    ):
        return grad_output[None] if plan.unbatched else grad_output
    return _lesson_check_grad(
        grad_output, X, W, plan.stride, plan.pads, plan.dilation, plan.unbatched, op
    )


# ---------------------------------------------------------------------------------------------
# im2col on the batch-last input


# --8<-- [start:conv-batch-last]
def _batch_last(X, plan):
    """Xt[c, u, v, n]: the padded rows and columns the sub-problem reads (padded row u is input
    row u + off), zero in the padding, with the batch axis last."""
    N, C, _H, _W = X.shape
    if N == 1 and plan.unpadded:  # one sample, nothing to pad or crop: a view, no copy
        return X.transpose(1, 2, 3, 0)
    (oh, ow), (Hs, Ws) = plan.off, plan.span
    Xt = np.zeros((C, Hs, Ws, N), dtype=X.dtype)
    h0, h1, w0, w1 = plan.inside
    if h0 < h1 and w0 < w1:  # one copy: crop, pad and move n
        Xt[:, h0 - oh : h1 - oh, w0 - ow : w1 - ow] = X[:, :, h0:h1, w0:w1].transpose(1, 2, 3, 0)
    return Xt


# --8<-- [end:conv-batch-last]


# --8<-- [start:conv-columns]
def _columns(Xt, plan, i0, i1):
    """cols[c, p, q, i, j, n] = Xt[c, i*s + p*d, j*s + q*d, n] for the output rows i0 .. i1 - 1,
    copied from a strided view of Xt (the view's strides are Xt's, scaled by d and s)."""
    (sh, sw), (dh, dw) = plan.stride, plan.dilation
    s0, s1, s2, s3 = Xt.strides
    shape = (Xt.shape[0], plan.nA, plan.nB, i1 - i0, plan.nJ, Xt.shape[3])
    strides = (s0, dh * s1, dw * s2, sh * s1, sw * s2, s3)
    if Xt.flags.c_contiguous:  # np.ndarray on the buffer: a microsecond; as_strided: several
        view = np.ndarray(shape, Xt.dtype, Xt, i0 * sh * s1, strides)
    else:
        view = as_strided(Xt[:, i0 * sh :], shape, strides)
    return np.ascontiguousarray(view).reshape(plan.groups, plan.K, -1)  # (g, (c,p,q), (i,j,n))


# --8<-- [end:conv-columns]


def _sub_weight(W, plan):
    """W's taps that reach the input, as (G, O_g, K) with K = (c, p, q)."""
    Ws = W if plan.full else W[:, :, plan.k[0], plan.k[1]]
    return Ws.reshape(plan.groups, W.shape[0] // plan.groups, -1)  # a copy only when cropped


def _product(A, B):
    """A @ B for stacks of matrices; np.dot when there is one group (numpy's matmul on stacks
    costs a few microseconds more per call, which shows at batch 1)."""
    if A.shape[0] == 1:
        return np.dot(A[0], B[0])[None]
    return A @ B


def _forward_im2col(X, W, b, plan):
    N, C_out = X.shape[0], W.shape[0]
    Ho, Wo = plan.out
    Wg = _sub_weight(W, plan)
    wi, wj = plan.win
    single = 0 < N <= plan.samples and plan.full and len(plan.blocks) == 1
    if not single:
        Y = np.empty((N, C_out, Ho, Wo), dtype=X.dtype)
        if not plan.full:  # windows that meet no input: the bias alone
            Y[...] = 0 if b is None else b[:, None, None]
    for n0 in range(0, N, plan.samples):  # a few samples at a time ...
        part = slice(n0, n0 + plan.samples)
        Xt = _batch_last(X[part], plan)  # (c, u, v, n): padded, batch axis last
        B = Xt.shape[-1]
        for i0, i1 in plan.blocks:  # ... and, for large images, a few output rows at a time
            cols = _columns(Xt, plan, i0, i1)  # rows (c, p, q) per group; columns (i, j, n)
            Yt = _product(Wg, cols).reshape(C_out, -1)  # (1)
            if b is not None:
                Yt += b[:, None]
            Yt = Yt.reshape(C_out, i1 - i0, plan.nJ, B)
            if single:  # the whole output at once: (o, i, j, n) to (n, o, i, j)
                Y = (
                    Yt.transpose(3, 0, 1, 2)
                    if B == 1
                    else np.ascontiguousarray(Yt.transpose(3, 0, 1, 2))
                )
            else:
                rows = slice(wi.start + i0, wi.start + i1)
                Y[part, :, rows, wj] = Yt.transpose(3, 0, 1, 2)
    return Y


def _scatter_index(plan, C_in, B):
    """For col2im by bincount: the flat index in Xt (C_in, Hs, Ws, B) that each entry of
    dcols (C_in, p, q, i, j, n) came from. Cached on the plan, per batch size."""
    idx = plan.scatter.get(B)
    if idx is None:
        (sh, sw), (dh, dw), (Hs, Ws) = plan.stride, plan.dilation, plan.span
        nI = plan.win[0].stop - plan.win[0].start
        ar = np.arange
        u = (ar(plan.nA) * dh)[:, None, None, None] + (ar(nI) * sh)[:, None]  # (p, 1, i, 1)
        v = (ar(plan.nB) * dw)[:, None, None] + ar(plan.nJ) * sw  # (q, 1, j)
        idx = (ar(C_in)[:, None, None, None, None] * Hs + u) * Ws + v  # (c, p, q, i, j)
        idx = (idx[..., None] * B + ar(B)).ravel()  # and n
        plan.scatter[B] = idx
    return idx


def _backward_im2col(dY, X, X_shape, W, W_shape, plan, need_dX, need_dW):
    """(dX or None, dW or None) for the checked dY (N, C_out, Ho, Wo)."""
    N, C_in, _H, _W_in = X_shape
    C_out, C_g, _kH, _kW = W_shape
    G, K, nA, nB, nJ = plan.groups, plan.K, plan.nA, plan.nB, plan.nJ
    O_g = C_out // G
    wi, wj = plan.win
    (sh, sw), (dh, dw), (oh, ow), (Hs, Ws) = plan.stride, plan.dilation, plan.off, plan.span
    h0, h1, w0, w1 = plan.inside
    whole = plan.full and len(plan.blocks) == 1
    dX = None
    if need_dX:
        dX = (np.empty if plan.unpadded else np.zeros)(X_shape, dtype=dY.dtype)
    dWt = None
    WgT = _sub_weight(W, plan).transpose(0, 2, 1) if need_dX else None  # (G, K, O_g)
    for n0 in range(0, N, plan.samples):
        part = slice(n0, n0 + plan.samples)
        B = len(range(*part.indices(N)))
        Xt = _batch_last(X[part], plan) if need_dW else None
        if need_dX:
            if B == 1 and plan.unpadded:  # col2im straight into dX
                dXt = dX[part].transpose(1, 2, 3, 0)
                dXt[...] = 0
            else:
                dXt = np.zeros((C_in, Hs, Ws, B), dtype=dY.dtype)
        for i0, i1 in plan.blocks:
            # dY's block with the batch last, (o, i, j, n): built once for both gradients
            dYb = dY[part] if whole else dY[part, :, wi.start + i0 : wi.start + i1, wj]
            dYt = dYb.transpose(1, 2, 3, 0).reshape(G, O_g, -1)
            if need_dW:
                cols = _columns(Xt, plan, i0, i1)
                # (3), as its transpose cols dY^T: OpenBLAS runs that orientation faster
                part_dWt = _product(cols, dYt.transpose(0, 2, 1))
                dWt = part_dWt if dWt is None else dWt + part_dWt
            if need_dX:
                # (4), first half: dcols[c,p,q,i,j,n] = sum_o W[o,c,p,q] dY[n,o,i,j]
                dcols = _product(WgT, dYt).reshape(C_in, nA, nB, i1 - i0, nJ, B)
                # (4), second half (col2im): one strided slice-add per tap (p, q); for short
                # rows, where each slice-add is mostly call overhead, one bincount instead
                if whole and B * nJ <= _BINCOUNT_ROWS:
                    idx = _scatter_index(plan, C_in, B)
                    dXt = (
                        np.bincount(idx, dcols.ravel(), minlength=dXt.size)
                        .astype(dY.dtype, copy=False)
                        .reshape(dXt.shape)
                    )
                    if B == 1 and plan.unpadded:
                        dX[part] = dXt.transpose(3, 0, 1, 2)
                    continue
                for p in range(nA):
                    u = i0 * sh + p * dh
                    r = slice(u, u + (i1 - i0 - 1) * sh + 1, sh)
                    for q in range(nB):
                        c = slice(q * dw, q * dw + (nJ - 1) * sw + 1, sw)
                        dXt[:, r, c] += dcols[:, p, q]
        if need_dX and not (B == 1 and plan.unpadded) and h0 < h1 and w0 < w1:
            # (6): the padding's share is dropped; back to (n, c, h, w)
            dX[part, :, h0:h1, w0:w1] = dXt[:, h0 - oh : h1 - oh, w0 - ow : w1 - ow].transpose(
                3, 0, 1, 2
            )
    dW = None
    if need_dW:
        if dWt is None:  # N == 0
            dWt = np.zeros((G, K, O_g), dtype=dY.dtype)
        dWs = dWt.transpose(0, 2, 1).reshape(C_out, C_g, nA, nB)
        if plan.full:
            dW = np.ascontiguousarray(dWs)
        else:
            dW = np.zeros(W_shape, dtype=dY.dtype)
            dW[:, :, plan.k[0], plan.k[1]] = dWs
    return dX, dW


# ---------------------------------------------------------------------------------------------
# depthwise: Y[n,c] = b[c] + sum_{p,q} W[c,0,p,q] * (X[n,c] shifted by tap (p, q)), no im2col


# --8<-- [start:conv-depthwise-flat]
def _flat_taps(plan, Hp, Wp):
    """For stride 1: tap (p, q) of output (i, j) reads padded pixel (i + p*d, j + q*d), which in
    a padded plane read as one flat row of Hp*Wp numbers is entry (i*Wp + j) + off[t] with
    off[t] = p*d*Wp + q*d. Computing every output on the padded width Wp (the last Wp - Wo of
    each row are thrown away) makes each tap one contiguous slice of the flat plane."""
    (dh, dw), (kH, kW) = plan.dilation, plan.kernel
    return [p * dh * Wp + q * dw for p in range(kH) for q in range(kW)]


# --8<-- [end:conv-depthwise-flat]


def _forward_depthwise_flat(X, W, b, plan):
    N, C, H, W_in = X.shape
    (top, bottom), (left, right) = plan.pads
    Hp, Wp, (Ho, Wo) = top + H + bottom, left + W_in + right, plan.out
    L, M, P = Ho * Wp, N * C, plan.flat_planes
    off = _flat_taps(plan, Hp, Wp)
    Xm = X.reshape(M, H, W_in)
    wm = np.tile(W.reshape(C, -1), (N, 1))  # wm[(n, c), t] = W[c, 0, p, q], t = p*kW + q
    bm = None if b is None else np.tile(b, N)[:, None, None]
    Y = np.empty((M, Ho, Wo), dtype=X.dtype)
    Xp = np.zeros((min(P, M), Hp + 1, Wp), dtype=X.dtype)  # one chunk, padded; reused
    Yf = np.empty((min(P, M), L), dtype=X.dtype)  # one chunk's output on the padded width
    tmp = np.empty_like(Yf)
    for m in range(0, M, P):
        B = min(P, M - m)
        Xp[:B, top : top + H, left : left + W_in] = Xm[m : m + B]  # the border stays zero
        Xf, Yc, Tc, wc = Xp[:B].reshape(B, -1), Yf[:B], tmp[:B], wm[m : m + B]
        np.multiply(Xf[:, off[0] : off[0] + L], wc[:, :1], out=Yc)  # (1), tap 0
        for t in range(1, len(off)):  # (1), the other taps: one multiply and one add each
            np.multiply(Xf[:, off[t] : off[t] + L], wc[:, t : t + 1], out=Tc)
            Yc += Tc
        Yo = Yc.reshape(B, Ho, Wp)[:, :, :Wo]
        if bm is None:
            Y[m : m + B] = Yo
        else:
            np.add(Yo, bm[m : m + B], out=Y[m : m + B])
    return Y.reshape(N, C, Ho, Wo)


def _backward_depthwise_flat(dY, X, X_shape, W, W_shape, plan, need_dX, need_dW):
    N, C, H, W_in = X_shape
    (top, bottom), (left, right) = plan.pads
    Hp, Wp, (Ho, Wo) = top + H + bottom, left + W_in + right, plan.out
    L, M, P = Ho * Wp, N * C, plan.flat_planes
    off = _flat_taps(plan, Hp, Wp)
    dYm = dY.reshape(M, Ho, Wo)
    Bmax = min(P, M)
    dYf = np.zeros((Bmax, Ho, Wp), dtype=dY.dtype)  # dY on the padded width: zero beyond Wo
    dX = dWm = None
    if need_dW:
        Xm = X.reshape(M, H, W_in)
        Xp = np.zeros((Bmax, Hp + 1, Wp), dtype=dY.dtype)
        dWm = np.empty((M, len(off)), dtype=dY.dtype)  # per plane; summed over n below
    if need_dX:
        wm = np.tile(W.reshape(C, -1), (N, 1))
        dX = np.empty((M, H, W_in), dtype=dY.dtype)
        dXp = np.empty((Bmax, (Hp + 1) * Wp), dtype=dY.dtype)
        tmp = np.empty((Bmax, L), dtype=dY.dtype)
    for m in range(0, M, P):
        B = min(P, M - m)
        dYf[:B, :, :Wo] = dYm[m : m + B]
        G = dYf[:B].reshape(B, L)
        if need_dW:
            Xp[:B, top : top + H, left : left + W_in] = Xm[m : m + B]
            Xf = Xp[:B].reshape(B, -1)
            for t, o in enumerate(off):  # (3): one dot product per plane and tap
                dWm[m : m + B, t] = np.vecdot(G, Xf[:, o : o + L])
        if need_dX:
            dXc, Tc, wc = dXp[:B], tmp[:B], wm[m : m + B]
            dXc.fill(0)
            for t, o in enumerate(off):  # (4): each tap sends dY * w back along its slice
                np.multiply(G, wc[:, t : t + 1], out=Tc)
                dXc[:, o : o + L] += Tc
            dX[m : m + B] = dXc.reshape(B, Hp + 1, Wp)[:, top : top + H, left : left + W_in]
    dW = dWm.reshape(N, C, -1).sum(axis=0).reshape(W_shape) if need_dW else None
    return (dX.reshape(X_shape) if need_dX else None), dW


# --8<-- [start:conv-depthwise]
def _forward_depthwise(X, W, b, plan):
    N, C, H, W_in = X.shape
    Xm = X.reshape(N * C, H, W_in)  # one plane per (n, c)
    wm = np.tile(W.reshape(C, -1), (N, 1))  # wm[(n, c), t] = W[c, 0, p, q], t = p*kW + q
    Y = np.empty((N * C, *plan.out), dtype=X.dtype)
    Y[...] = 0 if b is None else np.tile(b, N)[:, None, None]
    for m in range(0, N * C, plan.planes):  # a chunk of planes that fits in L2
        part = slice(m, m + plan.planes)
        Xc, Yc, wc = Xm[part], Y[part], wm[part]
        for t, y, x in plan.taps:
            Ys = Yc[y]
            Ys += Xc[x] * wc[:, t, None, None]  # (1), one tap for every window at once
    return Y.reshape(N, C, *plan.out)


def _backward_depthwise(dY, X, X_shape, W, W_shape, plan, need_dX, need_dW):
    N, C, H, W_in = X_shape
    dYm = dY.reshape(N * C, *plan.out)
    Xm = X.reshape(N * C, H, W_in) if need_dW else None
    wm = np.tile(W.reshape(C, -1), (N, 1)) if need_dX else None
    dX = np.zeros((N * C, H, W_in), dtype=dY.dtype) if need_dX else None
    taps = W_shape[2] * W_shape[3]
    dWm = np.zeros((N * C, taps), dtype=dY.dtype) if need_dW else None  # summed over n later
    for m in range(0, N * C, plan.planes):
        part = slice(m, m + plan.planes)
        dYc = dYm[part]
        for t, y, x in plan.taps:
            G = dYc[y]
            if need_dW:  # (3): dW[c,p,q] = sum_{n,i,j} dY[n,c,i,j] X[n,c, i*s+p*d, j*s+q*d]
                dWm[part, t] = np.einsum("mij,mij->m", G, Xm[part][x])
            if need_dX:  # (4): the tap's shifted slice gets dY times the channel's weight
                dXs = dX[part][x]
                dXs += G * wm[part, t, None, None]
    dW = dWm.reshape(N, C, -1).sum(axis=0).reshape(W_shape) if need_dW else None
    return (dX.reshape(X_shape) if need_dX else None), dW


# --8<-- [end:conv-depthwise]


# ---------------------------------------------------------------------------------------------
# the ops


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Y[n,o,i,j] = b[o] + sum_{c,p,q} W[o,c,p,q] Xp[n, g*C_g+c, i*s+p*d, j*s+q*d], as
    torch.nn.functional.conv2d (a cross-correlation; g = o // (C_out/groups)).

    Shapes: input (N, C_in, H, W) or (C_in, H, W), weight (C_out, C_in/groups, kH, kW),
    bias (C_out,) -> (N, C_out, H_out, W_out) or (C_out, H_out, W_out)
    """
    X, W, b, plan = _setup(input, weight, bias, stride, padding, dilation, groups, "conv2d")
    if plan.empty:
        Y = np.zeros((X.shape[0], W.shape[0], *plan.out), dtype=X.dtype)
        if b is not None:
            Y += b[:, None, None]
    elif plan.depthwise and plan.flat:
        Y = _forward_depthwise_flat(X, W, b, plan)
    elif plan.depthwise:
        Y = _forward_depthwise(X, W, b, plan)
    else:
        Y = _forward_im2col(X, W, b, plan)
    return Y[0] if plan.unbatched else Y


def _backward(dY, X, X_shape, W, W_shape, plan, need_dX, need_dW):
    if plan.empty:
        return (
            np.zeros(X_shape, dtype=dY.dtype) if need_dX else None,
            np.zeros(W_shape, dtype=dY.dtype) if need_dW else None,
        )
    if plan.depthwise and plan.flat:
        return _backward_depthwise_flat(dY, X, X_shape, W, W_shape, plan, need_dX, need_dW)
    if plan.depthwise:
        return _backward_depthwise(dY, X, X_shape, W, W_shape, plan, need_dX, need_dW)
    return _backward_im2col(dY, X, X_shape, W, W_shape, plan, need_dX, need_dW)


def conv2d_backward(
    grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1
):
    """Returns (grad_input, grad_weight, grad_bias); grad_bias is None when bias is None.

    Shapes: grad_output (N, C_out, H_out, W_out), input (N, C_in, H, W), weight
    (C_out, C_in/groups, kH, kW), bias (C_out,); unbatched input and grad_output drop the N.
    """
    op = "conv2d_backward"
    X, W, b, plan = _setup(input, weight, bias, stride, padding, dilation, groups, op)
    dY = _check_grad(grad_output, X, W, plan, op)
    db = None if b is None else conv2d_bias(dY)
    dX, dW = _backward(dY, X, X.shape, W, W.shape, plan, True, True)
    return (dX[0] if plan.unbatched else dX), dW, db


def conv2d_input(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """grad_input alone, as torch.nn.grad.conv2d_input: what conv2d_backward returns first."""
    op = "conv2d_input"
    W = _checks.array(weight, "weight", op)
    X = _lesson_size(
        input_size, "input_size", op, W.dtype, (3, 4), "4 ints (N, C, H, W) or 3 (C, H, W)"
    )
    X, W, _, plan = _setup(X, W, None, stride, padding, dilation, groups, op)
    dY = _check_grad(grad_output, X, W, plan, op)
    dX, _ = _backward(dY, None, X.shape, W, W.shape, plan, True, False)
    return dX[0] if plan.unbatched else dX


def conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
    """grad_weight alone, as torch.nn.grad.conv2d_weight: what conv2d_backward returns second."""
    op = "conv2d_weight"
    key = None
    if _cache.plain(input):  # the checks below, once per signature (LeNet calls this for conv1)
        key = _cache.args_key(weight_size, stride, padding, dilation, groups)
        if key is not None:
            key = (op, input.shape, input.dtype, key)
            W_shape = _sizes.get(key)
            if W_shape is not None:
                W = np.broadcast_to(np.zeros((), dtype=input.dtype), W_shape)
                X, W, _, plan = _setup(input, W, None, stride, padding, dilation, groups, op)
                dY = _check_grad(grad_output, X, W, plan, op)
                return _backward(dY, X, X.shape, None, W.shape, plan, False, True)[1]
    X = _checks.array(input, "input", op)
    W = _lesson_size(
        weight_size, "weight_size", op, X.dtype, (4,), "4 ints (C_out, C_in/groups, kH, kW)"
    )
    X, W, _, plan = _setup(X, W, None, stride, padding, dilation, groups, op)
    if key is not None:
        _sizes.put(key, W.shape)
    dY = _check_grad(grad_output, X, W, plan, op)
    _, dW = _backward(dY, X, X.shape, None, W.shape, plan, False, True)
    return dW


def conv2d_bias(grad_output):
    """grad_bias alone: what conv2d_backward returns third (torch.nn.grad has no such function).

    (5): db[o] = sum over n, i, j of dY[n, o, i, j], accumulated in float64, as the lesson does.
    Shapes: grad_output (N, C_out, H_out, W_out) or unbatched (C_out, H_out, W_out) -> (C_out,)
    """
    dY = np.asarray(grad_output)
    axes = (0, 2, 3) if dY.ndim == 4 else (1, 2)
    return dY.sum(axis=axes, dtype=np.float64).astype(dY.dtype)
