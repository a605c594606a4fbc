"""max_pool2d by hand, the op table's geometry against torch's verdict, and the kernel's cache.

Every call against torch autograd (lesson, kernel and loop version: the grid, random
configurations, ties, NaN, signed zeros, padding, unbatched, empty, strided) and every bad
input are the op table's (tests/op_table.py, run by test_parity and test_bad_input). Here:
values worked out by hand, checks that the op table's samples are what their names say, and the
kernel's cached geometry.
"""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from op_table import (
    _POOL_DILATIONS,
    _POOL_KERNELS,
    _POOL_PADDINGS,
    _POOL_SIZES,
    _POOL_STRIDES,
    MAX_POOL2D,
    pool_fits,
)
from support import DTYPES, assert_close, rand

from backprop_ref.functional.max_pool2d import max_pool2d, max_pool2d_backward

IMPLS = MAX_POOL2D.every_implementation  # lesson, kernel, naive


def torch_verdict(shape, args):
    """'ok' if torch computes this pooling, 'rejects' if it raises, 'broken' if it returns
    indices outside the input (a window that holds no input element; only the forward runs
    here: torch's backward then writes out of bounds)."""
    try:
        _, I = F.max_pool2d(torch.zeros(shape, dtype=torch.float64), **args, return_indices=True)
    except (RuntimeError, TypeError):
        return "rejects"
    H, W = shape[-2:]
    return "ok" if ((I >= 0) & (I < H * W)).all() else "broken"


GRID = [
    dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=c)
    for k, s, p, d, c in itertools.product(
        _POOL_KERNELS, _POOL_STRIDES, _POOL_PADDINGS, _POOL_DILATIONS, [False, True]
    )
]


def test_the_op_tables_geometry_is_torchs_verdict():
    """pool_fits (which picks the op table's samples) says yes exactly where torch computes
    the pooling; everywhere else all three of ours raise ValueError naming the function. And
    the grid meets every case: rejected, torch's broken empty window, ceil_mode's extra window,
    overlapping windows."""
    seen = set()
    for args, (H, W) in itertools.product(GRID, _POOL_SIZES):
        shape = (1, 2, H, W)
        verdict = torch_verdict(shape, args)
        seen.add(verdict)
        assert pool_fits(shape, **args) == (verdict == "ok"), (args, shape, verdict)
        if verdict != "ok":
            for impl in IMPLS:
                forward = MAX_POOL2D.ours(impl)[0]
                with pytest.raises(ValueError, match=f"^{forward.__name__}: "):
                    forward(np.zeros(shape), **args)
            continue
        if args["ceil_mode"]:
            floor = {**args, "ceil_mode": False}
            ceil_out = F.max_pool2d(torch.zeros(shape), **args).shape
            if torch_verdict(shape, floor) != "ok":
                seen.add("ceil adds a window")  # ceil_mode's window is the only one
            elif F.max_pool2d(torch.zeros(shape), **floor).shape != ceil_out:
                seen.add("ceil adds a window")
        if args["stride"] in (1, (1, 2)) and args["kernel_size"] != 1:
            seen.add("overlap")
    assert {"ok", "rejects", "broken", "ceil adds a window", "overlap"} <= seen


def count_tied_windows(X, Y, args):
    """How many windows hold their maximum Y more than once, listing each window's entries
    straight from the index formula h = i*sH - PH + p*dH (w likewise)."""
    k = np.broadcast_to(args["kernel_size"], 2)
    s = k if args.get("stride") is None else np.broadcast_to(args["stride"], 2)
    P = np.broadcast_to(args.get("padding", 0), 2)
    d = np.broadcast_to(args.get("dilation", 1), 2)
    H, W = X.shape[-2:]
    tied = 0
    for n, c, i, j in np.ndindex(Y.shape):
        rows = [i * s[0] - P[0] + p * d[0] for p in range(k[0])]
        cols = [j * s[1] - P[1] + q * d[1] for q in range(k[1])]
        entries = [X[n, c, h, w] for h in rows for w in cols if 0 <= h < H and 0 <= w < W]
        tied += entries.count(Y[n, c, i, j]) > 1
    return tied


def samples(dtype, starting):
    return [s for s in MAX_POOL2D.sample_list(dtype) if s.name.startswith(starting)]


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_tie_samples_hold_ties(dtype):
    """The op table's "ties" samples are what they say: in most of them many windows hold
    their maximum more than once, in overlapping windows."""
    ties = samples(dtype, "ties")
    assert len(ties) >= 10
    for s in ties:
        (X,), kw = s.arrays, {**s.kwargs, "return_indices": False}
        Y = torch.nn.functional.max_pool2d(torch.tensor(X), **kw).numpy()
        assert count_tied_windows(X, Y, kw) > Y.size // 4, s.name


def test_first_maximum_takes_the_whole_gradient_by_hand():
    X = np.array([[[[1.0, 3.0], [3.0, 2.0]]]])  # 3 twice: (0, 1) comes first in row-major
    dY = np.array([[[[0.7]]]])
    for impl in IMPLS:
        forward, backward = MAX_POOL2D.ours(impl)
        np.testing.assert_array_equal(backward(dY, X, 2), [[[[0.0, 0.7], [0.0, 0.0]]]])
        assert forward(X, 2, return_indices=True)[1].item() == 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_wins_and_the_last_nan_takes_the_gradient_by_hand(dtype):
    nan = np.nan
    X = np.array(
        [
            [
                [1.0, nan, 2.0, nan, 5.0, 0.5],  # window 1: two NaNs; window 2: one
                [3.0, 4.0, nan, 6.0, 7.0, 8.0],
                [nan, nan, 1.0, 2.0, 3.0, 4.0],
                [nan, nan, 9.0, nan, 8.0, 7.0],
            ]
        ],
        dtype=dtype,
    )[None]
    for impl in IMPLS:
        Y, I = MAX_POOL2D.ours(impl)[0](X, kernel_size=2, return_indices=True)
        np.testing.assert_array_equal(np.isnan(Y), [[[[True, True, False], [True, True, False]]]])
        # row-major within each window: the last NaN's flat index h*W + w
        np.testing.assert_array_equal(I, [[[[1, 8, 11], [19, 21, 22]]]])


@pytest.mark.parametrize("dtype", DTYPES)
def test_signed_zero_ties_keep_the_first_entry_by_hand(dtype):
    X = np.array([[[[-0.0, 0.0, 0.0, -0.0], [0.0, -0.0, -0.0, 0.0]]]], dtype=dtype)
    for impl in IMPLS:
        Y = MAX_POOL2D.ours(impl)[0](X, kernel_size=2)
        np.testing.assert_array_equal(np.signbit(Y), [[[[True, False]]]])


@pytest.mark.parametrize("dtype", DTYPES)
def test_padding_never_wins(dtype):
    """On the op table's all -inf and hugely negative samples: every winner is an input entry,
    and every window's upstream gradient lands in dX (none is lost to the padding)."""
    cases = samples(dtype, "padding never wins")
    assert len(cases) >= 16
    rng = np.random.default_rng(5)
    for s in cases:
        (X,), kw = s.arrays, {**s.kwargs, "return_indices": True}
        Y, I = max_pool2d(X, **kw)
        dY = rand(rng, Y.shape, dtype)
        dX = max_pool2d_backward(dY, X, **kw)
        assert ((I >= 0) & (I < X.shape[-2] * X.shape[-1])).all(), s.name
        assert np.isclose(dX.sum(), dY.sum(), rtol=1e-4), s.name


@pytest.mark.parametrize("dtype", DTYPES)
def test_non_finite_upstream_gradient_reaches_only_the_winners(dtype):
    cases = samples(dtype, "nan upstream")
    assert len(cases) == 2
    for s in cases:
        dX = max_pool2d_backward(s.grad_output, *s.arrays, **s.kwargs)
        assert np.isfinite(dX).sum() >= dX.size - s.grad_output.size, s.name


@pytest.mark.parametrize("dtype", DTYPES)
def test_cached_geometry_serves_each_call_its_own_arguments(dtype):
    """The kernel caches its geometry per shape and arguments: calls that alternate between
    settings on one shape each get their own, and a rejected call raises every time (errors
    are not cached)."""
    from backprop_ref import kernels

    rng = np.random.default_rng(11)
    X = rand(rng, (2, 3, 7, 6), dtype)
    settings = [
        dict(kernel_size=2),
        dict(kernel_size=3, stride=1, padding=1),
        dict(kernel_size=2, ceil_mode=True),
        dict(kernel_size=(2, 3), stride=(1, 2), dilation=2),
    ]
    for args in settings + settings[::-1]:  # each twice, the second time from the cache
        x = torch.tensor(X, requires_grad=True)
        Y_t = F.max_pool2d(x, **args)
        dY = rand(rng, tuple(Y_t.shape), dtype)
        Y_t.backward(torch.tensor(dY))
        np.testing.assert_array_equal(kernels.max_pool2d(X, **args), Y_t.detach().numpy())
        assert_close(kernels.max_pool2d_backward(dY, X, **args), x.grad, "dX")
    for _ in range(2):
        with pytest.raises(ValueError, match="max_pool2d: padding"):
            kernels.max_pool2d(X, 2, padding=2)
        with pytest.raises(TypeError, match="stride"):
            kernels.max_pool2d(X, 2, stride=2.0)  # 2.0 == 2, yet it must not hit stride 2
