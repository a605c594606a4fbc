"""max_pool2d, the fast path: the lesson's semantics (backprop_ref.functional.max_pool2d) and
its argument checks, with the speed tricks measured in docs/performance.md.

- the checked geometry and the tap plan are cached per shape and arguments;
- each tap's slice is clipped to the input: no -inf padded copy, and only the taps that reach
  the input are visited (work follows the output and the input, not the kernel or the padding);
- the batch and channel axes are processed in chunks of planes that fit in the L2 cache;
- the forward takes plain np.maximum when the input has no NaN and no -0.0 (the only cases in
  which the running maximum's value depends on which equal entry won);
- the winners are tracked as a small-integer tap map T (int8 for kernels up to 127 taps);
- the backward writes with `=` when windows do not overlap, multiplies by the mask when the
  gradient is finite, and adds the taps in reverse order so that every input entry receives
  its windows' gradients in row-major window order, as torch and the lesson add them.
"""

import math

import numpy as np

from ..functional import _checks
from ..functional.max_pool2d import _check_grad as _lesson_check_grad
from ..functional.max_pool2d import _setup as _lesson_setup
from . import _cache, _taps

_INT = {4: np.int32, 8: np.int64}
_NEGATIVE_ZERO = {4: np.iinfo(np.int32).min, 8: np.iinfo(np.int64).min}
_CHUNK_BYTES = 2**20  # a chunk's input planes; measured against 256 KiB .. 8 MiB


# --8<-- [start:pool-plan]
class _Plan:
    """Everything a call needs that depends only on the shape and the arguments."""

    def __init__(self, g, shape, itemsize):
        (kH, kW), (sH, sW), (PH, PW), (dH, dW), (Ho, Wo) = g.k, g.s, g.P, g.d, g.out
        H, W = shape[-2:]
        self.g, self.out_shape = g, (*shape[:-2], Ho, Wo)
        rows = _taps.reaching(H, kH, sH, dH, PH, Ho)
        cols = _taps.reaching(W, kW, sW, dW, PW, Wo)
        self.taps = []  # (t, the windows' slices, the input's slices), t = p*kW + q
        for p, i0, i1, r0 in rows:
            for q, j0, j1, c0 in cols:
                y = (slice(None), slice(i0, i1), slice(j0, j1))
                x = (
                    slice(None),
                    slice(r0, r0 + (i1 - i0 - 1) * sH + 1, sH),
                    slice(c0, c0 + (j1 - j0 - 1) * sW + 1, sW),
                )
                self.taps.append((p * kW + q, y, x))
        # the first tap that lands inside the input, per window: where T starts (torch's rule)
        first_row = [min(p for p, i0, i1, _ in rows if i0 <= i < i1) for i in range(Ho)]
        first_col = [min(q for q, j0, j1, _ in cols if j0 <= j < j1) for j in range(Wo)]
        taps = kH * kW
        self.T_dtype = np.int8 if taps <= 127 else np.int16 if taps <= 2**15 - 1 else np.int64
        self.first = np.add.outer(np.multiply(first_row, kW), first_col).astype(self.T_dtype)
        # the first tap covers every window: start from a copy of it, not from -inf
        _t0, y0, _ = self.taps[0]
        self.covers = (y0[1].start, y0[1].stop, y0[2].start, y0[2].stop) == (0, Ho, 0, Wo)
        self.overlap = any(s < d * (k - 1) + 1 for k, s, d in zip(g.k, g.s, g.d, strict=True))
        self.planes = max(1, _CHUNK_BYTES // (H * W * itemsize))
        # the flat index h*W + w of window (i, j)'s tap (0, 0), and each tap's offset from it
        self.window_base = (np.arange(Ho)[:, None] * sH - PH) * W + (np.arange(Wo) * sW - PW)
        self._W, self._offsets = W, None
        if taps <= 2**15:
            t = np.arange(taps)
            self._offsets = (t // kW) * dH * W + (t % kW) * dW

    def tap_offset(self, T):
        """T's taps p*kW + q as offsets p*dH*W + q*dW in a plane (a table, or divmod for a
        kernel with more taps than a table should hold)."""
        if self._offsets is not None:
            return self._offsets[T]
        p, q = np.divmod(T, self.g.k[1])
        return p * (self.g.d[0] * self._W) + q * self.g.d[1]


# --8<-- [end:pool-plan]

_plans = _cache.Cache()


def _setup(input, kernel_size, stride, padding, dilation, ceil_mode, op):
    """The lesson's _setup and the plan, from the cache when this signature was checked before."""
    key = None
    if _cache.plain(input):
        args = _cache.args_key(kernel_size, stride, padding, dilation, ceil_mode)
        if args is not None:
            key = (op, input.shape, input.dtype, args)
            plan = _plans.get(key)
            if plan is not None:
                return input, plan
    X0, _, g = _lesson_setup(input, kernel_size, stride, padding, dilation, ceil_mode, op)
    plan = _Plan(g, X0.shape, X0.itemsize)
    if key is not None:
        _plans.put(key, plan)
    return X0, plan


def _check_grad(grad_output, X0, plan, op):
    """dY, checked as the lesson checks it (its own helper raises when something is wrong)."""
    if (
        type(grad_output) is np.ndarray
        and grad_output.dtype == X0.dtype
        and grad_output.shape == plan.out_shape
    ):
        return grad_output
    return _lesson_check_grad(grad_output, X0, plan.g, op)


def _planes(A, H, W):
    """A (..., H, W) as a stack of planes (M, H, W); a view when A's layout allows."""
    return A.reshape(-1, H, W)


# --8<-- [start:pool-forward-max]
def _max(X, plan):
    """Y alone, by np.maximum over the taps. Exact unless X holds NaN or -0.0 (see max_pool2d)."""
    H, W = X.shape[-2:]
    Xm = _planes(X, H, W)
    Y = np.empty((Xm.shape[0], *plan.g.out), dtype=X.dtype)
    taps = plan.taps
    for m in range(0, Xm.shape[0], plan.planes):  # a chunk of planes that fits in L2
        Xc, Yc = Xm[m : m + plan.planes], Y[m : m + plan.planes]
        if plan.covers:
            np.copyto(Yc, Xc[taps[0][2]])
            rest = taps[1:]
        else:
            Yc.fill(-np.inf)
            rest = taps
        for _, y, x in rest:
            Ys = Yc[y]
            np.maximum(Ys, Xc[x], out=Ys)  # (1)
    return Y


# --8<-- [end:pool-forward-max]


# --8<-- [start:pool-forward-winners]
def _winners(Xc, plan, has_nan, exact_values):
    """(Y, T) for one chunk of planes: T[m, i, j] is the tap t = p*kW + q of window (i, j)'s
    winner under torch's rule (the first entry inside leads, a strictly larger one or a NaN
    takes over). exact_values: Y is the winner's own value (its sign at 0, its NaN); without
    it, only T is exact, which is all the backward needs."""
    M = Xc.shape[0]
    Y = np.empty((M, *plan.g.out), dtype=Xc.dtype)
    T = np.empty(Y.shape, dtype=plan.T_dtype)
    taps = plan.taps
    if plan.covers:
        t0, _, x0 = taps[0]
        np.copyto(Y, Xc[x0])
        T.fill(t0)
        rest = taps[1:]
    else:
        Y.fill(-np.inf)
        np.copyto(T, plan.first)
        rest = taps
    for t, y, x in rest:
        V, Ys, Ts = Xc[x], Y[y], T[y]
        wins = V > Ys  # strictly larger: on a tie the earlier entry stays
        if has_nan:
            wins |= np.isnan(V)  # a NaN takes over, even from an earlier NaN
        Ts += wins * (t - Ts)  # T = t where V wins: three small-integer passes
        if exact_values:
            Ys[...] = np.where(wins, V, Ys)
        else:
            np.maximum(V, Ys, out=Ys)  # the same value as V where V wins, up to 0's sign
    return Y, T


# --8<-- [end:pool-forward-winners]


def _maybe_nan(A):
    """False only when A surely holds no NaN: a NaN makes the sum NaN (inf - inf does too,
    which only sends a call down the exact path)."""
    return math.isnan(A.sum())


def _has_negative_zero(A):
    """-0.0 is the one float whose bits, read as a signed integer, are the integer minimum."""
    return A.size > 0 and A.view(_INT[A.itemsize]).min() == _NEGATIVE_ZERO[A.itemsize]


def max_pool2d(
    input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False
):
    """Y[n,c,i,j] = max over p, q of X[n,c, i*sH - PH + p*dH, j*sW - PW + q*dW], as
    torch.nn.functional.max_pool2d (the first maximum in row-major order wins; NaN wins).

    Shapes: input (N, C, H, W) or (C, H, W) -> (N, C, Ho, Wo) or (C, Ho, Wo).
    return_indices=True also returns the winners' flat indices h*W + w (int64).
    """
    op = "max_pool2d"
    X, plan = _setup(input, kernel_size, stride, padding, dilation, ceil_mode, op)
    _checks.flag(return_indices, "return_indices", op)
    # --8<-- [start:pool-forward]
    if not return_indices and X.size:
        Y = _max(X, plan)
        # np.maximum may return either zero of a tie between -0.0 and +0.0, and either NaN:
        # then redo the values by the winners' rule
        if not (_has_negative_zero(X) or _maybe_nan(Y)):
            return Y.reshape(plan.out_shape)
    # --8<-- [end:pool-forward]
    Y, T = _forward_exact(X, plan)
    if not return_indices:
        return Y.reshape(plan.out_shape)
    return Y.reshape(plan.out_shape), _indices(T, plan, X.shape[-1]).reshape(plan.out_shape)


def _forward_exact(X, plan):
    H, W = X.shape[-2:]
    Xm = _planes(X, H, W)
    has_nan = _maybe_nan(Xm)
    Y = np.empty((Xm.shape[0], *plan.g.out), dtype=X.dtype)
    T = np.empty(Y.shape, dtype=plan.T_dtype)
    for m in range(0, Xm.shape[0], plan.planes):
        part = slice(m, m + plan.planes)
        Y[part], T[part] = _winners(Xm[part], plan, has_nan, exact_values=True)
    return Y, T


def _indices(T, plan, W):
    """The winners' flat indices h*W + w in their planes, from the tap map T."""
    g = plan.g
    p, q = np.divmod(T.astype(np.int64), g.k[1])
    h = np.arange(g.out[0])[:, None] * g.s[0] - g.P[0] + p * g.d[0]
    w = np.arange(g.out[1]) * g.s[1] - g.P[1] + q * g.d[1]
    return h * W + w


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
    X, plan = _setup(input, kernel_size, stride, padding, dilation, ceil_mode, op)
    _checks.flag(return_indices, "return_indices", op)
    dY = _check_grad(grad_output, X, plan, op)
    H, W = X.shape[-2:]
    Xm, dYm = _planes(X, H, W), dY.reshape(-1, *plan.g.out)
    dX = np.zeros(X.size, dtype=X.dtype)
    if not X.size:
        return dX.reshape(X.shape)
    has_nan = _maybe_nan(Xm)
    # --8<-- [start:pool-backward]
    _Ho, _Wo = plan.g.out
    for m in range(0, Xm.shape[0], plan.planes):
        part = slice(m, m + plan.planes)
        _, T = _winners(Xm[part], plan, has_nan, exact_values=False)
        # each window's winner as a flat index into dX: its plane, its first row and column,
        # plus the offset of its tap
        I = (
            plan.tap_offset(T)
            + plan.window_base
            + (np.arange(m, m + T.shape[0]) * (H * W))[:, None, None]
        )
        # (3): dX[I] += dY; np.add.at adds the windows that share a winner one after the other,
        # in row-major window order, as torch and the lesson (which calls it too) do
        np.add.at(dX, I.ravel(), dYm[part].ravel())
    # --8<-- [end:pool-backward]
    return dX.reshape(X.shape)
