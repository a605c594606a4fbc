"""max_pool2d / max_pool2d_backward (vectorized and naive) against torch.nn.functional.max_pool2d
and autograd: every argument, ties, NaN, padding, ceil_mode, dilation, bad input."""

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import DTYPES, assert_close, rand, torch_grads

from backprop_ref.functional.max_pool2d import (
    max_pool2d,
    max_pool2d_backward,
    max_pool2d_backward_naive,
    max_pool2d_naive,
)

KERNELS = [1, 2, 3, (2, 3)]
STRIDES = [None, 1, 2, (1, 2), 3]
PADDINGS = [0, 1, (1, 0)]
DILATIONS = [1, 2]
SIZES = [(5, 7), (6, 6), (1, 4)]


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


def count_tied_windows(X, Y, args):
    """How many windows hold their maximum Y more than once, listing each window's entries
    straight from the index formula h = i*sH - pH + a*dH (w likewise)."""
    k = np.broadcast_to(args["kernel_size"], 2)
    s = k if args.get("stride") is None else np.broadcast_to(args["stride"], 2)
    p = np.broadcast_to(args.get("padding", 0), 2)
    d = np.broadcast_to(args.get("dilation", 1), 2)
    H, W = X.shape[-2:]
    tied = 0
    for n, c, i, j in np.ndindex(Y.shape):
        rows = [i * s[0] - p[0] + a * d[0] for a in range(k[0])]
        cols = [j * s[1] - p[1] + b * d[1] for b in range(k[1])]
        entries = [X[n, c, h, w] for h in rows for w in cols if 0 <= h < H and 0 <= w < W]
        tied += entries.count(Y[n, c, i, j]) > 1
    return tied


def check_against_torch(X, dY, args, naive=True, exact_grad=False):
    """Output, indices and input gradient of ours (vectorized, and naive) equal torch's."""
    Y_t, (dX_t,) = torch_grads(lambda x: F.max_pool2d(x, **args), [X], dY)
    _, I_t = F.max_pool2d(torch.tensor(X), **args, return_indices=True)
    Y, I = max_pool2d(X, **args, return_indices=True)
    dX = max_pool2d_backward(dY, X, **args)
    assert Y.dtype == dX.dtype == X.dtype and I.dtype == np.int64
    # the output is a selection of input entries: equal bit for bit (NaN where torch's is)
    np.testing.assert_array_equal(Y, Y_t)
    np.testing.assert_array_equal(np.signbit(Y), np.signbit(Y_t))
    np.testing.assert_array_equal(I, I_t.numpy())
    assert_close(dX, dX_t, "grad_input")
    if exact_grad:
        np.testing.assert_array_equal(dX, dX_t.numpy())
    if naive:
        Yn, In = max_pool2d_naive(X, **args, return_indices=True)
        np.testing.assert_array_equal(Yn, Y)
        np.testing.assert_array_equal(In, I)
        dXn = max_pool2d_backward_naive(dY, X, **args)
        assert dXn.dtype == X.dtype
        assert_close(dXn, dX_t, "naive grad_input")
    return Y, I, dX


@pytest.mark.parametrize("ceil_mode", [False, True])
@pytest.mark.parametrize("dilation", DILATIONS)
@pytest.mark.parametrize("padding", PADDINGS, ids=str)
@pytest.mark.parametrize("stride", STRIDES, ids=str)
@pytest.mark.parametrize("kernel_size", KERNELS, ids=str)
def test_grid_matches_torch(kernel_size, stride, padding, dilation, ceil_mode):
    args = dict(
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        ceil_mode=ceil_mode,
    )
    rng = np.random.default_rng(0)
    for (H, W), N, dtype in itertools.product(SIZES, [1, 3], DTYPES):
        shape = (N, 2, H, W)
        verdict = torch_verdict(shape, args)
        X = rand(rng, shape, dtype)
        if verdict != "ok":  # torch rejects it, or gives indices outside the input
            with pytest.raises(ValueError, match="max_pool2d"):
                max_pool2d(X, **args)
            with pytest.raises(ValueError, match="max_pool2d"):
                max_pool2d_naive(X, **args)
            continue
        Y = max_pool2d(X, **args)
        dY = rand(rng, Y.shape, dtype)
        check_against_torch(X, dY, args, naive=N == 1)


def test_grid_covers_what_it_should():
    """The grid above does compute (not only reject) ceil_mode's extra windows, overlapping
    windows, padded and dilated ones; and it meets torch's broken empty-window case."""
    seen = set()
    for k, s, p, d, c in itertools.product(KERNELS, STRIDES, PADDINGS, DILATIONS, [0, 1]):
        args = dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=bool(c))
        for H, W in SIZES:
            v = torch_verdict((1, 1, H, W), args)
            seen.add(v)
            if v != "ok":
                continue
            if c:
                floor = {**args, "ceil_mode": False}
                ceil_out = F.max_pool2d(torch.zeros(1, 1, H, W), **args).shape
                if torch_verdict((1, 1, H, W), floor) != "ok":
                    seen.add("ceil adds a window")  # ceil_mode's window is the only one
                elif F.max_pool2d(torch.zeros(1, 1, H, W), **floor).shape != ceil_out:
                    seen.add("ceil adds a window")
            if (s if s is not None else k) in (1, (1, 2)) and k != 1:
                seen.add("overlap")
    assert {"ok", "rejects", "broken", "ceil adds a window", "overlap"} <= seen


@pytest.mark.parametrize("seed", range(100))
def test_random_configurations(seed):
    rng = np.random.default_rng(1000 + seed)
    k = tuple(int(v) for v in rng.integers(1, 5, 2))
    args = dict(
        kernel_size=k if rng.random() < 0.7 else k[0],
        stride=None if rng.random() < 0.3 else tuple(int(v) for v in rng.integers(1, 5, 2)),
        padding=tuple(int(rng.integers(0, v // 2 + 1)) for v in k),
        dilation=tuple(int(v) for v in rng.integers(1, 4, 2)),
        ceil_mode=bool(rng.random() < 0.5),
    )
    if isinstance(args["kernel_size"], int):
        args["padding"] = min(args["padding"])
    shape = (int(rng.integers(1, 4)), int(rng.integers(1, 4)), *map(int, rng.integers(1, 12, 2)))
    dtype = DTYPES[seed % 2]
    if rng.random() < 0.5:  # integer values: many ties
        X = rng.integers(-2, 3, shape).astype(dtype)
    else:
        X = rand(rng, shape, dtype)
    verdict = torch_verdict(shape, args)
    if verdict != "ok":
        with pytest.raises(ValueError, match="max_pool2d"):
            max_pool2d(X, **args)
        return
    dY = rand(rng, max_pool2d(X, **args).shape, dtype)
    check_against_torch(X, dY, args)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "args",
    [
        dict(kernel_size=2, stride=1),
        dict(kernel_size=3, stride=1),
        dict(kernel_size=3, stride=2),
        dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 0)),
        dict(kernel_size=3, stride=1, padding=1, dilation=2),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
        dict(kernel_size=2, stride=2),
    ],
    ids=str,
)
def test_ties_in_overlapping_windows_route_exactly_like_torch(args, dtype):
    """Integer inputs: most windows hold several equal maxima and (stride < kernel) share
    entries. The first maximum in row-major order takes the gradient; sums are exact."""
    rng = np.random.default_rng(7)
    X = rng.integers(0, 3, (3, 2, 7, 8)).astype(dtype)
    Y = max_pool2d(X, **args)
    # integer-valued upstream gradients: every sum of them is exact, in any order
    dY = rng.integers(-9, 10, Y.shape).astype(dtype)
    check_against_torch(X, dY, args, exact_grad=True)
    # and with a random normal upstream gradient
    check_against_torch(X, rand(rng, Y.shape, dtype), args)
    # the ties are real: many windows hold their maximum more than once
    assert count_tied_windows(X, Y, args) > Y.size // 4


def test_first_maximum_takes_the_whole_gradient_by_hand():
    X = np.array([[[[1.0, 3.0], [3.0, 2.0]]]])  # 3 twice: (0, 1) comes first in row-major
    dY = np.array([[[[0.7]]]])
    dX = max_pool2d_backward(dY, X, 2)
    np.testing.assert_array_equal(dX, [[[[0.0, 0.7], [0.0, 0.0]]]])
    _, (dX_t,) = torch_grads(lambda x: F.max_pool2d(x, 2), [X], dY)
    np.testing.assert_array_equal(dX, dX_t.numpy())
    assert max_pool2d(X, 2, return_indices=True)[1].item() == 1


@pytest.mark.parametrize("dtype", DTYPES)
def test_nan_wins_and_the_last_nan_takes_the_gradient(dtype):
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
    dY = rand(np.random.default_rng(3), (1, 1, 2, 3), dtype)
    Y, I, _ = check_against_torch(X, dY, dict(kernel_size=2))
    np.testing.assert_array_equal(np.isnan(Y), [[[[True, True, False], [True, True, False]]]])
    # row-major within each window: the last NaN's flat index h*W + w
    np.testing.assert_array_equal(I, [[[[1, 8, 11], [19, 21, 22]]]])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("nans", [1, 3, 12])
@pytest.mark.parametrize(
    "args",
    [
        dict(kernel_size=3, stride=1),
        dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
        dict(kernel_size=2, stride=1, dilation=2),
        dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 1)),
    ],
    ids=str,
)
def test_nan_in_overlapping_windows(args, nans, dtype):
    rng = np.random.default_rng(nans)
    X = rng.integers(0, 4, (2, 2, 6, 7)).astype(dtype)
    X.reshape(-1)[rng.choice(X.size, nans, replace=False)] = np.nan
    dY = rand(rng, max_pool2d(X, **args).shape, dtype)
    check_against_torch(X, dY, args)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "args",
    [
        dict(kernel_size=2, stride=2, padding=1),
        dict(kernel_size=3, stride=1, padding=1),
        dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True),
        dict(kernel_size=(2, 3), stride=(1, 2), padding=(1, 1), ceil_mode=True),
    ],
    ids=str,
)
def test_padding_never_wins(args, dtype):
    """All -inf, or hugely negative, inputs: the winner is always an input entry (for an
    all -inf window torch takes its first entry inside the input); padding gets no gradient."""
    rng = np.random.default_rng(5)
    shape = (2, 2, 5, 6)
    very_negative = -np.finfo(dtype).max
    for X in [
        np.full(shape, -np.inf, dtype=dtype),
        np.full(shape, very_negative, dtype=dtype),
        np.where(rng.random(shape) < 0.5, -np.inf, very_negative).astype(dtype),
        np.where(rng.random(shape) < 0.5, -np.inf, rand(rng, shape, dtype)).astype(dtype),
    ]:
        dY = rand(rng, max_pool2d(X, **args).shape, dtype)
        _, I, dX = check_against_torch(X, dY, args)
        assert ((I >= 0) & (I < 5 * 6)).all()
        assert np.isclose(dX.sum(), dY.sum(), rtol=1e-4)  # every window's dY lands in dX


@pytest.mark.parametrize("dtype", DTYPES)
def test_signed_zero_ties_keep_the_first_entry(dtype):
    X = np.array([[[[-0.0, 0.0, 0.0, -0.0], [0.0, -0.0, -0.0, 0.0]]]], dtype=dtype)
    dY = np.array([[[[1.5, -2.5]]]], dtype=dtype)
    Y, _, _ = check_against_torch(X, dY, dict(kernel_size=2))
    np.testing.assert_array_equal(np.signbit(Y), [[[[True, False]]]])
    rng = np.random.default_rng(11)
    X = (rng.integers(-1, 2, (2, 3, 8, 8)) * 0.0).astype(dtype)  # +0.0 and -0.0 mixed
    X[rng.random(X.shape) < 0.2] = -1
    for args in [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1)]:
        check_against_torch(X, rand(rng, max_pool2d(X, **args).shape, dtype), args)


@pytest.mark.parametrize("dtype", DTYPES)
def test_non_finite_upstream_gradient_reaches_only_the_winners(dtype):
    X = rand(np.random.default_rng(2), (1, 2, 4, 4), dtype)
    dY = np.array([[[np.nan, 1.0], [np.inf, -2.0]], [[-np.inf, 0.5], [3.0, np.nan]]], dtype)
    for args in [dict(kernel_size=2), dict(kernel_size=3, stride=1)]:
        dY_a = np.resize(dY, max_pool2d(X, **args).shape).astype(dtype)
        _, _, dX = check_against_torch(X, dY_a, args)
        assert np.isfinite(dX).sum() >= X.size - dY_a.size  # non-winners stay finite


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "args",
    [dict(kernel_size=2), dict(kernel_size=3, stride=(1, 2), padding=1, ceil_mode=True)],
    ids=str,
)
def test_unbatched_input(args, dtype):
    rng = np.random.default_rng(9)
    X = rand(rng, (3, 6, 7), dtype)
    dY = rand(rng, max_pool2d(X, **args).shape, dtype)
    Y, I, dX = check_against_torch(X, dY, args)
    assert Y.ndim == I.ndim == 3 and dX.shape == X.shape
    Yb, Ib = max_pool2d(X[None], **args, return_indices=True)
    np.testing.assert_array_equal(Yb[0], Y)
    np.testing.assert_array_equal(Ib[0], I)


def test_empty_batch_like_torch():
    X = np.zeros((0, 3, 6, 6))
    Y, I = max_pool2d(X, 2, return_indices=True)
    assert Y.shape == I.shape == tuple(F.max_pool2d(torch.tensor(X), 2).shape) == (0, 3, 3, 3)
    assert max_pool2d_backward(np.zeros((0, 3, 3, 3)), X, 2).shape == X.shape


def test_lenet_shapes_and_argument_spellings():
    """LeNet's calls F.max_pool2d(x, (2, 2)) and F.max_pool2d(x, 2); stride None, () and []
    all mean stride = kernel_size; one-element tuples count for both sides; numpy ints."""
    rng = np.random.default_rng(4)
    X = rand(rng, (2, 6, 28, 28), np.float32)
    ref = max_pool2d(X, 2)
    assert ref.shape == (2, 6, 14, 14)
    for spelling in [
        dict(kernel_size=(2, 2)),
        dict(kernel_size=[2]),
        dict(kernel_size=2, stride=()),
        dict(kernel_size=2, stride=[]),
        dict(kernel_size=np.int64(2), stride=(2,), padding=(0,), dilation=(1,)),
    ]:
        np.testing.assert_array_equal(max_pool2d(X, **spelling), ref)
        np.testing.assert_array_equal(F.max_pool2d(torch.tensor(X), **spelling).numpy(), ref)
    dY = rand(rng, ref.shape, np.float32)
    check_against_torch(X, dY, dict(kernel_size=(2, 2)), naive=False)
    X = rand(rng, (2, 16, 10, 10), np.float32)
    check_against_torch(X, rand(rng, (2, 16, 5, 5), np.float32), dict(kernel_size=2))


# (arguments, exception, words in our message); torch rejects each of them too
X4 = np.zeros((2, 3, 5, 6))
BAD = [
    (dict(input=np.zeros((5, 6))), ValueError, r"\(N, C, H, W\) or \(C, H, W\), got \(5, 6\)"),
    (dict(input=np.zeros((1, 2, 3, 5, 6))), ValueError, r"got \(1, 2, 3, 5, 6\)"),
    (dict(input=np.zeros((2, 0, 5, 6))), ValueError, r"C, H, W > 0.*\(2, 0, 5, 6\)"),
    (dict(input=np.zeros((3, 0, 6))), ValueError, r"\(3, 0, 6\)"),
    (dict(kernel_size=0), ValueError, r"kernel_size must be positive, got \(0, 0\)"),
    (dict(kernel_size=(2, -1)), ValueError, "kernel_size must be positive"),
    (dict(stride=0), ValueError, r"stride must be positive, got \(0, 0\)"),
    (dict(stride=(1, -2)), ValueError, "stride must be positive"),
    (dict(dilation=0), ValueError, "dilation must be positive"),
    (dict(padding=-1), ValueError, r"padding must be non-negative, got \(-1, -1\)"),
    (dict(padding=2), ValueError, r"padding \(2, 2\) must be at most half of kernel_size"),
    (dict(kernel_size=3, padding=2, dilation=2), ValueError, "at most half"),
    (dict(kernel_size=(3, 2), padding=(1, 2)), ValueError, "at most half"),
    (dict(kernel_size=7), ValueError, r"gives output size \(0, 0\)"),
    (dict(kernel_size=3, dilation=3), ValueError, r"gives output size \(0, 0\)"),
    (dict(kernel_size=(2, 3, 1)), ValueError, "kernel_size must be an int or a tuple of 2 ints"),
    (dict(kernel_size=()), ValueError, "kernel_size must be an int or a tuple of 2 ints"),
    (dict(stride=(1, 1, 1)), ValueError, "stride must be an int or a tuple of 2 ints"),
    (dict(padding=()), ValueError, "padding must be an int or a tuple of 2 ints"),
    (dict(dilation=(1, 1, 1)), ValueError, "dilation must be an int or a tuple of 2 ints"),
    (dict(kernel_size=2.0), TypeError, "kernel_size must be an int or a tuple of 2 ints"),
    (dict(kernel_size=True), TypeError, "kernel_size must be an int"),
    (dict(stride=(1.5, 1)), TypeError, "stride must be an int"),
    (dict(padding="1"), TypeError, "padding must be an int"),
    (dict(dilation=None), TypeError, "dilation must be an int"),
]


@pytest.mark.parametrize("bad, exc, words", BAD, ids=[str(b[0])[:60] for b in BAD])
def test_bad_arguments_raise_like_torch(bad, exc, words):
    args = dict(input=X4, kernel_size=2)
    args.update(bad)
    with pytest.raises((RuntimeError, TypeError)):
        F.max_pool2d(torch.tensor(args["input"]), **{k: v for k, v in args.items() if k != "input"})
    for fn in (max_pool2d, max_pool2d_naive):
        with pytest.raises(exc, match=words) as err:
            fn(**args)
        assert str(err.value).startswith(f"{fn.__name__}:")
    Xb = args.pop("input")
    with pytest.raises(exc, match=words):
        max_pool2d_backward(np.zeros((2, 3, 2, 3)), Xb, **args)


def test_a_window_without_input_entries_is_rejected_where_torch_breaks():
    """H = 1, kernel 2, padding 1, dilation 2: window rows -1 and 1, neither inside.
    torch's forward returns indices past the input (its backward then corrupts memory)."""
    X = np.zeros((1, 1, 1, 3))
    args = dict(kernel_size=(2, 1), padding=(1, 0), dilation=(2, 1))
    assert torch_verdict(X.shape, args) == "broken"
    for fn in (max_pool2d, max_pool2d_naive):
        with pytest.raises(ValueError, match="covers no input element"):
            fn(X, **args)
    with pytest.raises(ValueError, match="covers no input element"):
        max_pool2d_backward(np.zeros((1, 1, 1, 3)), X, **args)


@pytest.mark.parametrize("fn", [max_pool2d, max_pool2d_naive])
def test_non_float_input_is_a_type_error(fn):
    with pytest.raises(TypeError, match=f"{fn.__name__}: input must be float32 or float64"):
        fn(np.zeros((1, 1, 4, 4), dtype=np.int64), 2)
    with pytest.raises(TypeError, match=r"numpy\.ndarray"):
        fn([[[[1.0, 2.0], [3.0, 4.0]]]], 2)


@pytest.mark.parametrize("fn", [max_pool2d_backward, max_pool2d_backward_naive])
def test_bad_grad_output(fn):
    X = np.zeros((2, 3, 6, 6))
    with pytest.raises(ValueError, match=r"output's shape \(2, 3, 3, 3\), got \(2, 3, 6, 6\)"):
        fn(np.zeros((2, 3, 6, 6)), X, 2)
    with pytest.raises(ValueError, match=r"output's shape \(3, 3, 3\), got \(1, 3, 3, 3\)"):
        fn(np.zeros((1, 3, 3, 3)), X[0], 2)
    with pytest.raises(TypeError, match="one dtype"):
        fn(np.zeros((2, 3, 3, 3), np.float32), X, 2)
    with pytest.raises(TypeError, match="grad_output must be float32 or float64"):
        fn(np.zeros((2, 3, 3, 3), np.int32), X, 2)


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


@pytest.mark.parametrize("dtype", DTYPES)
def test_negative_zero_found_by_its_bits_at_scale(dtype):
    """A single -0.0 among LeNet-sized ReLU outputs (full of +0.0) is found by the one-pass
    bit test, and every zero's sign comes out as torch's."""
    rng = np.random.default_rng(12)
    X = np.maximum(rand(rng, (4, 6, 28, 28), dtype), 0)  # many +0.0, as after a ReLU
    X[1, 2, 4:6, 6:8] = [[0.0, -0.0], [-0.0, 0.0]]  # one all-zero window, +0.0 first
    X[3, 5, 10:12, 0:2] = [[-0.0, 0.0], [0.0, -0.0]]  # and one with -0.0 first
    dY = rand(rng, (4, 6, 14, 14), dtype)
    Y, _, _ = check_against_torch(X, dY, dict(kernel_size=2), naive=False, exact_grad=True)
    assert not np.signbit(Y[1, 2, 2, 3]) and np.signbit(Y[3, 5, 5, 0])
