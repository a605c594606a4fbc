"""The op table: one record per op, in the spirit of torch's OpInfo (common_methods_invocations.py).

Each `OpInfo` gathers what every table-driven test needs to know about one op:

- `name`, and `ours(impl)`: our forward and backward, looked up by name in
  `backprop_ref.functional` (impl "lesson") or `backprop_ref.kernels` (impl "kernel");
- `torch`: torch's function (F.linear, ..., torch.flatten) and, where inspect cannot read it,
  `torch_signature`, its signature as torch's docstring prints it;
- `arrays`: the forward's array parameters in order, and `differentiable`: those that torch
  gives a gradient (our backward returns one gradient per array argument, in that order);
- `samples(rng, dtype)`: valid calls, hard cases on purpose (ties, +0.0 and -0.0 at the kinks,
  NaN and inf, overlapping windows, odd and non-square sizes, every argument torch takes,
  unbatched and empty inputs, non-contiguous arrays);
- `strategy(styles)`: the hypothesis strategy drawing calls from the space torch accepts;
- `kink_free(rng)`: float64 calls away from every kink, for finite differences and gradcheck;
- `valid` and `error_inputs`: one valid call (every argument by name), and rows that change one
  argument of it, with the exception we raise and the argument the message names; torch
  rejects each row too, except rows marked `torch_rejects=False` (our deliberate stricter
  choices, each explained in the op's chapter); `grad_output_errors` likewise for grad_output;
- `unsupported`: torch arguments we accept only at their default (NotImplementedError);
- `exact_vs_torch`: the results that equal torch's bit for bit on every sample (a selection or
  a reshape computes nothing), and `kernel_exact`: whether the kernel equals the lesson bit for
  bit (otherwise within the precision policy: a summation order may differ);
- `naive_work`: for an op with loop versions (`<op>_naive`, `<op>_backward_naive`, impl
  "naive"), the number of inner-loop steps a sample costs them; they run on every sample of at
  most NAIVE_WORK steps (Python loops: about a microsecond a step).

Tests that iterate it: test_parity (torch autograd), test_properties (hypothesis),
test_finite_differences (finite differences, adjoint test), test_gradcheck, test_bad_input,
test_interface_parity, test_kernels (kernel vs lesson). A new op is one new record in `OPS`.
"""

import importlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import assume
from hypothesis import strategies as st

from backprop_ref import functional, kernels

DTYPES = (np.float64, np.float32)
IMPLEMENTATIONS = {"lesson": functional, "kernel": kernels}
NAIVE_WORK = 5000  # inner-loop steps: the loop versions run on the samples that cost at most this


# ---------------------------------------------------------------------------------------------
# the records


@dataclass(frozen=True, eq=False)  # compared by identity: arrays have no single truth value
class Sample:
    """One valid call: the forward's array arguments (None for an omitted bias), its other
    arguments by name, and optionally the upstream gradient (None: the test draws a random
    one, never ones). `exact`: every value and every sum is exact (small integers, or each
    gradient entry receives at most one term), so ours equals torch bit for bit.

    Its arrays are made read-only: an op that writes to its input fails loudly."""

    name: str
    arrays: tuple
    kwargs: dict = field(default_factory=dict)
    grad_output: object = None
    exact: bool = False

    def __post_init__(self):
        for a in (*self.arrays, self.grad_output):
            if isinstance(a, np.ndarray):
                a.flags.writeable = False

    @property
    def dtype(self):
        """The dtype of the first float array (embedding's first array holds indices)."""
        return next(
            np.asarray(a).dtype
            for a in self.arrays
            if a is not None and np.asarray(a).dtype.kind == "f"
        )


@dataclass(frozen=True)
class ErrorInput:
    """A bad call: the valid call with `change` applied. We raise `error` (ValueError or
    TypeError), with a message that starts with the function called, names `name` and matches
    the regex `match`. `torch_rejects=False` marks our deliberate stricter choices: torch
    accepts the call (a test checks that it still does)."""

    what: str
    change: dict
    error: type
    name: str
    match: str = ""
    torch_rejects: bool = True


@dataclass(frozen=True)
class OpInfo:
    name: str
    torch: Callable
    arrays: tuple
    differentiable: tuple
    samples: Callable[[np.random.Generator, type], Iterator[Sample]]
    strategy: Callable[..., st.SearchStrategy]
    kink_free: Callable[[np.random.Generator], Iterator[Sample]]
    valid: dict
    error_inputs: tuple
    grad_output_errors: tuple = ()  # ErrorInputs whose change holds "grad_output" (see bad_grad)
    torch_signature: str | None = None
    unsupported: tuple = ()  # kwargs torch takes that we refuse with NotImplementedError
    exact_vs_torch: tuple = ()  # "output", "grad_input", ...: equal to torch's bit for bit
    kernel_exact: bool = False
    nan_semantics: bool = False  # torch's NaN rule is pinned: hypothesis draws NaN too
    naive_work: Callable[[Sample], int] | None = None  # the loop versions' cost of a sample
    # when torch's differentiable arguments depend on the call (cross_entropy: target and
    # weight only for class probabilities): arguments by name -> the differentiable names
    differentiable_if: Callable[[dict], tuple] | None = None
    # keyword-only arguments of ours that torch's function lacks (dropout's mask= and
    # generator=: the randomness made explicit); the signature tests leave them out
    our_keywords: tuple = ()
    # what run_torch calls instead of `torch` when torch cannot take the samples' arguments
    # (dropout: torch's own F.dropout under a fixed seed; the samples carry the mask it draws)
    torch_call: Callable | None = None

    def differentiable_in(self, call):
        """The differentiable arrays of one call: a Sample, or the arguments by name."""
        if self.differentiable_if is None:
            return self.differentiable
        if isinstance(call, Sample):
            call = dict(zip(self.arrays, call.arrays, strict=True))
        return self.differentiable_if(call)

    def by_name(self, arrays, kwargs):
        """A call's arguments by name: the arrays under their parameter names, then the rest
        (layer_norm's arrays are not its first parameters: normalized_shape comes between)."""
        return {**dict(zip(self.arrays, arrays, strict=True)), **kwargs}

    def ours(self, impl="lesson"):
        """(forward, backward) of the lesson, the kernel or the loop version ("naive")."""
        if impl == "naive":  # in the op's module: backprop_ref.functional exports the lesson
            module = importlib.import_module(f"{functional.__name__}.{self.name}")
            return getattr(module, self.name + "_naive"), getattr(
                module, self.name + "_backward_naive"
            )
        module = IMPLEMENTATIONS[impl]
        return getattr(module, self.name), getattr(module, self.name + "_backward")

    @property
    def every_implementation(self):
        """ "lesson" and "kernel", and "naive" when the op has loop versions."""
        return (*IMPLEMENTATIONS, "naive") if self.naive_work else tuple(IMPLEMENTATIONS)

    def implementations(self, sample):
        """The implementations a sample is checked on: the loop versions only on the samples
        small enough for Python loops."""
        if self.naive_work is not None and self.naive_work(sample) > NAIVE_WORK:
            return tuple(IMPLEMENTATIONS)
        return self.every_implementation

    def sample_list(self, dtype):
        """The samples for one dtype, built once per session from a fixed seed."""
        key = (self.name, np.dtype(dtype).name)
        if key not in _SAMPLES:
            seed = sum(map(ord, self.name)) + (1 if key[1] == "float32" else 0)
            samples = list(self.samples(np.random.default_rng(seed), dtype))
            _SAMPLES[key] = _unique_names(samples)
        return _SAMPLES[key]


_SAMPLES = {}


def _unique_names(samples):
    seen = {}
    out = []
    for s in samples:
        n = seen[s.name] = seen.get(s.name, 0) + 1
        out.append(
            s if n == 1 else Sample(f"{s.name}#{n}", s.arrays, s.kwargs, s.grad_output, s.exact)
        )
    return out


# ---------------------------------------------------------------------------------------------
# values


def values(rng, shape, dtype, style="normal"):
    """An ndarray (0-d included, never a numpy scalar) in one of the value styles:
    "normal"; "integers" in [-2, 2] with random signs on the zeros (exact zeros +0.0 and -0.0,
    ties, sums exact in any order); "nan" (about one element in four is NaN)."""
    x = rng.standard_normal(shape)
    if style == "nan":
        x = np.where(rng.random(shape) < 0.25, np.nan, x)
    if style == "integers":
        x = np.copysign(rng.integers(-2, 3, size=shape), rng.choice([-1.0, 1.0], size=shape))
    return np.array(x, dtype=dtype)


def with_exact_zeros(rng, shape, dtype):
    """Random values with about a third of them set to exactly +0.0 or -0.0."""
    X = values(rng, shape, dtype)
    where = rng.random(shape) < 1 / 3
    X[where] = 0.0
    X[where & (rng.random(shape) < 0.5)] = -0.0
    return X


def spaced(rng, shape, gap=0.01):
    """Distinct float64 values, any two at least `gap` apart, in random order: no ties."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * gap - n * gap / 2).reshape(shape)


def away_from_zero(rng, shape, margin=0.1):
    """Random signs, |x| >= margin: ReLU's kink at 0 is out of reach of any small step."""
    x = rng.standard_normal(shape)
    return np.where(x >= 0, x + margin, x - margin)


def _pair(v):
    """torch's _pair for the tests' own geometry: an int or a 1- or 2-sequence, as (h, w)."""
    if isinstance(v, (tuple, list)):
        return (int(v[0]), int(v[-1]))
    return (int(v), int(v))


# ---------------------------------------------------------------------------------------------
# hypothesis: shared pieces (profiles in tests/conftest.py)

SEEDS = st.integers(0, 2**32 - 1)
STYLES = st.sampled_from(["normal", "integers"])
NAN = st.just("nan")


def _drawn(draw, shapes, kwargs, styles):
    """A Sample for the drawn shapes (None stays None), values from a drawn seed and style."""
    dtype, style, seed = draw(st.sampled_from(DTYPES)), draw(styles), draw(SEEDS)
    rng = np.random.default_rng(seed)
    arrays = tuple(None if s is None else values(rng, s, dtype, style) for s in shapes)
    return Sample("drawn", arrays, kwargs)


def _pair_or_int(draw, pair):
    """Pass a pair as an int when both are equal, half the time: torch takes both forms."""
    return pair[0] if pair[0] == pair[1] and draw(st.booleans()) else tuple(pair)


def _pairs(lo, hi):
    return st.tuples(st.integers(lo, hi), st.integers(lo, hi))


# =============================================================================================
# linear


def _linear_samples(rng, dtype):
    def s(name, X, W, b):
        return Sample(name, (X, W, b))

    # (leading dims, in, out): 1-D input, a batch, batch x time, non-square weights both ways,
    # a single feature, a batch of one, one output, a wider layer
    shapes = [
        ((), 3, 5),
        ((4,), 3, 5),
        ((4,), 6, 2),
        ((1,), 7, 7),
        ((2, 3), 4, 6),
        ((2, 3, 2), 5, 1),
        ((5,), 1, 3),
        ((8,), 50, 20),
    ]
    for (lead, n_in, n_out), bias in itertools.product(shapes, [True, False]):
        X, W = values(rng, (*lead, n_in), dtype), values(rng, (n_out, n_in), dtype)
        b = values(rng, (n_out,), dtype) if bias else None
        yield s(f"{lead}x{n_in}->{n_out}{' bias' if bias else ''}", X, W, b)
    # non-contiguous arrays: a transposed input (Fortran order), a strided weight
    yield s(
        "transposed input, strided weight",
        values(rng, (5, 4), dtype).T,
        values(rng, (3, 10), dtype)[:, ::2],
        values(rng, (3,), dtype),
    )
    # an empty batch: output (0, out); torch's weight and bias gradients are zeros
    yield s(
        "empty batch", np.zeros((0, 3), dtype), values(rng, (2, 3), dtype), values(rng, 2, dtype)
    )
    yield s("empty batch no bias", np.zeros((2, 0, 3), dtype), values(rng, (2, 3), dtype), None)
    # in_features 0: the output is the bias (or zeros), the weight's gradient is (out, 0)
    yield s(
        "in_features 0", np.zeros((3, 0), dtype), np.zeros((2, 0), dtype), values(rng, 2, dtype)
    )
    # small integers: every product and sum exact
    X, W, b = (values(rng, sh, dtype, "integers") for sh in ((3, 4), (2, 4), (2,)))
    dY = values(rng, (3, 2), dtype, "integers")
    yield Sample("integers", (X, W, b), grad_output=dY, exact=True)


@st.composite
def _linear_strategy(draw, styles=STYLES):
    lead = draw(st.lists(st.integers(0, 3), max_size=3))  # () means a 1-D input (in,)
    n_in, n_out = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    bias = (n_out,) if draw(st.booleans()) else None
    return _drawn(draw, [(*lead, n_in), (n_out, n_in), bias], {}, styles)


def _linear_kink_free(rng):
    X, W, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 4)), rng.standard_normal(5)
    yield Sample("batch x time", (X, W, b))
    yield Sample("no bias", (rng.standard_normal((3, 4)), rng.standard_normal((2, 4)), None))


def bad_grad(what, grad_output, change=None, error=ValueError, torch_rejects=True):
    """An ErrorInput for the backward: the valid call (with `change`), this grad_output."""
    return ErrorInput(
        what,
        {**(change or {}), "grad_output": grad_output},
        error,
        "grad_output",
        "",
        torch_rejects,
    )


def a(*shape, dtype=np.float64):
    """A fixed random array for the valid calls and the error rows."""
    return _valid_rng.standard_normal(shape).astype(dtype)


_valid_rng = np.random.default_rng(0)

LINEAR = OpInfo(
    name="linear",
    torch=F.linear,
    arrays=("input", "weight", "bias"),
    differentiable=("input", "weight", "bias"),
    samples=_linear_samples,
    strategy=_linear_strategy,
    kink_free=_linear_kink_free,
    torch_signature="linear(input, weight, bias=None)",
    valid={"input": a(2, 3), "weight": a(4, 3), "bias": a(4)},
    error_inputs=(
        ErrorInput(
            "input a list", {"input": [[1.0, 2.0, 3.0]]}, TypeError, "input", "numpy.ndarray"
        ),
        ErrorInput("0-d input", {"input": a()}, ValueError, "input", r"\(\*, in_features"),
        ErrorInput("in_features mismatch", {"input": a(2, 5)}, ValueError, "input", r"\(2, 5\)"),
        ErrorInput("3-d weight", {"weight": a(4, 3, 1)}, ValueError, "weight", r"\(4, 3, 1\)"),
        ErrorInput(
            "bias of the wrong length", {"bias": a(5)}, ValueError, "bias", r"\(4,\).*\(5,\)"
        ),
        ErrorInput(
            "input float32", {"input": a(2, 3, dtype=np.float32)}, TypeError, "input float32"
        ),
        ErrorInput("bias float32", {"bias": a(4, dtype=np.float32)}, TypeError, "bias float32"),
        ErrorInput(
            "integer weight",
            {"weight": np.zeros((4, 3), np.int64)},
            TypeError,
            "weight",
            "float32 or",
        ),
        # torch accepts these; we refuse on purpose (docs/layers/linear.md says why)
        ErrorInput(
            "1-D weight",
            {"weight": a(3), "bias": None},
            ValueError,
            "weight",
            r"2-D.*\(3,\)",
            False,
        ),
        ErrorInput("2-D bias", {"bias": a(1, 4)}, ValueError, "bias", r"\(1, 4\)", False),
        ErrorInput(
            "input a tensor",
            {"input": torch.zeros(2, 3, dtype=torch.float64)},
            TypeError,
            "input",
            "Tensor",
            False,
        ),
    ),
    grad_output_errors=(
        bad_grad("transposed", np.zeros((4, 2))),
        bad_grad("too few dims", np.zeros(4)),
    ),
)


# =============================================================================================
# relu


def _relu_samples(rng, dtype):
    for shape in [(), (7,), (4, 5), (2, 3, 4, 5), (1, 1, 33)]:
        yield Sample(f"exact zeros {shape}", (with_exact_zeros(rng, shape, dtype),))
    yield Sample("empty", (np.zeros((2, 0, 3), dtype),))
    # ReLU'(0) = 0 at +0.0 and -0.0; the smallest positive input already passes dY
    tiny = 1e-300 if dtype == np.float64 else 1e-40  # subnormal in float32
    yield Sample(
        "kink",
        (np.array([-1.0, -0.0, 0.0, tiny, 2.0], dtype),),
        grad_output=np.array([0.3, -1.7, 2.9, 0.7, -0.4], dtype),
    )
    yield Sample("signed zeros", (np.array([-0.0, 0.0, -0.0], dtype),))
    # NaN stays NaN forward; backward passes dY at NaN (torch masks on `Y <= 0`)
    X = np.array([np.nan, -np.inf, np.inf, -2.0, 0.0, 3.0, np.nan], dtype)
    yield Sample(
        "nan and inf", (X,), grad_output=np.array([0.5, 1.5, -2.5, 3.5, -4.5, 5.5, -6.5], dtype)
    )
    # NaN and inf upstream behind inactive units: a select, not dY * mask, gives 0 there
    X = np.array([-1.0, 0.0, 2.0, -3.0], dtype)
    dY = np.array([np.nan, np.inf, np.nan, -np.inf], dtype)
    yield Sample("nan upstream", (X,), grad_output=dY)
    X = with_exact_zeros(rng, (3, 4), dtype)
    X[0, 0] = np.nan
    yield Sample("inplace", (X,), {"inplace": True})
    yield Sample("not inplace", (with_exact_zeros(rng, (3, 4), dtype),), {"inplace": False})
    yield Sample("numpy scalar", (dtype(-1.5),))
    # the same cases above the kernel's small-array size (2048 elements)
    X = with_exact_zeros(rng, (64, 65), dtype)
    X[::7, ::5] = np.nan
    yield Sample("inplace, large", (X,), {"inplace": True})
    dY = values(rng, X.shape, dtype)
    dY[X <= 0] = np.inf  # inf behind inactive units must not leak
    yield Sample("inf upstream behind inactive units, large", (X,), grad_output=dY)
    # every special value scattered at random, LeNet-sized, on several memory layouts
    tiny = np.finfo(dtype).smallest_subnormal
    special = np.array([-0.0, 0.0, np.nan, -np.nan, np.inf, -np.inf, tiny, -tiny], dtype=dtype)
    X = values(rng, (6, 28, 28), dtype)
    X.flat[rng.random(X.size) < 0.3] = rng.choice(special, size=X.size)[rng.random(X.size) < 0.3]
    dY = values(rng, X.shape, dtype)
    dY.flat[rng.random(X.size) < 0.1] = np.nan
    yield Sample("special values", (X.copy(),), grad_output=dY.copy())
    yield Sample("special values strided", (X[:, ::2, 1::3],), grad_output=dY[:, 1::2, 1::3])
    yield Sample(
        "special values fortran", (np.asfortranarray(X),), grad_output=np.asfortranarray(dY)
    )
    yield Sample(
        "0-d -0.0, nan upstream", (np.array(-0.0, dtype),), grad_output=np.array(np.nan, dtype)
    )


@st.composite
def _relu_strategy(draw, styles=STYLES):
    shape = draw(st.lists(st.integers(0, 4), max_size=4))
    return _drawn(draw, [tuple(shape)], {}, styles)


def _relu_kink_free(rng):
    yield Sample("away from 0", (away_from_zero(rng, (3, 5)),))


RELU = OpInfo(
    name="relu",
    torch=F.relu,
    arrays=("input",),
    differentiable=("input",),
    samples=_relu_samples,
    strategy=_relu_strategy,
    kink_free=_relu_kink_free,
    valid={"input": a(2, 3), "inplace": False},
    error_inputs=(
        ErrorInput(
            "input a list", {"input": [1.0, -2.0]}, TypeError, "input", "numpy.ndarray, got list"
        ),
        ErrorInput("input a float", {"input": 3.0}, TypeError, "input", "numpy.ndarray, got float"),
        ErrorInput("input None", {"input": None}, TypeError, "input", "numpy.ndarray"),
        ErrorInput(
            "integer input",
            {"input": np.arange(3)},
            TypeError,
            "input",
            "float32 or float64, got int64",
            False,  # torch computes relu on integers; we take float32 and float64 only
        ),
        ErrorInput("bool input", {"input": np.array([True])}, TypeError, "input", "got bool"),
        # torch accepts these; we refuse on purpose
        ErrorInput(
            "input a tensor",
            {"input": torch.zeros(3, dtype=torch.float64)},
            TypeError,
            "input",
            "got Tensor",
            False,
        ),
        ErrorInput("inplace not a bool", {"inplace": 2}, TypeError, "inplace", "bool", False),
        ErrorInput("inplace 0", {"inplace": 0}, TypeError, "inplace", "bool", False),
    ),
    grad_output_errors=(bad_grad("transposed", np.zeros((3, 2))), bad_grad("flat", np.zeros(6))),
    exact_vs_torch=("output", "grad_input"),
    kernel_exact=True,
    nan_semantics=True,
)


# =============================================================================================
# mse_loss

REDUCTIONS = ("mean", "sum", "none")


def _mse_loss_samples(rng, dtype):
    for shape, reduction in itertools.product(
        [(), (5,), (4, 3), (2, 3, 4), (1, 10), (3, 1, 2, 2)], REDUCTIONS
    ):
        X, T = values(rng, shape, dtype), values(rng, shape, dtype)
        yield Sample(f"{shape} {reduction}", (X, T), {"reduction": reduction})
    # every error 1 on (4, 3): "mean" divides by numel = 12, not by the batch size 4
    yield Sample("mean over numel", (np.ones((4, 3), dtype), np.zeros((4, 3), dtype)))
    # input == target: zero loss, zero gradients (their zero signs too)
    X = np.array([[1.5, -2.0], [0.0, 3.25]], dtype)
    for reduction in REDUCTIONS:
        yield Sample(f"input == target {reduction}", (X, X.copy()), {"reduction": reduction})
    # a numpy scalar upstream gradient (what `arr.sum()` returns)
    yield Sample(
        "numpy scalar grad_output",
        (values(rng, (2, 2), dtype), values(rng, (2, 2), dtype)),
        grad_output=dtype(0.37),
    )
    X, T = values(rng, (3, 4), dtype), values(rng, (3, 4), dtype)
    X[0, 1], T[1, 2], X[2, 3], T[2, 3] = np.nan, np.inf, np.inf, np.inf  # inf - inf is NaN
    for reduction in REDUCTIONS:
        yield Sample(f"nan and inf {reduction}", (X, T), {"reduction": reduction})
    X, T = values(rng, (4, 6), dtype)[:, ::2], values(rng, (3, 4), dtype).T
    yield Sample("strided", (X, T), {"reduction": "none"})
    # an empty input: "mean" is 0/0 = NaN in torch, with empty gradients
    for reduction in REDUCTIONS:
        Z = np.zeros((0, 3), dtype)
        yield Sample(f"empty {reduction}", (Z, Z.copy()), {"reduction": reduction})
    # small integers: every sum exact ("mean" divides by a power of two)
    X, T = values(rng, (4, 4), dtype, "integers"), values(rng, (4, 4), dtype, "integers")
    for reduction in REDUCTIONS:
        yield Sample(f"integers {reduction}", (X, T), {"reduction": reduction})


@st.composite
def _mse_loss_strategy(draw, styles=STYLES):
    shape = tuple(draw(st.lists(st.integers(1, 4), max_size=3)))
    reduction = draw(st.sampled_from(REDUCTIONS))
    return _drawn(draw, [shape, shape], {"reduction": reduction}, styles)


def _mse_loss_kink_free(rng):
    for reduction in REDUCTIONS:
        X, T = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
        yield Sample(reduction, (X, T), {"reduction": reduction})


MSE_LOSS = OpInfo(
    name="mse_loss",
    torch=F.mse_loss,
    arrays=("input", "target"),
    differentiable=("input", "target"),
    samples=_mse_loss_samples,
    strategy=_mse_loss_strategy,
    kink_free=_mse_loss_kink_free,
    valid={"input": a(2, 3), "target": a(2, 3), "reduction": "mean"},
    error_inputs=(
        ErrorInput(
            "unknown reduction", {"reduction": "average"}, ValueError, "reduction", "one of"
        ),
        ErrorInput("reduction None", {"reduction": None}, ValueError, "reduction", "got None"),
        ErrorInput(
            "target a list", {"target": [[0.0] * 3] * 2}, TypeError, "target", "numpy.ndarray"
        ),
        ErrorInput("input a list", {"input": [[0.0] * 3] * 2}, TypeError, "input", "got list"),
        ErrorInput(
            "shapes that do not broadcast", {"target": a(4)}, ValueError, "target", r"\(4,\)"
        ),
        ErrorInput(
            "target transposed", {"target": a(3, 2)}, ValueError, "target", r"\(2, 3\).*\(3, 2\)"
        ),
        ErrorInput(
            "integer input",
            {"input": np.zeros((2, 3), np.int64)},
            TypeError,
            "input",
            "float32 or",
            False,  # torch promotes it; we take float32 and float64 only
        ),
        # torch accepts these; we refuse on purpose (docs/layers/mse_loss.md says why)
        ErrorInput(
            "target broadcasts",
            {"input": a(4, 1), "target": a(4)},
            ValueError,
            "target",
            "broadcast",
            False,
        ),
        ErrorInput(
            "target float32",
            {"target": a(2, 3, dtype=np.float32)},
            TypeError,
            "target float32",
            torch_rejects=False,
        ),
        ErrorInput(
            "target float16",
            {"target": a(2, 3, dtype=np.float16)},
            TypeError,
            "target",
            "float32 or float64",
            False,
        ),
        ErrorInput(
            "target a tensor",
            {"target": torch.zeros(2, 3, dtype=torch.float64)},
            TypeError,
            "target",
            "ndarray",
            False,
        ),
    ),
    grad_output_errors=(
        bad_grad("mean, shaped like the input", np.zeros((2, 3))),
        bad_grad("sum, shaped like the input", np.zeros((2, 3)), {"reduction": "sum"}),
        bad_grad("none, 0-d", np.array(1.0), {"reduction": "none"}),
        bad_grad("none, transposed", np.zeros((3, 2)), {"reduction": "none"}),
        bad_grad("a Python float", 1.0, error=TypeError),
        # torch casts it to the output's dtype; we ask for the same dtype
        bad_grad("a float32 numpy scalar", np.float32(1.0), error=TypeError, torch_rejects=False),
    ),
    unsupported=(
        {"size_average": True},  # deprecated by torch since 0.4, like reduce
        {"reduce": False},
        {"size_average": False, "reduce": True},
        {"weight": np.ones((2, 3))},  # torch 2.13's weighted loss, on the valid call's shape
    ),
    kernel_exact=True,
)


# =============================================================================================
# conv2d

_CONV_STRIDES = [1, 2, (2, 1), 3]
_CONV_PADDINGS = [0, 1, (2, 0), "valid", "same"]
_CONV_DILATIONS = [1, 2, (1, 3)]
# (C_in, C_out, groups): plain, two groups, depthwise (groups = C_in, two filters per channel)
_CONV_CHANNELS = {
    "g1": (2, 3, 1),
    "g2": (4, 6, 2),
    "depthwise x2": (3, 6, 3),  # groups = C_in, two filters per channel
    "depthwise": (3, 3, 3),  # groups = C_in = C_out: the kernel's depthwise path
}
_CONV_KERNELS = [(3, 2), (1, 4)]
_CONV_SIZES = [(7, 10), (5, 5), (1, 9)]


def conv_fits(size, kernel, stride, padding, dilation):
    """Whether torch accepts this geometry: 'same' needs stride 1, and the dilated kernel must
    fit in the padded input."""
    if padding == "same":
        return _pair(stride) == (1, 1)
    pad = (0, 0) if padding == "valid" else _pair(padding)
    return all(
        d * (k - 1) + 1 <= n + 2 * p
        for n, k, p, d in zip(size, kernel, pad, _pair(dilation), strict=True)
    )


def conv_random_config(rng):
    """A random configuration torch accepts (redrawn until it does): (shapes, bias, kwargs)."""
    while True:
        groups = int(rng.choice([1, 1, 2, 3]))
        C_in, C_out = groups * int(rng.integers(1, 4)), groups * int(rng.integers(1, 4))
        kernel = tuple(int(k) for k in rng.integers(1, 5, size=2))
        stride = tuple(int(s) for s in rng.integers(1, 4, size=2))
        dilation = tuple(int(d) for d in rng.integers(1, 4, size=2))
        padding = str(rng.choice(["int", "pair", "valid", "same"]))
        if padding == "same":
            stride = (1, 1)
        elif padding == "int":
            padding = int(rng.integers(0, 3))
        elif padding == "pair":
            padding = tuple(int(p) for p in rng.integers(0, 3, size=2))
        size = tuple(int(h) for h in rng.integers(1, 12, size=2))
        if not conv_fits(size, kernel, stride, padding, dilation):
            continue
        N = int(rng.integers(1, 4))
        kw = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
        return (N, C_in, *size), (C_out, C_in // groups, *kernel), rng.random() < 0.5, kw


def _conv2d_samples(rng, dtype):
    def s(name, X, W, b=None, grad_output=None, **kw):
        return Sample(name, (X, W, b), kw, grad_output)

    def v(*shape):
        return values(rng, shape, dtype)

    # the grid: every stride x padding x dilation x channels; kernel, size, batch and bias take
    # turns (the next turn that torch accepts)
    turns = itertools.cycle(itertools.product(_CONV_KERNELS, _CONV_SIZES, [1, 3], [True, False]))
    for stride, padding, dilation, (ch, (C_in, C_out, groups)) in itertools.product(
        _CONV_STRIDES, _CONV_PADDINGS, _CONV_DILATIONS, _CONV_CHANNELS.items()
    ):
        for _ in range(24):
            kernel, size, N, bias = next(turns)
            if conv_fits(size, kernel, stride, padding, dilation):
                break
        else:
            continue  # 'same' with a stride: torch rejects it (an error row)
        X, W = v(N, C_in, *size), v(C_out, C_in // groups, *kernel)
        b = v(C_out) if bias else None
        kw = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
        name = f"grid s={stride} p={padding!r} d={dilation} {ch} k={kernel} {size} N={N}"
        yield s(name + (" bias" if bias else ""), X, W, b, **kw)
    for _ in range(30):
        x_shape, w_shape, bias, kw = conv_random_config(rng)
        b = v(w_shape[0]) if bias else None
        yield s(f"random {x_shape} {w_shape} {kw}", v(*x_shape), v(*w_shape), b, **kw)
    kw = {"stride": (2, 1), "padding": (1, 2), "dilation": (1, 2), "groups": 2}
    yield s("every argument", v(2, 4, 7, 6), v(6, 2, 3, 2), v(6), **kw)
    # unbatched (C, H, W), with and without bias
    kw = {"stride": (1, 2), "padding": 1, "dilation": (2, 1), "groups": 2}
    yield s("unbatched bias", v(4, 6, 9), v(2, 2, 3, 3), v(2), **kw)
    yield s("unbatched", v(4, 6, 9), v(2, 2, 3, 3), None, **kw)
    # padding="same" with an even (dilated) kernel: torch pads the extra row/column after
    X = np.arange(30, dtype=dtype).reshape(1, 1, 5, 6)
    W = np.zeros((1, 1, 4, 2), dtype)
    W[0, 0, 0, 0] = 1.0
    yield s("same, even kernel", X, W, padding="same")
    yield s("same, even kernel, dilated", X, W, padding="same", dilation=(1, 3))
    yield s(
        "same, unbatched, groups, dilation",
        v(4, 7, 7),
        v(4, 2, 2, 3),
        padding="same",
        groups=2,
        dilation=2,
    )
    # H = 7, kernel 2, stride 3: the floor drops rows and columns 2, 5, 6 (zero gradient)
    yield s("floor drops rows", v(2, 1, 7, 7), v(1, 1, 2, 2), stride=3)
    yield s("floor drops a row", v(2, 3, 7, 6), v(4, 3, 3, 3), stride=2, padding=1)
    # non-contiguous arrays everywhere, a negative-stride upstream gradient
    X = np.asfortranarray(v(2, 3, 8, 9))[:, :, ::2, 1:]
    W = v(3, 4, 5, 3).transpose(1, 0, 2, 3)[:, :, ::2, :]
    dY = v(2, 4, 4, 8)[:, :, :, ::-2]
    yield s("non-contiguous", X, W, v(8)[::2], grad_output=dY, padding=(1, 0), dilation=(1, 2))
    yield s("empty batch", np.zeros((0, 2, 5, 5), dtype), v(3, 2, 2, 2), v(3))
    # one-element tuples and lists, as torch expands them
    for arg in ("stride", "padding", "dilation"):
        yield s(f"{arg}=(2,)", v(1, 1, 9, 9), v(2, 1, 3, 3), **{arg: (2,)})
        yield s(f"{arg}=[2, 1]", v(1, 1, 9, 9), v(2, 1, 3, 3), **{arg: [2, 1]})
    yield s("numpy ints", v(1, 2, 6, 6), v(2, 1, 3, 3), stride=np.int64(2), groups=np.int64(2))
    # LeNet's two convolutions
    yield s("lenet conv1", v(2, 1, 32, 32), v(6, 1, 5, 5), v(6))
    yield s("lenet conv2", v(3, 6, 14, 14), v(16, 6, 5, 5), v(16))
    # a large padding: taps and windows that meet padding only (the output there is the bias)
    yield s(
        "padding larger than the kernel",
        v(1, 2, 2, 3),
        v(2, 2, 3, 3),
        v(2),
        stride=2,
        padding=(4, 3),
    )
    yield s(
        "taps that never meet the input", v(2, 2, 4, 4), v(3, 2, 3, 3), v(3), padding=5, dilation=5
    )
    yield s(
        "depthwise, every argument",
        v(2, 4, 9, 8),
        v(4, 1, 3, 2),
        v(4),
        stride=(2, 1),
        padding=(1, 2),
        dilation=(2, 1),
        groups=4,
    )
    yield s("depthwise, unbatched, same", v(3, 7, 6), v(3, 1, 3, 3), padding="same", groups=3)
    yield s("depthwise, large", v(4, 16, 30, 30), v(16, 1, 5, 5), v(16), padding=2, groups=16)
    # columns over the kernel's 1 MiB chunk: the batch is cut, then one sample's output rows
    yield s("columns in chunks of samples", v(8, 3, 32, 32), v(6, 3, 5, 5), v(6))
    yield s("columns in chunks of rows", v(1, 8, 64, 64), v(8, 8, 3, 3), v(8), padding=1)
    # NaN and inf in the input reach exactly the outputs and weight gradients they touch
    X = v(2, 2, 7, 6)
    X[0, 1, 3, 2], X[1, 0, 0, 0] = np.nan, np.inf
    yield s("nan and inf input", X, v(3, 2, 3, 3), v(3), padding=1)
    yield s("nan and inf input, same", X, v(3, 2, 3, 3), padding="same", dilation=2)


@st.composite
def _conv2d_strategy(draw, styles=STYLES):
    groups = draw(st.integers(1, 3))
    c_in, c_out = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel, stride, dilation = draw(_pairs(1, 3)), draw(_pairs(1, 3)), draw(_pairs(1, 2))
    padding_kind = draw(
        st.sampled_from(["ints", "valid", "same"] if stride == (1, 1) else ["ints"])
    )
    pad = draw(_pairs(0, 2)) if padding_kind == "ints" else (0, 0)
    # the smallest input with at least one output row/column, then up to 3 more
    size = [
        max(1, d * (k - 1) + 1 - (2 * p if padding_kind == "ints" else 0))
        if padding_kind != "same"
        else 1
        for k, d, p in zip(kernel, dilation, pad, strict=True)
    ]
    H, W = (n + draw(st.integers(0, 3)) for n in size)
    batch = draw(st.sampled_from([(), (1,), (2,)]))  # () is torch's unbatched (C, H, W)
    bias = (c_out,) if draw(st.booleans()) else None
    kwargs = {
        "stride": _pair_or_int(draw, stride),
        "padding": _pair_or_int(draw, pad) if padding_kind == "ints" else padding_kind,
        "dilation": _pair_or_int(draw, dilation),
        "groups": groups,
    }
    shapes = [(*batch, c_in, H, W), (c_out, c_in // groups, *kernel), bias]
    return _drawn(draw, shapes, kwargs, styles)


def _conv2d_kink_free(rng):
    X, W, b = rng.standard_normal((2, 4, 7, 6)), rng.standard_normal((6, 2, 3, 2)), None
    b = rng.standard_normal(6)
    kwargs = {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2), "groups": 2}
    yield Sample("every argument", (X, W, b), kwargs)
    # padding="same" with an even kernel: torch pads one row/column more after than before
    X, W = rng.standard_normal((1, 2, 5, 6)), rng.standard_normal((3, 2, 2, 4))
    yield Sample("same", (X, W, None), {"padding": "same", "dilation": (3, 1)})


def _conv2d_naive_work(sample):
    """Output entries x the multiply-adds of each (the loops of (1), and of its backward)."""
    return functional.conv2d(*sample.arrays, **sample.kwargs).size * sample.arrays[1][0].size


def _conv_error(what, change, error, name, match="", torch_rejects=True):
    return ErrorInput(what, change, error, name, match, torch_rejects)


CONV2D = OpInfo(
    name="conv2d",
    torch=F.conv2d,
    arrays=("input", "weight", "bias"),
    differentiable=("input", "weight", "bias"),
    samples=_conv2d_samples,
    strategy=_conv2d_strategy,
    kink_free=_conv2d_kink_free,
    torch_signature="conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)",
    valid={
        "input": a(2, 4, 6, 6),
        "weight": a(6, 2, 3, 3),
        "bias": a(6),
        "stride": 1,
        "padding": 1,
        "dilation": 1,
        "groups": 2,
    },
    error_inputs=(
        _conv_error("2-d input", {"input": a(6, 6)}, ValueError, "input", r"\(6, 6\)"),
        _conv_error("5-d input", {"input": a(1, 2, 4, 6, 6)}, ValueError, "input", "unbatched"),
        _conv_error("input a list", {"input": [[[[0.0]]]]}, TypeError, "input", "numpy.ndarray"),
        _conv_error("integer input", {"input": np.zeros((2, 4, 6, 6), int)}, TypeError, "input"),
        _conv_error("3-d weight", {"weight": a(6, 2, 3)}, ValueError, "weight", r"\(6, 2, 3\)"),
        _conv_error("weight a list", {"weight": [[[[0.0]]]]}, TypeError, "weight", "ndarray"),
        _conv_error(
            "input channels != C_in/groups * groups",
            {"input": a(2, 5, 6, 6)},
            ValueError,
            "input",
            "channels",
        ),
        _conv_error(
            "weight's C_in/groups wrong",
            {"weight": a(6, 3, 3, 3)},
            ValueError,
            "weight",
            r"channels.*\(6, 3, 3, 3\)",
        ),
        _conv_error("groups 1, grouped weight", {"groups": 1}, ValueError, "groups", "groups=1"),
        _conv_error(
            "groups not dividing C_in",
            {"weight": a(6, 1, 3, 3), "groups": 3},
            ValueError,
            "groups",
            "groups=3",
        ),
        _conv_error(
            "groups not dividing C_out",
            {"weight": a(5, 2, 3, 3)},
            ValueError,
            "groups",
            "C_out = 5 .*groups = 2",
        ),
        _conv_error("groups 0", {"groups": 0}, ValueError, "groups", "positive"),
        _conv_error("groups -2", {"groups": -2}, ValueError, "groups", "positive"),
        _conv_error("groups a float", {"groups": 2.0}, TypeError, "groups", "int"),
        _conv_error(
            "kernel larger than the padded input",
            {"weight": a(6, 2, 9, 9)},
            ValueError,
            "weight",
            "height 9 .*padded input's height 8",
        ),
        _conv_error(
            "dilated kernel larger",
            {"dilation": (1, 4), "padding": 0},
            ValueError,
            "dilation",
            "dilated width 9 .*width 6",
        ),
        _conv_error(
            "1-row input, 3-row kernel",
            {"input": a(2, 4, 1, 9), "padding": 0},
            ValueError,
            "input",
            "height",
        ),
        _conv_error("kernel of size 0", {"weight": a(6, 2, 0, 3)}, ValueError, "weight", "kernel"),
        _conv_error("stride 0", {"stride": 0}, ValueError, "stride", "positive"),
        _conv_error("stride negative", {"stride": (1, -1)}, ValueError, "stride", "positive"),
        _conv_error("stride of 3 values", {"stride": (1, 1, 1)}, ValueError, "stride", "2 ints"),
        _conv_error("stride 1.5", {"stride": 1.5}, TypeError, "stride", "int"),
        _conv_error("stride 1.0", {"stride": 1.0}, TypeError, "stride", "int"),
        _conv_error("stride True", {"stride": True}, TypeError, "stride", "int"),
        _conv_error("padding -1", {"padding": -1}, ValueError, "padding", ">= 0"),
        _conv_error("padding (0, -2)", {"padding": (0, -2)}, ValueError, "padding", ">= 0"),
        _conv_error("padding 'full'", {"padding": "full"}, ValueError, "padding", "'full'"),
        _conv_error("padding 'SAME'", {"padding": "SAME"}, ValueError, "padding", "'SAME'"),
        _conv_error("padding of 4 values", {"padding": (1, 1, 1, 1)}, ValueError, "padding"),
        _conv_error("padding (1, 0.5)", {"padding": (1, 0.5)}, TypeError, "padding", "int"),
        _conv_error(
            "padding 'same' with stride 2",
            {"padding": "same", "stride": 2},
            ValueError,
            "padding",
            "same.*stride",
        ),
        _conv_error(
            "padding 'same' with stride (1, 2)",
            {"padding": "same", "stride": (1, 2)},
            ValueError,
            "padding",
            "same.*stride",
        ),
        _conv_error("dilation 0", {"dilation": 0}, ValueError, "dilation", "positive"),
        _conv_error("dilation True", {"dilation": True}, TypeError, "dilation", "int"),
        _conv_error("padding True", {"padding": True}, TypeError, "padding", "int"),
        _conv_error("dilation ()", {"dilation": ()}, ValueError, "dilation", "2 ints"),
        _conv_error("dilation '2'", {"dilation": "2"}, TypeError, "dilation", "int"),
        _conv_error("bias (7,)", {"bias": a(7)}, ValueError, "bias", r"\(7,\)"),
        _conv_error("bias (6, 1)", {"bias": a(6, 1)}, ValueError, "bias", r"\(6, 1\)"),
        _conv_error("bias 0-d", {"bias": a()}, ValueError, "bias", r"\(\)"),
        _conv_error(
            "weight float32",
            {"weight": a(6, 2, 3, 3, dtype=np.float32)},
            TypeError,
            "weight float32",
        ),
        _conv_error("bias float32", {"bias": a(6, dtype=np.float32)}, TypeError, "bias float32"),
        # torch accepts it; we take numpy arrays only
        _conv_error(
            "input a tensor",
            {"input": torch.zeros(2, 4, 6, 6, dtype=torch.float64)},
            TypeError,
            "input",
            "Tensor",
            False,
        ),
    ),
    grad_output_errors=(
        bad_grad("3-d", np.zeros((2, 6, 6))),
        bad_grad("batch 1", np.zeros((1, 6, 6, 6))),
        bad_grad("5 channels", np.zeros((2, 5, 6, 6))),
        bad_grad("unbatched for a batch", np.zeros((6, 6, 6))),
        bad_grad("batched for an unbatched input", np.zeros((1, 6, 6, 6)), {"input": a(4, 6, 6)}),
    ),
    naive_work=_conv2d_naive_work,
)


# =============================================================================================
# max_pool2d

_POOL_KERNELS = [1, 2, 3, (2, 3)]
_POOL_STRIDES = [None, 1, 2, (1, 2), 3]
_POOL_PADDINGS = [0, 1, (1, 0)]
_POOL_DILATIONS = [1, 2]
_POOL_SIZES = [(5, 7), (6, 6), (1, 4)]


def pool_output_size(size, k, s, p, d, ceil_mode):
    """torch's output length along one dimension."""
    span = size + 2 * p - d * (k - 1) - 1
    out = (-(-span // s) if ceil_mode else span // s) + 1
    if ceil_mode and (out - 1) * s >= size + p:  # the last window must start inside the input
        out -= 1
    return out


def window_all_padding(size, k, s, p, d, ceil_mode):
    """Whether some window holds padding only (possible with dilation > 1).

    torch 2.13 (CPU) returns -inf there and its backward writes out of bounds (heap corruption,
    the process aborts), so there is nothing to compare with: such calls are never samples,
    only an error row (where torch's forward alone runs)."""
    return any(
        all(not 0 <= i * s - p + j * d < size for j in range(k))
        for i in range(pool_output_size(size, k, s, p, d, ceil_mode))
    )


def pool_fits(shape, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, **_):
    """Whether torch computes this pooling, with every window holding an input element."""
    k = _pair(kernel_size)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and not stride) else _pair(stride)
    p, d = _pair(padding), _pair(dilation)
    for n, ki, si, pi, di in zip(shape[-2:], k, s, p, d, strict=True):
        if pi > ki // 2 or pool_output_size(n, ki, si, pi, di, ceil_mode) < 1:
            return False
        if window_all_padding(n, ki, si, pi, di, ceil_mode):
            return False
    return True


def _max_pool2d_samples(rng, dtype):
    def s(name, X, grad_output=None, exact=False, **kw):
        assert pool_fits(X.shape, **kw), name  # never hand torch a call it mishandles
        return Sample(name, (X,), kw, grad_output, exact)

    # the grid: every kernel x stride x padding x dilation x ceil_mode; the input size and batch
    # take turns (the next turn that fits); normal and integer values (ties) alternate
    turns = itertools.cycle(itertools.product(_POOL_SIZES, [1, 3]))
    i = 0
    for k, st_, p, d, c in itertools.product(
        _POOL_KERNELS, _POOL_STRIDES, _POOL_PADDINGS, _POOL_DILATIONS, [False, True]
    ):
        kw = {"kernel_size": k, "stride": st_, "padding": p, "dilation": d, "ceil_mode": c}
        for _ in range(6):
            size, N = next(turns)
            if pool_fits((N, 2, *size), **kw):
                break
        else:
            continue  # torch rejects it (or breaks): the error rows hold those
        i += 1
        style = "integers" if i % 2 else "normal"
        X = values(rng, (N, 2, *size), dtype, style)
        name = f"grid k={k} s={st_} p={p} d={d}{' ceil' if c else ''} {size} N={N} {style}"
        yield s(name, X, **kw, return_indices=i % 3 == 0)
    for _ in range(30):
        k = tuple(int(v) for v in rng.integers(1, 5, 2))
        kw = {
            "kernel_size": k if rng.random() < 0.7 else k[0],
            "stride": None if rng.random() < 0.3 else tuple(int(v) for v in rng.integers(1, 5, 2)),
            "padding": tuple(int(rng.integers(0, v // 2 + 1)) for v in k),
            "dilation": tuple(int(v) for v in rng.integers(1, 4, 2)),
            "ceil_mode": bool(rng.random() < 0.5),
        }
        if isinstance(kw["kernel_size"], int):
            kw["padding"] = min(kw["padding"])
        shape = (
            int(rng.integers(1, 4)),
            int(rng.integers(1, 4)),
            *map(int, rng.integers(1, 12, 2)),
        )
        if not pool_fits(shape, **kw):
            continue
        style = "integers" if rng.random() < 0.5 else "normal"
        yield s(f"random {shape} {kw} {style}", values(rng, shape, dtype, style), **kw)
    # ties in overlapping windows (integer inputs): the first maximum in row-major order takes
    # the gradient; with an integer upstream gradient every sum is exact
    for kw in [
        {"kernel_size": 2, "stride": 1},
        {"kernel_size": 3, "stride": 1},
        {"kernel_size": 3, "stride": 2},
        {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 0)},
        {"kernel_size": 3, "stride": 1, "padding": 1, "dilation": 2},
        {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
        {"kernel_size": 2, "stride": 2},
    ]:
        X = rng.integers(0, 3, (3, 2, 7, 8)).astype(dtype)
        Y_shape = (
            3,
            2,
            *(
                pool_output_size(n, k, st_, p, d, kw.get("ceil_mode", False))
                for n, k, st_, p, d in zip(
                    (7, 8),
                    _pair(kw["kernel_size"]),
                    _pair(kw["stride"]),
                    _pair(kw.get("padding", 0)),
                    _pair(kw.get("dilation", 1)),
                    strict=True,
                )
            ),
        )
        dY = rng.integers(-9, 10, Y_shape).astype(dtype)
        yield s(f"ties {kw}", X, grad_output=dY, exact=True, **kw, return_indices=True)
        yield s(f"ties {kw} normal upstream", X, **kw)
    X = np.array([[[[1.0, 3.0], [3.0, 2.0]]]], dtype)  # 3 twice: (0, 1) comes first
    yield s(
        "first maximum", X, np.array([[[[0.7]]]], dtype), True, kernel_size=2, return_indices=True
    )
    # NaN wins, and the last NaN of a window (row-major) takes its gradient
    nan = np.nan
    X = np.array(
        [
            [
                [
                    [1.0, nan, 2.0, nan, 5.0, 0.5],
                    [3.0, 4.0, nan, 6.0, 7.0, 8.0],
                    [nan, nan, 1.0, 2.0, 3.0, 4.0],
                    [nan, nan, 9.0, nan, 8.0, 7.0],
                ]
            ]
        ],
        dtype,
    )
    yield s("nan wins", X, kernel_size=2, return_indices=True)
    for kw, nans in itertools.product(
        [
            {"kernel_size": 3, "stride": 1},
            {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
            {"kernel_size": 2, "stride": 1, "dilation": 2},
            {"kernel_size": (2, 3), "stride": (2, 1), "padding": (1, 1)},
        ],
        [1, 3, 12],
    ):
        X = rng.integers(0, 4, (2, 2, 6, 7)).astype(dtype)
        X.reshape(-1)[rng.choice(X.size, nans, replace=False)] = np.nan
        yield s(f"{nans} nan overlapping {kw}", X, **kw, return_indices=nans == 3)
    # the padding never wins: all -inf, or hugely negative, inputs (for an all -inf window torch
    # takes its first entry inside the input); the padding gets no gradient
    shape, very_negative = (2, 2, 5, 6), -np.finfo(dtype).max
    for kw in [
        {"kernel_size": 2, "stride": 2, "padding": 1},
        {"kernel_size": 3, "stride": 1, "padding": 1},
        {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True},
        {"kernel_size": (2, 3), "stride": (1, 2), "padding": (1, 1), "ceil_mode": True},
    ]:
        for what, X in [
            ("all -inf", np.full(shape, -np.inf, dtype=dtype)),
            ("all -max", np.full(shape, very_negative, dtype=dtype)),
            ("-inf and -max", np.where(rng.random(shape) < 0.5, -np.inf, very_negative)),
            (
                "-inf and normal",
                np.where(rng.random(shape) < 0.5, -np.inf, values(rng, shape, dtype)),
            ),
        ]:
            yield s(f"padding never wins, {what} {kw}", X.astype(dtype), **kw, return_indices=True)
    # +0.0 and -0.0 tie: the first entry is the maximum, its sign included
    X = np.array([[[[-0.0, 0.0, 0.0, -0.0], [0.0, -0.0, -0.0, 0.0]]]], dtype=dtype)
    yield s("signed zero ties", X, np.array([[[[1.5, -2.5]]]], dtype), True, kernel_size=2)
    X = (rng.integers(-1, 2, (2, 3, 8, 8)) * 0.0).astype(dtype)  # +0.0 and -0.0 mixed
    X[rng.random(X.shape) < 0.2] = -1
    yield s("signed zeros", X, kernel_size=2)
    yield s("signed zeros overlapping", X, kernel_size=3, stride=1, padding=1, return_indices=True)
    # NaN and inf upstream reach only the winners
    X = values(rng, (1, 2, 4, 4), dtype)
    dY = np.array([[[nan, 1.0], [np.inf, -2.0]], [[-np.inf, 0.5], [3.0, nan]]], dtype)
    yield s("nan upstream", X, dY[None], kernel_size=2)
    yield s("nan upstream overlapping", X, np.resize(dY, (1, 2, 2, 2)), kernel_size=3, stride=1)
    # unbatched (C, H, W)
    yield s("unbatched", values(rng, (3, 6, 7), dtype), kernel_size=2, return_indices=True)
    yield s(
        "unbatched, every argument",
        values(rng, (3, 6, 7), dtype),
        kernel_size=3,
        stride=(1, 2),
        padding=1,
        ceil_mode=True,
    )
    yield s("empty batch", np.zeros((0, 3, 6, 6), dtype), kernel_size=2, return_indices=True)
    X = values(rng, (2, 3, 9, 8), dtype)
    yield s("strided", np.asfortranarray(X)[:, :, ::2, 1:], kernel_size=2, stride=1, padding=1)
    # LeNet's spellings: (2, 2) and 2; stride None, () and [] all mean stride = kernel_size;
    # one-element tuples count for both sides; numpy ints
    X = values(rng, (2, 6, 28, 28), dtype)
    for kw in [
        {"kernel_size": (2, 2)},
        {"kernel_size": [2]},
        {"kernel_size": 2, "stride": ()},
        {"kernel_size": 2, "stride": []},
        {"kernel_size": np.int64(2), "stride": (2,), "padding": (0,), "dilation": (1,)},
    ]:
        yield s(f"lenet pool1 {kw}", X, exact=True, **kw)
    yield s("lenet pool2", values(rng, (2, 16, 10, 10), dtype), exact=True, kernel_size=2)
    # more planes than the kernel's 1 MiB chunk holds; a NaN, a -0.0 in the last chunk only
    X = values(rng, (4, 80, 32, 32), dtype)
    yield s("chunks of planes", X, exact=True, kernel_size=2)
    X = X.copy()
    X[3, 79, 5, 6] = np.nan
    yield s("chunks of planes, a late nan", X, exact=True, kernel_size=2)
    yield s(
        "chunks of planes, overlapping", X, kernel_size=3, stride=1, padding=1, return_indices=True
    )
    X = np.maximum(values(rng, (4, 80, 32, 32), dtype), 0)
    X[3, 78, 30:32, 30:32] = [[-0.0, 0.0], [0.0, -0.0]]
    yield s("chunks of planes, a late -0.0", X, exact=True, kernel_size=2)
    # one -0.0 among LeNet-sized ReLU outputs full of +0.0; windows do not overlap: exact
    X = np.maximum(values(rng, (4, 6, 28, 28), dtype), 0)
    X[1, 2, 4:6, 6:8] = [[0.0, -0.0], [-0.0, 0.0]]  # an all-zero window, +0.0 first
    X[3, 5, 10:12, 0:2] = [[-0.0, 0.0], [0.0, -0.0]]  # and one with -0.0 first
    yield s("a few -0.0 among +0.0", X, exact=True, kernel_size=2)


@st.composite
def _max_pool2d_strategy(draw, styles=STYLES):
    kernel, dilation = draw(_pairs(1, 3)), draw(_pairs(1, 2))
    stride = draw(st.none() | _pairs(1, 3))
    pad = tuple(draw(st.integers(0, k // 2)) for k in kernel)  # torch: pad <= kernel_size / 2
    size = [max(1, d * (k - 1) + 1 - 2 * p) for k, d, p in zip(kernel, dilation, pad, strict=True)]
    H, W = (n + draw(st.integers(0, 3)) for n in size)
    batch = draw(st.sampled_from([(), (1,), (2,)]))  # () is torch's unbatched (C, H, W)
    kwargs = {
        "kernel_size": _pair_or_int(draw, kernel),
        "stride": None if stride is None else _pair_or_int(draw, stride),
        "padding": _pair_or_int(draw, pad),
        "dilation": _pair_or_int(draw, dilation),
        "ceil_mode": draw(st.booleans()),
        "return_indices": draw(st.booleans()),
    }
    strides = kernel if stride is None else stride
    for n, k, s, p, d in zip((H, W), kernel, strides, pad, dilation, strict=True):
        assume(not window_all_padding(n, k, s, p, d, kwargs["ceil_mode"]))
    return _drawn(draw, [(*batch, draw(st.integers(1, 3)), H, W)], kwargs, styles)


def _max_pool2d_kink_free(rng):
    # distinct values 0.01 apart: a step of 1e-6 never changes a window's maximum
    kwargs = {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 1), "dilation": (1, 2)}
    yield Sample("every argument", (spaced(rng, (2, 3, 7, 6)),), {**kwargs, "ceil_mode": True})
    yield Sample("unbatched", (spaced(rng, (2, 5, 5)),), {"kernel_size": 2})


def _max_pool2d_naive_work(sample):
    """Windows x taps (the loops of (1))."""
    kwargs = {**sample.kwargs, "return_indices": False}
    kH, kW = _pair(kwargs["kernel_size"])
    return functional.max_pool2d(*sample.arrays, **kwargs).size * kH * kW


def _pool_error(what, change, error, name, match="", torch_rejects=True):
    return ErrorInput(what, change, error, name, match, torch_rejects)


MAX_POOL2D = OpInfo(
    name="max_pool2d",
    torch=F.max_pool2d,
    arrays=("input",),
    differentiable=("input",),
    samples=_max_pool2d_samples,
    strategy=_max_pool2d_strategy,
    kink_free=_max_pool2d_kink_free,
    # F.max_pool2d is a boolean_dispatch wrapper, (*args, **kwargs) to inspect
    torch_signature=(
        "max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, "
        "return_indices=False)"
    ),
    valid={
        "input": a(2, 3, 6, 6),
        "kernel_size": 2,
        "stride": 2,
        "padding": 1,
        "dilation": 1,
        "ceil_mode": False,
    },
    error_inputs=(
        _pool_error(
            "2-d input", {"input": a(6, 6)}, ValueError, "input", r"\(C, H, W\), got \(6, 6\)"
        ),
        _pool_error(
            "5-d input", {"input": a(1, 2, 3, 6, 6)}, ValueError, "input", r"\(1, 2, 3, 6, 6\)"
        ),
        _pool_error(
            "no channels", {"input": a(2, 0, 5, 6)}, ValueError, "input", r"\(2, 0, 5, 6\)"
        ),
        _pool_error(
            "unbatched, no rows", {"input": a(3, 0, 6)}, ValueError, "input", r"\(3, 0, 6\)"
        ),
        _pool_error("input a list", {"input": [[[1.0, 2.0]]]}, TypeError, "input", "numpy.ndarray"),
        _pool_error(
            "integer input",
            {"input": np.zeros((1, 1, 4, 4), np.int64)},
            TypeError,
            "input",
            "float32 or float64",
            False,  # torch pools integers on the CPU; we take float32 and float64 only
        ),
        _pool_error(
            "kernel_size 0",
            {"kernel_size": 0, "padding": 0},
            ValueError,
            "kernel_size",
            r"positive, got \(0, 0\)",
        ),
        _pool_error(
            "kernel_size (2, -1)",
            {"kernel_size": (2, -1), "padding": 0},
            ValueError,
            "kernel_size",
            "positive",
        ),
        _pool_error(
            "kernel_size of 3 values",
            {"kernel_size": (2, 2, 2)},
            ValueError,
            "kernel_size",
            "tuple of",
        ),
        _pool_error("kernel_size ()", {"kernel_size": ()}, ValueError, "kernel_size", "tuple of"),
        _pool_error("kernel_size 2.0", {"kernel_size": 2.0}, TypeError, "kernel_size", "int"),
        _pool_error("kernel_size True", {"kernel_size": True}, TypeError, "kernel_size", "int"),
        _pool_error("stride 0", {"stride": 0}, ValueError, "stride", r"positive, got \(0, 0\)"),
        _pool_error("stride (1, -2)", {"stride": (1, -2)}, ValueError, "stride", "positive"),
        _pool_error("stride of 3 values", {"stride": (1, 1, 1)}, ValueError, "stride", "tuple of"),
        _pool_error("stride (1.5, 1)", {"stride": (1.5, 1)}, TypeError, "stride", "int"),
        _pool_error("stride 2.0", {"stride": 2.0}, TypeError, "stride", "int"),
        _pool_error(
            "padding more than half the kernel",
            {"padding": 2},
            ValueError,
            "padding",
            r"\(2, 2\) must be at most half",
        ),
        _pool_error(
            "padding more than half, dilated",
            {"kernel_size": 3, "padding": 2, "dilation": 2},
            ValueError,
            "padding",
            "at most half",
        ),
        _pool_error(
            "padding (1, 2) for kernel (3, 2)",
            {"kernel_size": (3, 2), "padding": (1, 2)},
            ValueError,
            "padding",
            "at most half",
        ),
        _pool_error(
            "padding negative",
            {"padding": -1},
            ValueError,
            "padding",
            r"non-negative, got \(-1, -1\)",
        ),
        _pool_error("padding ()", {"padding": ()}, ValueError, "padding", "tuple of"),
        _pool_error("padding '1'", {"padding": "1"}, TypeError, "padding", "int"),
        _pool_error("dilation 0", {"dilation": 0}, ValueError, "dilation", "positive"),
        _pool_error(
            "dilation of 3 values", {"dilation": (1, 1, 1)}, ValueError, "dilation", "tuple of"
        ),
        _pool_error("dilation None", {"dilation": None}, TypeError, "dilation", "int"),
        _pool_error(
            "window larger than the input",
            {"input": a(1, 1, 2, 2), "kernel_size": 4, "padding": 0},
            ValueError,
            "input",
            "does not fit",
        ),
        _pool_error(
            "kernel 7 on 6 x 6",
            {"kernel_size": 7, "stride": None, "padding": 0},
            ValueError,
            "input",
            r"output size \(0, 0\)",
        ),
        _pool_error(
            "dilated kernel larger than the input",
            {"kernel_size": 3, "dilation": 3, "padding": 0},
            ValueError,
            "input",
            r"output size \(0, 0\)",
        ),
        _pool_error("ceil_mode 'False'", {"ceil_mode": "False"}, TypeError, "ceil_mode", "bool"),
        _pool_error("ceil_mode 2", {"ceil_mode": 2}, TypeError, "ceil_mode", "bool"),
        _pool_error("ceil_mode None", {"ceil_mode": None}, TypeError, "ceil_mode", "bool"),
        _pool_error("ceil_mode 0", {"ceil_mode": 0}, TypeError, "ceil_mode", "bool"),
        _pool_error("padding True", {"padding": True}, TypeError, "padding", "int"),
        # torch's forward returns indices outside the input here, and its backward writes out of
        # bounds: we refuse (docs/layers/max_pool2d.md)
        _pool_error(
            "a window covering no input element",
            {
                "input": a(1, 1, 1, 3),
                "kernel_size": (2, 1),
                "stride": None,
                "padding": (1, 0),
                "dilation": (2, 1),
            },
            ValueError,
            "input",
            "covers no input element",
            False,
        ),
        _pool_error(
            "return_indices 1", {"return_indices": 1}, TypeError, "return_indices", "bool", False
        ),
        _pool_error(
            "input a tensor",
            {"input": torch.zeros(1, 1, 4, 4, dtype=torch.float64)},
            TypeError,
            "input",
            "Tensor",
            False,
        ),
    ),
    grad_output_errors=(
        bad_grad("the input's shape", np.zeros((2, 3, 6, 6))),
        bad_grad("batched for an unbatched input", np.zeros((1, 3, 4, 4)), {"input": a(3, 6, 6)}),
    ),
    exact_vs_torch=("output",),
    kernel_exact=True,
    nan_semantics=True,
    naive_work=_max_pool2d_naive_work,
)


# =============================================================================================
# flatten

_FLATTEN_SHAPES = [(), (3,), (2, 3), (2, 3, 4), (2, 1, 3, 4), (2, 0, 3), (1, 6, 5, 5)]


def _flatten_samples(rng, dtype):
    # every (start_dim, end_dim) pair torch accepts, positive and negative spellings
    for shape in _FLATTEN_SHAPES:
        span = max(len(shape), 1)  # a 0-d input accepts dims 0 and -1
        X = values(rng, shape, dtype)
        for start, end in itertools.product(range(-span, span), repeat=2):
            if start % span <= end % span:
                yield Sample(f"{shape} {start}..{end}", (X,), {"start_dim": start, "end_dim": end})
    yield Sample("defaults", (values(rng, (4, 16, 5, 5), dtype),))
    yield Sample("lenet", (values(rng, (4, 16, 5, 5), dtype),), {"start_dim": 1})
    yield Sample("numpy int dims", (values(rng, (2, 3, 4), dtype),), {"start_dim": np.int64(1)})
    yield Sample("numpy scalar", (dtype(3.0),))
    yield Sample("strided", (values(rng, (4, 6, 5), dtype)[::2, 1::2],), {"start_dim": 1})
    yield Sample("special values", (np.array([[np.nan, -0.0], [np.inf, 0.0]], dtype),))


@st.composite
def _flatten_strategy(draw, styles=STYLES):
    shape = tuple(draw(st.lists(st.integers(0, 3), max_size=4)))
    n = max(len(shape), 1)  # a 0-d tensor accepts dims 0 and -1
    start = draw(st.integers(-n, n - 1))
    end = draw(st.integers(start % n, n - 1))  # torch requires start <= end, once normalized
    end = end - n if draw(st.booleans()) else end  # the same dim, counted from the end
    return _drawn(draw, [shape], {"start_dim": start, "end_dim": end}, styles)


def _flatten_kink_free(rng):
    yield Sample(
        "middle dims", (rng.standard_normal((2, 3, 4, 2)),), {"start_dim": 1, "end_dim": -2}
    )


FLATTEN = OpInfo(
    name="flatten",
    torch=torch.flatten,
    arrays=("input",),
    differentiable=("input",),
    samples=_flatten_samples,
    strategy=_flatten_strategy,
    kink_free=_flatten_kink_free,
    torch_signature="flatten(input, start_dim=0, end_dim=-1)",
    valid={"input": a(2, 3, 4), "start_dim": 1, "end_dim": -1},
    error_inputs=(
        ErrorInput(
            "start_dim out of range",
            {"start_dim": 3},
            ValueError,
            "start_dim",
            r"out of range \[-3, 2\]",
        ),
        ErrorInput(
            "start_dim out of range, negative",
            {"start_dim": -4},
            ValueError,
            "start_dim",
            "out of range",
        ),
        ErrorInput("end_dim out of range", {"end_dim": -4}, ValueError, "end_dim", "out of range"),
        ErrorInput(
            "end_dim out of range, 0-d",
            {"input": a(), "start_dim": 0, "end_dim": 1},
            ValueError,
            "end_dim",
            r"\[-1, 0\]",
        ),
        ErrorInput(
            "start_dim after end_dim",
            {"start_dim": 2, "end_dim": 1},
            ValueError,
            "start_dim",
            "comes after",
        ),
        ErrorInput("input a list", {"input": [[1.0, 2.0]]}, TypeError, "input", "numpy.ndarray"),
        ErrorInput(
            "integer input",
            {"input": np.zeros((2, 3), np.int32)},
            TypeError,
            "input",
            "float32 or float64",
            False,  # torch reshapes any tensor; we take float32 and float64 only
        ),
        *(
            ErrorInput(f"{dim} {bad!r}", {dim: bad}, TypeError, dim, "must be an int")
            for dim in ("start_dim", "end_dim")
            for bad in (1.5, 1.0, True, None, "1", (1,))
        ),
    ),
    grad_output_errors=(
        bad_grad("same size, flat", np.zeros(24)),
        bad_grad("same size, wrong shape", np.zeros((12, 2))),
    ),
    exact_vs_torch=("output", "grad_input"),
    kernel_exact=True,
)


# =============================================================================================
# softmax and log_softmax (one sample generator for both)


def _softmax_samples(rng, dtype):
    def s(name, X, **kw):
        return Sample(name, (X,), kw)

    for shape, dim in [
        ((5,), 0),
        ((4, 5), 1),
        ((4, 5), 0),
        ((4, 5), -1),
        ((2, 3, 4), 1),
        ((2, 3, 4), -1),
        ((2, 3, 4), 0),
        ((2, 3, 4, 5), 1),
        ((1, 7), 1),
        ((3, 1), 1),  # one class: p = 1, the gradient is 0
        ((), 0),
        ((), -1),
    ]:
        yield s(f"{shape} dim={dim}", values(rng, shape, dtype), dim=dim)
    yield s("ties", values(rng, (6, 5), dtype, "integers"), dim=1)
    yield s("all equal", np.full((3, 4), 2.5, dtype), dim=1)
    X = np.array([[1000.0, -1000.0, 0.0], [1000.0, 1000.0, -1000.0], [-1000.0] * 3], dtype)
    yield s("+-1000", X, dim=1)
    yield s("+-1000 columns", X, dim=0)
    yield s("empty dim", np.zeros((2, 0, 3), dtype), dim=1)
    yield s("empty rows", np.zeros((2, 0, 3), dtype), dim=2)
    yield s("strided", values(rng, (4, 10), dtype)[:, ::2], dim=1)
    yield s("fortran", np.asfortranarray(values(rng, (5, 6), dtype)), dim=0)
    yield s("numpy int dim", values(rng, (3, 4), dtype), dim=np.int64(-1))
    yield s("_stacklevel", values(rng, (3, 4), dtype), dim=1, _stacklevel=5)
    yield s("wide", values(rng, (16, 100), dtype) * 5, dim=1)


@st.composite
def _softmax_strategy(draw, styles=STYLES):
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=4)))
    span = max(len(shape), 1)
    return _drawn(draw, [shape], {"dim": draw(st.integers(-span, span - 1))}, styles)


def _softmax_kink_free(rng):
    yield Sample("rows", (rng.standard_normal((3, 4)),), {"dim": 1})
    yield Sample("middle dim", (rng.standard_normal((2, 3, 2)),), {"dim": 1})


def _softmax_record(name, torch_fn):
    return OpInfo(
        name=name,
        torch=torch_fn,
        arrays=("input",),
        differentiable=("input",),
        samples=_softmax_samples,
        strategy=_softmax_strategy,
        kink_free=_softmax_kink_free,
        valid={"input": a(2, 3), "dim": 1},
        error_inputs=(
            ErrorInput("dim 2", {"dim": 2}, ValueError, "dim", r"out of range \[-2, 1\]"),
            ErrorInput("dim -3", {"dim": -3}, ValueError, "dim", "out of range"),
            ErrorInput("dim 1.0", {"dim": 1.0}, TypeError, "dim", "must be an int"),
            ErrorInput("dim '1'", {"dim": "1"}, TypeError, "dim", "must be an int"),
            ErrorInput("input a list", {"input": [[1.0, 2.0]]}, TypeError, "input", "ndarray"),
            ErrorInput(
                "integer input", {"input": np.zeros((2, 3), np.int64)}, TypeError, "input", "int64"
            ),
            ErrorInput(
                "input a tensor",
                {"input": torch.zeros(2, 3, dtype=torch.float64)},
                TypeError,
                "input",
                "Tensor",
                False,
            ),
        ),
        grad_output_errors=(bad_grad("transposed", np.zeros((3, 2))),),
        unsupported=({"dtype": torch.float64},),
        kernel_exact=True,
    )


SOFTMAX = _softmax_record("softmax", F.softmax)
LOG_SOFTMAX = _softmax_record("log_softmax", F.log_softmax)


# =============================================================================================
# nll_loss and cross_entropy

_LOSS_SHAPES = [(5,), (4, 3), (7, 5), (3, 4, 2), (2, 3, 4, 2), (2, 3, 1, 2, 2), (1, 1)]


def _indices(rng, shape, dtype=np.int64):
    """Class indices for an input of `shape`: (C,) -> (), (N, C, *d) -> (N, *d)."""
    C = shape[0] if len(shape) == 1 else shape[1]
    ishape = () if len(shape) == 1 else (shape[0], *shape[2:])
    return np.array(rng.integers(0, C, size=ishape), dtype=dtype)


def _classes(shape):
    return shape[0] if len(shape) == 1 else shape[1]


def _class_index_samples(rng, dtype, smoothing=False):
    """The samples nll_loss and cross_entropy share: class-index targets."""
    eps_choices = [0.0, 0.1, 1.0] if smoothing else [0.0]

    def s(name, X, T, W=None, grad_output=None, **kw):
        return Sample(name, (X, T, W), kw, grad_output)

    for shape, reduction, weighted in itertools.product(_LOSS_SHAPES, REDUCTIONS, [False, True]):
        X, T = values(rng, shape, dtype), _indices(rng, shape)
        W = np.array(rng.random(_classes(shape)) + 0.5, dtype) if weighted else None
        kw = {"reduction": reduction}
        eps = eps_choices[len(shape) % len(eps_choices)]
        if eps:
            kw["label_smoothing"] = eps
        yield s(f"{shape} {reduction}{' weight' if weighted else ''} eps={eps}", X, T, W, **kw)
    # ignored targets: the default -100, and an ignore_index that is a real class
    X = values(rng, (6, 4), dtype)
    T = np.array([0, -100, 3, 3, -100, 1])
    W = np.array([0.5, 2.0, 1.0, 3.0], dtype)
    for reduction, eps in itertools.product(REDUCTIONS, eps_choices):
        kw = {"reduction": reduction, "label_smoothing": eps} if eps else {"reduction": reduction}
        yield s(f"some ignored {reduction} eps={eps}", X, T, W, **kw)
        yield s(
            f"ignore_index=3 {reduction}", X, np.array([0, 1, 3, 3, 2, 1]), W, ignore_index=3, **kw
        )
        # every target ignored: "mean" is 0/0 = NaN in torch, the gradient zeros
        yield s(f"all ignored {reduction} eps={eps}", X, np.full(6, -100), None, **kw)
        yield s(f"all ignored weight {reduction}", X, np.full(6, 2), W, ignore_index=2, **kw)
    # an ignore_index outside [0, C) that no target uses; a numpy int
    yield s("ignore_index 7", X, _indices(rng, X.shape), ignore_index=np.int64(7))
    # a class of weight zero
    W0 = np.array([0.0, 1.0, 2.0, 1.0], dtype)
    yield s("a zero weight", X, np.array([0, 1, 2, 3, 0, 1]), W0)
    # uint8 targets (torch's Byte), unbatched with scalar target
    yield s("uint8 target", X, _indices(rng, X.shape, np.uint8))
    for reduction in REDUCTIONS:
        yield s(
            f"unbatched {reduction}", values(rng, (5,), dtype), np.array(3), reduction=reduction
        )
    # ties and +-1000 logits: log-sum-exp stays finite
    yield s("ties", values(rng, (8, 5), dtype, "integers"), _indices(rng, (8, 5)))
    big = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, 0.0]])
    yield s("+-1000", big.astype(dtype), np.array([1, 2, 0]))
    # an empty batch: "mean" is NaN, "sum" 0
    for reduction in REDUCTIONS:
        Z = np.zeros((0, 3), dtype)
        yield s(f"empty {reduction}", Z, np.zeros(0, np.int64), reduction=reduction)
    yield s("strided", values(rng, (5, 8), dtype)[:, ::2], _indices(rng, (5, 4)), reduction="sum")


def _nll_loss_samples(rng, dtype):
    yield from _class_index_samples(rng, dtype)


def _cross_entropy_samples(rng, dtype):
    yield from _class_index_samples(rng, dtype, smoothing=True)

    def s(name, X, T, W=None, **kw):
        return Sample(name, (X, T, W), kw)

    # class probabilities: normalized, not normalized (torch takes them as they are), one-hot
    for shape, reduction, weighted in itertools.product(
        [(5,), (4, 3), (3, 4, 2), (2, 3, 2, 2)], REDUCTIONS, [False, True]
    ):
        X = values(rng, shape, dtype)
        P = rng.random(shape)
        P = P / P.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)
        W = np.array(rng.random(_classes(shape)) + 0.5, dtype) if weighted else None
        kw = {"reduction": reduction, "label_smoothing": 0.2 if weighted else 0.0}
        yield s(
            f"probabilities {shape} {reduction}{' weight' if weighted else ''}",
            X,
            P.astype(dtype),
            W,
            **kw,
        )
    X = values(rng, (4, 3), dtype)
    yield s("probabilities not summing to 1", X, np.array(rng.random((4, 3)) * 3, dtype))
    yield s("one-hot probabilities", X, np.eye(3, dtype=dtype)[[0, 2, 1, 1]])
    yield s(
        "probabilities +-1000",
        np.array([[1000.0, -1000.0, 0.0]] * 2, dtype),
        np.array([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]], dtype),
        label_smoothing=0.1,
    )
    for reduction in REDUCTIONS:
        Z = np.zeros((0, 3), dtype)
        yield s(
            f"probabilities empty {reduction}", Z, Z.copy(), np.ones(3, dtype), reduction=reduction
        )


@st.composite
def _loss_strategy(draw, styles=STYLES, probabilities=False):
    shape = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=4)))
    dtype, style, seed = draw(st.sampled_from(DTYPES)), draw(styles), draw(SEEDS)
    rng = np.random.default_rng(seed)
    X = values(rng, shape, dtype, style)
    C = _classes(shape)
    if probabilities and draw(st.booleans()):
        T = np.array(rng.random(shape), dtype)
        ignore = -100
    else:
        T = _indices(rng, shape)
        ignore = draw(st.sampled_from([-100, 0]))
    W = np.array(rng.random(C) + 0.1, dtype) if draw(st.booleans()) else None
    kw = {"reduction": draw(st.sampled_from(REDUCTIONS)), "ignore_index": ignore}
    if probabilities:
        kw["label_smoothing"] = draw(st.sampled_from([0.0, 0.25]))
    return Sample("drawn", (X, T, W), kw)


def _nll_loss_kink_free(rng):
    X, T, W = rng.standard_normal((5, 4)), np.array([0, 3, -100, 1, 3]), rng.random(4) + 0.5
    for reduction in REDUCTIONS:
        yield Sample(f"weight, ignored {reduction}", (X, T, W), {"reduction": reduction})
    yield Sample("k-dim", (rng.standard_normal((2, 3, 2, 2)), _indices(rng, (2, 3, 2, 2)), None))


def _cross_entropy_kink_free(rng):
    yield from _nll_loss_kink_free(rng)
    X, T, W = rng.standard_normal((5, 4)), np.array([0, 3, -100, 1, 3]), rng.random(4) + 0.5
    yield Sample("smoothing", (X, T, W), {"label_smoothing": 0.2})
    P = rng.random((3, 4, 2))
    for reduction in REDUCTIONS:
        yield Sample(
            f"probabilities {reduction}",
            (rng.standard_normal((3, 4, 2)), P, rng.random(4) + 0.5),
            {"reduction": reduction, "label_smoothing": 0.1},
        )


def _differentiable_if(call):
    """torch differentiates the probability formula in the target and the weight too."""
    T = call.get("target")
    if isinstance(T, np.ndarray) and T.dtype.kind == "f":
        return ("input", "target", "weight")
    return ("input",)


_T = np.array([0, 2, 1, 0])


def _loss_errors(op):
    rows = [
        ErrorInput(
            "target 3 of 3 classes",
            {"target": np.array([0, 3, 1, 0])},
            IndexError,
            "target",
            "target 3 is out of range for 3 classes",
        ),
        ErrorInput(
            "target -1", {"target": np.array([0, -1, 1, 0])}, IndexError, "target", r"-1 .*\[0, 2\]"
        ),
        ErrorInput(
            "target too short",
            {"target": np.array([0, 1])},
            ValueError,
            "target",
            r"\(4,\).*\(2,\)",
        ),
        ErrorInput(
            "target 2-D", {"target": np.zeros((4, 1), np.int64)}, ValueError, "target", r"\(4, 1\)"
        ),
        ErrorInput("int32 target", {"target": _T.astype(np.int32)}, TypeError, "target", "int32"),
        ErrorInput("target a list", {"target": [0, 2, 1, 0]}, TypeError, "target", "ndarray"),
        ErrorInput(
            "0-d input", {"input": a(), "target": np.array(0)}, ValueError, "input", r"\(C,\)"
        ),
        ErrorInput(
            "integer input",
            {"input": np.zeros((4, 3), np.int64)},
            TypeError,
            "input",
            "float32 or float64",
        ),
        ErrorInput("input a list", {"input": [[0.0] * 3] * 4}, TypeError, "input", "ndarray"),
        ErrorInput("weight of 2", {"weight": a(2)}, ValueError, "weight", r"\(3,\).*\(2,\)"),
        ErrorInput("weight (3, 1)", {"weight": a(3, 1)}, ValueError, "weight", r"\(3, 1\)"),
        ErrorInput(
            "weight float32", {"weight": a(3, dtype=np.float32)}, TypeError, "weight float32"
        ),
        ErrorInput("unknown reduction", {"reduction": "avg"}, ValueError, "reduction", "one of"),
        ErrorInput("reduction None", {"reduction": None}, ValueError, "reduction", "None"),
        ErrorInput("ignore_index 1.0", {"ignore_index": 1.0}, TypeError, "ignore_index", "int"),
        ErrorInput("ignore_index True", {"ignore_index": True}, TypeError, "ignore_index", "int"),
        ErrorInput(
            "target a tensor", {"target": torch.tensor(_T)}, TypeError, "target", "Tensor", False
        ),
    ]
    if op == "nll_loss":
        rows.append(
            ErrorInput("float target", {"target": a(4, 3)}, TypeError, "target", "class indices")
        )
    else:
        rows += [
            ErrorInput(
                "float target (4,)",
                {"target": a(4)},
                ValueError,
                "target",
                r"class probabilities must have the input's shape \(4, 3\)",
            ),
            ErrorInput(
                "float target (4, 2)", {"target": a(4, 2)}, ValueError, "target", r"\(4, 2\)"
            ),
            ErrorInput(
                "integer target of the input's shape",
                {"target": np.zeros((4, 3), np.int64)},
                ValueError,
                "target",
                r"\(4,\)",
            ),
            ErrorInput(
                "probabilities and ignore_index 0",
                {"target": np.full((4, 3), 1 / 3), "ignore_index": 0},
                ValueError,
                "ignore_index",
                "class-index targets",
            ),
            ErrorInput(
                "label_smoothing 1.5",
                {"label_smoothing": 1.5},
                ValueError,
                "label_smoothing",
                "between 0.0 and 1.0",
            ),
            ErrorInput(
                "label_smoothing '0.1'",
                {"label_smoothing": "0.1"},
                TypeError,
                "label_smoothing",
                "float",
            ),
            # torch takes these; we refuse on purpose (docs/layers/cross_entropy.md)
            ErrorInput(
                "label_smoothing -0.1",
                {"label_smoothing": -0.1},
                ValueError,
                "label_smoothing",
                "between",
                False,
            ),
            ErrorInput(
                "label_smoothing True",
                {"label_smoothing": True},
                TypeError,
                "label_smoothing",
                "float",
                False,
            ),
            ErrorInput(
                "float32 probabilities",
                {"target": np.full((4, 3), 1 / 3, np.float32)},
                TypeError,
                "target float32",
                torch_rejects=False,
            ),
        ]
    return tuple(rows)


def _loss_record(name, torch_fn, samples, kink_free, probabilities):
    valid = {"input": a(4, 3), "target": _T, "weight": a(3) ** 2, "reduction": "mean"}
    valid["ignore_index"] = -100
    return OpInfo(
        name=name,
        torch=torch_fn,
        arrays=("input", "target", "weight"),
        differentiable=("input", "target", "weight") if probabilities else ("input",),
        differentiable_if=_differentiable_if if probabilities else None,
        samples=samples,
        strategy=lambda styles=STYLES: _loss_strategy(styles, probabilities),
        kink_free=kink_free,
        valid=valid,
        error_inputs=_loss_errors(name),
        grad_output_errors=(
            bad_grad("mean, one per sample", np.zeros(4)),
            bad_grad("none, 0-d", np.array(1.0), {"reduction": "none"}),
            bad_grad("none, shaped like the input", np.zeros((4, 3)), {"reduction": "none"}),
        ),
        unsupported=({"size_average": True}, {"reduce": False}),
        kernel_exact=True,
    )


NLL_LOSS = _loss_record("nll_loss", F.nll_loss, _nll_loss_samples, _nll_loss_kink_free, False)
CROSS_ENTROPY = _loss_record(
    "cross_entropy", F.cross_entropy, _cross_entropy_samples, _cross_entropy_kink_free, True
)


# =============================================================================================
# batch_norm
#
# The samples' arrays are read-only, and training mode writes the running statistics in place:
# training samples pass running_mean = running_var = None (torch allows it; the output and the
# gradients do not depend on them), evaluation samples pass them (only read). The in-place
# update itself, against torch's, over several calls: tests/functional/test_batch_norm.py.


def _bn_stats(rng, C, dtype):
    """Running statistics as a trained model holds them: any mean, a positive variance."""
    return values(rng, (C,), dtype), np.array(rng.random(C) + 0.5, dtype)


def _batch_norm_samples(rng, dtype):
    def s(name, X, weight=True, bias=True, training=True, **kwargs):
        C = X.shape[1]
        w = values(rng, (C,), dtype) if weight else None
        b = values(rng, (C,), dtype) if bias else None
        rm, rv = _bn_stats(rng, C, dtype) if not training else (None, None)
        return Sample(name, (X, rm, rv, w, b), {"training": training, **kwargs})

    # (N, C), (N, C, L), (N, C, H, W), (N, C, D, H, W); N = 2 the smallest batch; odd sizes
    shapes = [(2, 3), (7, 4), (2, 3, 5), (1, 2, 3), (3, 2, 5, 7), (2, 3, 1, 1), (2, 2, 2, 3, 2)]
    for shape, training in itertools.product(shapes, [True, False]):
        X = values(rng, shape, dtype)
        yield s(f"{shape} {'training' if training else 'eval'}", X, training=training)
    for weight, bias in [(False, False), (True, False), (False, True)]:
        for training in (True, False):
            yield s(
                f"weight {weight} bias {bias} training {training}",
                values(rng, (4, 3, 2), dtype),
                weight,
                bias,
                training,
            )
    yield s("one value per channel, eval", values(rng, (1, 3), dtype), training=False)
    # a constant channel: variance 0, X_hat = 0 and sigma = sqrt(eps); eps matters
    X = values(rng, (5, 3, 2), dtype)
    X[:, 1] = 2.5
    yield s("constant channel", X)
    yield s("constant channel, eps 1e-2", X, eps=1e-2)
    yield s("constant channel, eval", X, training=False)
    X = values(rng, (2, 3), dtype)
    X[1] = X[0]  # N = 2, equal rows: every channel constant
    yield s("two equal rows", X)
    # large values of both signs (the spread large, not the mean: float32 holds them)
    yield s("large values", values(rng, (6, 3, 4), dtype) * 1e4)
    yield s("large values, eval", values(rng, (6, 3, 4), dtype) * 1e4, training=False)
    yield s("eps and momentum", values(rng, (3, 2, 4), dtype), eps=1e-3, momentum=0.3)
    yield s("eval, eps 0", values(rng, (3, 2, 4), dtype), training=False, eps=0.0, momentum=0.5)
    yield s("integer eps", values(rng, (3, 2, 4), dtype), eps=1)
    yield s("strided", values(rng, (6, 6, 5), dtype)[::2, ::3, 1:])
    yield s("strided, eval", values(rng, (6, 3, 5), dtype).transpose(2, 1, 0), training=False)
    # an empty batch: an empty output, zero weight and bias gradients (torch too)
    yield s("empty batch", np.zeros((0, 3), dtype))
    yield s("empty batch, eval", np.zeros((0, 3, 4), dtype), training=False)


@st.composite
def _batch_norm_strategy(draw, styles=STYLES):
    N, C = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    spatial = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    training = draw(st.booleans())
    if training and N * int(np.prod(spatial)) == 1:
        N = 2  # torch needs more than one value per channel in training
    dtype, style, seed = draw(st.sampled_from(DTYPES)), draw(styles), draw(SEEDS)
    rng = np.random.default_rng(seed)
    X = values(rng, (N, C, *spatial), dtype, style)
    w = values(rng, (C,), dtype, style) if draw(st.booleans()) else None
    b = values(rng, (C,), dtype, style) if draw(st.booleans()) else None
    rm, rv = (None, None) if training else _bn_stats(rng, C, dtype)
    eps = draw(st.sampled_from([1e-5, 1e-3, 0.1]))
    return Sample("drawn", (X, rm, rv, w, b), {"training": training, "eps": eps})


def _batch_norm_kink_free(rng):
    X, w, b = rng.standard_normal((4, 3, 2)), rng.standard_normal(3), rng.standard_normal(3)
    yield Sample("training", (X, None, None, w, b), {"training": True})
    yield Sample(
        "training, 4-d",
        (rng.standard_normal((2, 2, 3, 2)), None, None, None, None),
        {"training": True},
    )
    rm, rv = rng.standard_normal(3), rng.random(3) + 0.5
    yield Sample("eval", (X, rm, rv, w, b), {"training": False})


def _bn_error(what, change, error, name, match="", torch_rejects=True):
    return ErrorInput(what, change, error, name, match, torch_rejects)


BATCH_NORM = OpInfo(
    name="batch_norm",
    torch=F.batch_norm,
    arrays=("input", "running_mean", "running_var", "weight", "bias"),
    differentiable=("input", "weight", "bias"),
    samples=_batch_norm_samples,
    strategy=_batch_norm_strategy,
    kink_free=_batch_norm_kink_free,
    # evaluation mode: torch writes nothing into the valid call's (shared-memory) arrays
    valid={
        "input": a(4, 3),
        "running_mean": a(3),
        "running_var": np.abs(a(3)) + 0.5,
        "weight": a(3),
        "bias": a(3),
        "training": False,
        "momentum": 0.1,
        "eps": 1e-5,
    },
    error_inputs=(
        _bn_error("1-d input", {"input": a(3)}, ValueError, "input", r"\(N, C, \*\), got \(3,\)"),
        _bn_error("input a list", {"input": [[1.0, 2.0, 3.0]]}, TypeError, "input", "ndarray"),
        _bn_error(
            "integer input",
            {"input": np.ones((4, 3), np.int64)},
            TypeError,
            "input",
            "float32 or float64",
        ),
        _bn_error(
            "running_mean of 4 for 3 channels",
            {"running_mean": a(4)},
            ValueError,
            "running_mean",
            r"\(3,\), got \(4,\)",
        ),
        _bn_error("running_var of 2", {"running_var": a(2)}, ValueError, "running_var", r"\(2,\)"),
        _bn_error("weight of 4", {"weight": a(4)}, ValueError, "weight", r"\(4,\)"),
        _bn_error(
            "running_mean None in eval",
            {"running_mean": None},
            ValueError,
            "running_mean",
            "evaluation mode",
        ),
        _bn_error(
            "running_var None in eval",
            {"running_var": None},
            ValueError,
            "running_var",
            "evaluation mode",
        ),
        _bn_error(
            "one value per channel in training",
            {"input": a(1, 3), "training": True, "running_mean": None, "running_var": None},
            ValueError,
            "input",
            "Expected more than 1 value per channel when training",
        ),
        _bn_error(
            "one value per channel, 4-d",
            {"input": a(1, 3, 1, 1), "training": True, "running_mean": None, "running_var": None},
            ValueError,
            "input",
            r"\(1, 3, 1, 1\)",
        ),
        _bn_error("eps negative", {"eps": -1.0}, ValueError, "eps", "non-negative"),
        _bn_error(
            "eps 0 in training",
            {"eps": 0.0, "training": True, "running_mean": None, "running_var": None},
            ValueError,
            "eps",
            "positive during training",
        ),
        _bn_error("eps None", {"eps": None}, TypeError, "eps", "float"),
        _bn_error("momentum None", {"momentum": None}, TypeError, "momentum", "None"),
        _bn_error("momentum a string", {"momentum": "0.1"}, TypeError, "momentum", "float"),
        _bn_error("training 1", {"training": 1}, TypeError, "training", "bool"),
        _bn_error(
            "input float32, the rest float64",
            {"input": a(4, 3, dtype=np.float32)},
            TypeError,
            "input float32",
        ),
        _bn_error(
            "weight float32",
            {"weight": a(3, dtype=np.float32)},
            TypeError,
            "weight float32",
        ),
        # torch accepts these; we refuse on purpose (docs/layers/batch_norm.md)
        _bn_error("2-D bias", {"bias": a(1, 3)}, ValueError, "bias", r"\(1, 3\)", False),
        _bn_error(
            "input a tensor",
            {"input": torch.zeros(4, 3, dtype=torch.float64)},
            TypeError,
            "input",
            "Tensor",
            False,
        ),
    ),
    grad_output_errors=(bad_grad("transposed", np.zeros((3, 4))),),
)


# =============================================================================================
# layer_norm


def _layer_norm_samples(rng, dtype):
    def s(name, X, K, weight=True, bias=True, **kwargs):
        shape = X.shape[X.ndim - K :]
        w = values(rng, shape, dtype) if weight else None
        b = values(rng, shape, dtype) if bias else None
        return Sample(name, (X, w, b), {"normalized_shape": shape, **kwargs})

    # (input shape, how many trailing dims make a group): a token's features, a whole
    # (C, H, W) image, the last two dims, a 1-D input, a group of one element
    for shape, K in [
        ((4, 5), 1),
        ((5,), 1),
        ((2, 3, 4), 1),
        ((2, 3, 4), 2),
        ((2, 3, 4, 5), 3),
        ((3, 7), 2),
    ]:
        yield s(f"{shape} last {K}", values(rng, shape, dtype), K)
    # a group of one element: X_hat = 0, and dX = 0 exactly in (8); torch's float32 sum leaves
    # a rounding error times 1/sqrt(eps), so eps is not tiny here
    yield s("a group of one", values(rng, (4, 1), dtype), 1, eps=0.1)
    for weight, bias in [(False, False), (True, False), (False, True)]:
        yield s(f"weight {weight} bias {bias}", values(rng, (3, 6), dtype), 1, weight, bias)
    X = values(rng, (4, 6), dtype)
    X[2] = -1.5  # a constant row: variance 0, eps matters
    yield s("constant row", X, 1)
    yield s("constant row, eps 0.1", X, 1, eps=0.1)
    yield s("large values", values(rng, (3, 8), dtype) * 1e4, 1)
    X = values(rng, (2, 3, 4), dtype)
    yield Sample(
        "normalized_shape a list",
        (X, values(rng, (3, 4), dtype), None),
        {"normalized_shape": [3, 4]},
    )
    yield s("strided", values(rng, (6, 8), dtype)[::2, 1::2], 1)
    yield s("transposed", values(rng, (5, 4, 3), dtype).transpose(2, 1, 0), 2)
    yield s("empty batch", np.zeros((0, 5), dtype), 1)
    yield s("empty group", np.zeros((3, 0), dtype), 1)


@st.composite
def _layer_norm_strategy(draw, styles=STYLES):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    K = draw(st.integers(1, len(shape)))
    group = shape[len(shape) - K :]
    weight = group if draw(st.booleans()) else None
    bias = group if draw(st.booleans()) else None
    eps = draw(st.sampled_from([1e-5, 1e-3, 0.1]))
    if np.prod(group) == 1:  # X_hat = 0: torch's float32 rounding error times 1/sqrt(eps)
        eps = 0.1
    return _drawn(draw, [shape, weight, bias], {"normalized_shape": group, "eps": eps}, styles)


def _layer_norm_kink_free(rng):
    X, w, b = (
        rng.standard_normal((3, 2, 4)),
        rng.standard_normal((2, 4)),
        rng.standard_normal((2, 4)),
    )
    yield Sample("last 2", (X, w, b), {"normalized_shape": (2, 4)})
    yield Sample(
        "last 1, no weight", (rng.standard_normal((3, 5)), None, None), {"normalized_shape": (5,)}
    )


LAYER_NORM = OpInfo(
    name="layer_norm",
    torch=F.layer_norm,
    arrays=("input", "weight", "bias"),
    differentiable=("input", "weight", "bias"),
    samples=_layer_norm_samples,
    strategy=_layer_norm_strategy,
    kink_free=_layer_norm_kink_free,
    valid={
        "input": a(2, 3, 4),
        "normalized_shape": (3, 4),
        "weight": a(3, 4),
        "bias": a(3, 4),
        "eps": 1e-5,
    },
    error_inputs=(
        # torch raises RuntimeError for a shape mismatch; ours is a ValueError, as every shape
        # error of ours (test_bad_input accepts any exception from torch)
        ErrorInput(
            "normalized_shape not the trailing dims",
            {"normalized_shape": (2, 3), "weight": None, "bias": None},
            ValueError,
            "normalized_shape",
            r"\(2, 3\).*last 2 dims.*\(2, 3, 4\)",
        ),
        ErrorInput(
            "normalized_shape longer than the input",
            {"normalized_shape": (1, 2, 3, 4), "weight": None, "bias": None},
            ValueError,
            "normalized_shape",
            r"\(2, 3, 4\)",
        ),
        ErrorInput(
            "normalized_shape ()",
            {"normalized_shape": (), "weight": None, "bias": None},
            ValueError,
            "normalized_shape",
            "at least one",
        ),
        ErrorInput(
            "normalized_shape an int",
            {"normalized_shape": 4, "weight": None, "bias": None},
            TypeError,
            "normalized_shape",
            "tuple or list",
        ),
        ErrorInput(
            "normalized_shape of floats",
            {"normalized_shape": (3.0, 4.0), "weight": None, "bias": None},
            TypeError,
            "normalized_shape",
            "int",
        ),
        ErrorInput(
            "weight of another shape",
            {"weight": a(4)},
            ValueError,
            "weight",
            r"\(3, 4\).*\(4,\)",
        ),
        ErrorInput("bias transposed", {"bias": a(4, 3)}, ValueError, "bias", r"\(4, 3\)"),
        ErrorInput("input a list", {"input": [[1.0] * 4] * 3}, TypeError, "input", "ndarray"),
        ErrorInput("eps None", {"eps": None}, TypeError, "eps", "float"),
        ErrorInput(
            "weight float32", {"weight": a(3, 4, dtype=np.float32)}, TypeError, "weight float32"
        ),
        ErrorInput(
            "input a tensor",
            {"input": torch.zeros(2, 3, 4, dtype=torch.float64)},
            TypeError,
            "input",
            "Tensor",
            False,
        ),
    ),
    grad_output_errors=(bad_grad("one dim short", np.zeros((3, 4))),),
)


# =============================================================================================
# avg_pool2d and adaptive_avg_pool2d


def _avg_pool2d_samples(rng, dtype):
    def s(name, X, exact=False, **kwargs):
        return Sample(name, (X,), kwargs, exact=exact)

    X = values(rng, (2, 3, 7, 6), dtype)
    yield s("kernel 2", X, kernel_size=2)
    yield s("kernel (3, 2), stride (2, 1)", X, kernel_size=(3, 2), stride=(2, 1))
    yield s("overlapping, padded", X, kernel_size=3, stride=1, padding=1)
    # ceil_mode: the last window sticks out past the padding (its divisor is clipped), and
    # windows that start in the padding
    for cip in (True, False):
        yield s(
            f"ceil_mode padded cip {cip}",
            X,
            kernel_size=3,
            stride=2,
            padding=1,
            ceil_mode=True,
            count_include_pad=cip,
        )
        yield s(
            f"ceil_mode cip {cip}",
            X,
            kernel_size=(2, 4),
            stride=(3, 3),
            padding=(1, 2),
            ceil_mode=True,
            count_include_pad=cip,
        )
        yield s(
            f"padding (1, 0) cip {cip}",
            X,
            kernel_size=(2, 3),
            padding=(1, 0),
            count_include_pad=cip,
        )
    yield s("divisor_override 5", X, kernel_size=(2, 3), divisor_override=5)
    yield s(
        "divisor_override -2, padded",
        X,
        kernel_size=3,
        stride=2,
        padding=1,
        ceil_mode=True,
        divisor_override=-2,
    )
    yield s(
        "divisor_override 1, cip False",
        X,
        kernel_size=2,
        padding=1,
        count_include_pad=False,
        divisor_override=1,
    )
    yield s("window the whole input", values(rng, (1, 2, 4, 5), dtype), kernel_size=(4, 5))
    yield s("unbatched", values(rng, (3, 5, 5), dtype), kernel_size=2, stride=1)
    yield s(
        "odd sizes",
        values(rng, (1, 1, 9, 11), dtype),
        kernel_size=(3, 5),
        stride=(2, 3),
        padding=(1, 2),
        ceil_mode=True,
    )
    yield s("stride (), list kernel", X, kernel_size=[2], stride=())
    yield s("strided", values(rng, (2, 6, 8, 9), dtype)[:, ::2, 1:, ::2], kernel_size=2)
    yield s("empty batch", np.zeros((0, 2, 4, 4), dtype), kernel_size=2)
    # sums of small integers over windows of 4 (a power of two): exact
    yield s("integers", values(rng, (2, 2, 6, 6), dtype, "integers"), exact=True, kernel_size=2)
    X = values(rng, (1, 2, 5, 5), dtype)
    X[0, 0, 1, 1], X[0, 1, 3, 4] = np.nan, np.inf
    yield s("nan and inf", X, kernel_size=3, stride=2, padding=1)


@st.composite
def _avg_pool2d_strategy(draw, styles=STYLES):
    kernel = draw(_pairs(1, 3))
    stride = draw(st.none() | _pairs(1, 3))
    pad = tuple(draw(st.integers(0, k // 2)) for k in kernel)
    H, W = (max(1, k - 2 * p) + draw(st.integers(0, 3)) for k, p in zip(kernel, pad, strict=True))
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    kwargs = {
        "kernel_size": _pair_or_int(draw, kernel),
        "stride": None if stride is None else _pair_or_int(draw, stride),
        "padding": _pair_or_int(draw, pad),
        "ceil_mode": draw(st.booleans()),
        "count_include_pad": draw(st.booleans()),
        "divisor_override": draw(st.none() | st.sampled_from([1, 3, -2])),
    }
    return _drawn(draw, [(*batch, draw(st.integers(1, 3)), H, W)], kwargs, styles)


def _avg_pool2d_kink_free(rng):
    kwargs = {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 1), "ceil_mode": True}
    yield Sample(
        "every argument",
        (rng.standard_normal((2, 2, 5, 4)),),
        {**kwargs, "count_include_pad": False},
    )
    yield Sample(
        "divisor_override",
        (rng.standard_normal((2, 4, 4)),),
        {"kernel_size": 2, "divisor_override": 3},
    )


AVG_POOL2D = OpInfo(
    name="avg_pool2d",
    torch=F.avg_pool2d,
    arrays=("input",),
    differentiable=("input",),
    samples=_avg_pool2d_samples,
    strategy=_avg_pool2d_strategy,
    kink_free=_avg_pool2d_kink_free,
    torch_signature=(
        "avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, "
        "count_include_pad=True, divisor_override=None)"
    ),
    valid={
        "input": a(2, 3, 6, 6),
        "kernel_size": 2,
        "stride": 2,
        "padding": 1,
        "ceil_mode": False,
        "count_include_pad": True,
        "divisor_override": None,
    },
    error_inputs=(
        _pool_error("2-d input", {"input": a(6, 6)}, ValueError, "input", r"\(6, 6\)"),
        _pool_error(
            "no channels", {"input": a(2, 0, 5, 6)}, ValueError, "input", r"\(2, 0, 5, 6\)"
        ),
        _pool_error("input a list", {"input": [[[1.0, 2.0]]]}, TypeError, "input", "ndarray"),
        _pool_error(
            "kernel_size 0", {"kernel_size": 0, "padding": 0}, ValueError, "kernel_size", "positive"
        ),
        _pool_error("kernel_size 2.0", {"kernel_size": 2.0}, TypeError, "kernel_size", "int"),
        _pool_error(
            "kernel_size of 3", {"kernel_size": (2, 2, 2)}, ValueError, "kernel_size", "tuple of"
        ),
        _pool_error("stride 0", {"stride": 0}, ValueError, "stride", "positive"),
        _pool_error(
            "padding more than half the kernel",
            {"padding": 2},
            ValueError,
            "padding",
            "at most half",
        ),
        _pool_error("padding negative", {"padding": -1}, ValueError, "padding", "non-negative"),
        _pool_error(
            "kernel 8 on 6 x 6",
            {"kernel_size": 8, "padding": 0},
            ValueError,
            "input",
            "does not fit",
        ),
        _pool_error("ceil_mode 1", {"ceil_mode": 1}, TypeError, "ceil_mode", "bool"),
        _pool_error(
            "count_include_pad None",
            {"count_include_pad": None},
            TypeError,
            "count_include_pad",
            "bool",
        ),
        _pool_error(
            "divisor_override 0", {"divisor_override": 0}, ValueError, "divisor_override", "zero"
        ),
        _pool_error(
            "divisor_override 2.0", {"divisor_override": 2.0}, TypeError, "divisor_override", "int"
        ),
        _pool_error(
            "divisor_override True",
            {"divisor_override": True},
            TypeError,
            "divisor_override",
            "int",
        ),
        _pool_error(
            "input a tensor",
            {"input": torch.zeros(1, 1, 4, 4, dtype=torch.float64)},
            TypeError,
            "input",
            "Tensor",
            False,
        ),
    ),
    grad_output_errors=(bad_grad("the input's shape", np.zeros((2, 3, 6, 6))),),
)


def _adaptive_avg_pool2d_samples(rng, dtype):
    def s(name, X, output_size, exact=False):
        return Sample(name, (X,), {"output_size": output_size}, exact=exact)

    X = values(rng, (2, 3, 7, 10), dtype)
    # windows of uneven lengths that overlap (7 rows into 3: 0..2, 2..4, 4..6)
    yield s("(3, 4)", X, (3, 4))
    yield s("an int", X, 2)
    yield s("1: the global average", X, 1)
    yield s("the input's size", X, (7, 10))
    yield s("None rows", X, (None, 3))
    yield s("None columns, a list", X, [5, None])
    yield s("larger than the input", X, (9, 13))  # windows repeat input rows
    yield s("much larger", values(rng, (1, 1, 2, 3), dtype), (5, 7))
    yield s("unbatched", values(rng, (3, 5, 6), dtype), (2, 4))
    # output 0 and no channels: torch's forward takes them, its backward refuses them
    # (tests/functional/test_avg_pool2d.py checks ours against torch's forward there)
    yield s("empty batch", np.zeros((0, 2, 4, 4), dtype), 3)
    yield s("strided", values(rng, (2, 4, 9, 8), dtype)[:, 1::2, ::2], (2, 3))
    yield s("integers", values(rng, (2, 2, 8, 8), dtype, "integers"), 4, exact=True)


@st.composite
def _adaptive_avg_pool2d_strategy(draw, styles=STYLES):
    H, W = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    out = draw(st.tuples(st.none() | st.integers(1, 8), st.none() | st.integers(1, 8)))
    output_size = out[0] if out[0] is not None and out[0] == out[1] else out
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    return _drawn(
        draw, [(*batch, draw(st.integers(1, 3)), H, W)], {"output_size": output_size}, styles
    )


def _adaptive_avg_pool2d_kink_free(rng):
    yield Sample("(3, 2) of (5, 4)", (rng.standard_normal((2, 2, 5, 4)),), {"output_size": (3, 2)})
    yield Sample("larger", (rng.standard_normal((2, 2, 3)),), {"output_size": (None, 5)})


ADAPTIVE_AVG_POOL2D = OpInfo(
    name="adaptive_avg_pool2d",
    torch=F.adaptive_avg_pool2d,
    arrays=("input",),
    differentiable=("input",),
    samples=_adaptive_avg_pool2d_samples,
    strategy=_adaptive_avg_pool2d_strategy,
    kink_free=_adaptive_avg_pool2d_kink_free,
    valid={"input": a(2, 3, 6, 6), "output_size": (3, 2)},
    error_inputs=(
        _pool_error("2-d input", {"input": a(6, 6)}, ValueError, "input", r"\(6, 6\)"),
        _pool_error("no rows", {"input": a(3, 0, 6)}, ValueError, "input", r"\(3, 0, 6\)"),
        _pool_error("input a list", {"input": [[[1.0, 2.0]]]}, TypeError, "input", "ndarray"),
        _pool_error(
            "output_size negative",
            {"output_size": (-1, 2)},
            ValueError,
            "output_size",
            "non-negative",
        ),
        _pool_error(
            "output_size of 3", {"output_size": (2, 2, 2)}, ValueError, "output_size", "tuple of 2"
        ),
        _pool_error(
            "output_size of 1", {"output_size": (2,)}, ValueError, "output_size", "tuple of 2"
        ),
        _pool_error("output_size 2.0", {"output_size": 2.0}, TypeError, "output_size", "int"),
        _pool_error("output_size True", {"output_size": True}, TypeError, "output_size", "int"),
        _pool_error(
            "input a tensor",
            {"input": torch.zeros(1, 1, 4, 4, dtype=torch.float64)},
            TypeError,
            "input",
            "Tensor",
            False,
        ),
    ),
    grad_output_errors=(bad_grad("the input's shape", np.zeros((2, 3, 6, 6))),),
)


# =============================================================================================
# sigmoid, tanh and gelu (one sample generator for the three)


def _activation_samples(rng, dtype, gelu=False):
    def s(name, X, grad_output=None, **kw):
        return Sample(name, (X,), kw, grad_output)

    for shape in [(), (7,), (3, 4), (2, 3, 4)]:
        yield s(f"{shape}", values(rng, shape, dtype) * 3)
    # saturated: finite outputs and zero (or tiny) gradients, never NaN, as torch
    X = np.array([-1000.0, -40.0, -20.0, -3.0, -0.0, 0.0, 3.0, 20.0, 40.0, 1000.0], dtype)
    yield s("saturated and signed zeros", X)
    # NaN stays NaN; inf saturates (gelu(-inf) and gelu'(+-inf) are NaN: inf * 0, as torch)
    X = np.array([np.nan, np.inf, -np.inf, 1.0, -1.0], dtype)
    if gelu and dtype == np.float32:
        # torch 2.13's vectorized float32 GELU gives NaN at +inf (a 1-element tensor gives
        # inf, as float64 does, and as ours does): a quirk of its kernel we do not copy
        X = X[X != np.inf]
    yield s("nan and inf", X)
    dY = np.array([np.nan, np.inf, 1.0, -np.inf, 2.0], dtype)
    yield s("nan and inf upstream", values(rng, (5,), dtype), dY)
    yield s("empty", np.zeros((2, 0, 3), dtype))
    yield s("strided", values(rng, (4, 10), dtype)[:, ::3])
    yield s("numpy scalar", dtype(-0.75))
    if gelu:  # the tanh approximation on the same hard cases
        X = np.array([-1000.0, -40.0, -3.0, -0.0, 0.0, 0.5, 3.0, 40.0, 1000.0], dtype)
        yield s("tanh: saturated and signed zeros", X, approximate="tanh")
        yield s(
            "tanh: nan and inf", np.array([np.nan, np.inf, -np.inf, 1.0], dtype), approximate="tanh"
        )
        yield s("tanh (3, 4)", values(rng, (3, 4), dtype) * 3, approximate="tanh")
        yield s("tanh strided", values(rng, (4, 6), dtype).T, approximate="tanh")
        yield s("'none' by name", values(rng, (5,), dtype), approximate="none")


@st.composite
def _activation_strategy(draw, styles=STYLES, gelu=False):
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    kwargs = {"approximate": draw(st.sampled_from(["none", "tanh"]))} if gelu else {}
    return _drawn(draw, [shape], kwargs, styles)


def _activation_kink_free(rng, gelu=False):
    yield Sample("(3, 4)", (rng.standard_normal((3, 4)) * 2,))
    if gelu:
        yield Sample("tanh", (rng.standard_normal((2, 5)) * 2,), {"approximate": "tanh"})


def _activation_errors(gelu):
    rows = [
        ErrorInput("input a list", {"input": [1.0, -2.0]}, TypeError, "input", "ndarray"),
        ErrorInput("input None", {"input": None}, TypeError, "input", "ndarray"),
        ErrorInput(
            "input a tensor",
            {"input": torch.zeros(3, dtype=torch.float64)},
            TypeError,
            "input",
            "Tensor",
            False,
        ),
        # torch computes sigmoid and tanh of integers (in float), refuses gelu of them; we take
        # float32 and float64 only
        ErrorInput("integer input", {"input": np.arange(3)}, TypeError, "input", "int64", gelu),
    ]
    if gelu:
        rows += [
            # torch: RuntimeError "approximate argument must be either none or tanh."
            ErrorInput(
                "approximate 'Tanh'", {"approximate": "Tanh"}, ValueError, "approximate", "'none'"
            ),
            ErrorInput(
                "approximate 'erf'", {"approximate": "erf"}, ValueError, "approximate", "'erf'"
            ),
            ErrorInput("approximate None", {"approximate": None}, TypeError, "approximate", "str"),
        ]
    return tuple(rows)


def _activation_record(name, torch_fn, gelu=False, signature=None):
    return OpInfo(
        name=name,
        torch=torch_fn,
        arrays=("input",),
        differentiable=("input",),
        samples=lambda rng, dtype: _activation_samples(rng, dtype, gelu),
        strategy=lambda styles=STYLES: _activation_strategy(styles, gelu),
        kink_free=lambda rng: _activation_kink_free(rng, gelu),
        torch_signature=signature,
        valid={"input": a(2, 3), **({"approximate": "none"} if gelu else {})},
        error_inputs=_activation_errors(gelu),
        grad_output_errors=(bad_grad("transposed", np.zeros((3, 2))),),
        kernel_exact=True,  # NaN and inf: the samples (NaN propagates elementwise, nothing to draw)
    )


SIGMOID = _activation_record("sigmoid", F.sigmoid)
TANH = _activation_record("tanh", F.tanh)
GELU = _activation_record("gelu", F.gelu, gelu=True, signature="gelu(input, approximate='none')")


# =============================================================================================
# dropout
#
# torch draws its mask from its own generator, so the samples carry torch's mask: the one
# F.dropout draws under DROPOUT_SEED for that shape, dtype and p, read from its output on an
# input of ones (`_torch_mask`). The parity tests run torch's own F.dropout under the same seed
# (`_torch_dropout`, which checks that it draws that mask again) and our dropout with mask=:
# ours against torch's real output and autograd gradient, not against a formula retyped in
# torch. p = 0, p = 1 and evaluation mode need no mask. The random draw from a numpy
# Generator, and the mask's own bad input: tests/functional/test_dropout.py.

DROPOUT_SEED = 1234


def _torch_mask(shape, dtype, p):
    """The mask torch's F.dropout draws under DROPOUT_SEED (True: kept), as a numpy array."""
    with torch.random.fork_rng():
        torch.manual_seed(DROPOUT_SEED)
        out = F.dropout(torch.ones(shape, dtype=dtype), p)
    return np.asarray(out.numpy() != 0)  # an ndarray, 0-d included


def _torch_dtype(dtype):
    return torch.float64 if np.dtype(dtype) == np.float64 else torch.float32


def _torch_dropout(input, p=0.5, training=True, inplace=False, mask=None, generator=None):
    """torch's F.dropout under DROPOUT_SEED; the sample's mask must be the one it draws."""
    with torch.random.fork_rng():
        torch.manual_seed(DROPOUT_SEED)
        out = F.dropout(input, p, training, inplace)
    if mask is not None and training and 0 < p < 1:
        drawn = _torch_mask(tuple(input.shape), input.dtype, p)
        assert np.array_equal(np.asarray(mask) != 0, drawn), "the sample's mask is not torch's"
    return out


def _dropout_samples(rng, dtype):
    def s(name, X, grad_output=None, **kw):
        if kw.get("training", True) and 0 < kw.get("p", 0.5) < 1 and "mask" not in kw:
            kw["mask"] = _torch_mask(X.shape, _torch_dtype(dtype), kw.get("p", 0.5))
        return Sample(name, (X,), kw, grad_output)

    X = values(rng, (4, 5), dtype)
    for p in (0.2, 0.5, 0.9):
        yield s(f"p={p}", X, p=p)
    yield s("default p, 3-d", values(rng, (2, 3, 4), dtype))
    yield s("inplace", values(rng, (3, 4), dtype), p=0.3, inplace=True)
    yield s(
        "mask of 0/1 floats",
        X,
        p=0.5,
        mask=_torch_mask(X.shape, _torch_dtype(dtype), 0.5).astype(dtype),
    )
    # a dropped inf or NaN gives NaN (inf * 0), as torch; NaN upstream behind a dropped unit too
    X = np.array([[np.inf, -np.inf, np.nan, -0.0, 0.0, 1.0]] * 3, dtype)
    yield s("nan and inf", X, p=0.5)
    dY = np.where(rng.random((3, 6)) < 0.5, np.nan, 1.0).astype(dtype)
    yield s("nan upstream", values(rng, (3, 6), dtype), dY, p=0.5)
    # p = 0 and evaluation: the identity (torch returns the input itself); p = 1: input * 0
    yield s("p=0", X, p=0.0)
    yield s(
        "p=0 with a generator",
        values(rng, (3, 4), dtype),
        p=0.0,
        generator=np.random.default_rng(0),
    )
    yield s("p=1 (an int)", X, p=1)
    yield s("p=1 inplace", X, p=1.0, inplace=True)
    yield s("eval", values(rng, (3, 4), dtype), p=0.5, training=False)
    yield s("eval inplace", values(rng, (3, 4), dtype), p=0.5, training=False, inplace=True)
    yield s("0-d", np.array(1.5, dtype), p=0.5)
    yield s("empty", np.zeros((0, 3), dtype), p=0.5)
    yield s("strided", values(rng, (6, 8), dtype)[::2, 1::2], p=0.4)


@st.composite
def _dropout_strategy(draw, styles=STYLES):
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    dtype, style, seed = draw(st.sampled_from(DTYPES)), draw(styles), draw(SEEDS)
    X = values(np.random.default_rng(seed), shape, dtype, style)
    p, training = draw(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])), draw(st.booleans())
    kw = {"p": p, "training": training, "inplace": draw(st.booleans())}
    if training and 0 < p < 1:
        kw["mask"] = _torch_mask(shape, _torch_dtype(dtype), p)
    return Sample("drawn", (X,), kw)


def _dropout_kink_free(rng):
    yield Sample(
        "p=0.5", (rng.standard_normal((3, 4)),), {"p": 0.5, "mask": rng.random((3, 4)) < 0.5}
    )
    yield Sample("eval", (rng.standard_normal((2, 3)),), {"p": 0.5, "training": False})


DROPOUT = OpInfo(
    name="dropout",
    torch=F.dropout,
    torch_call=_torch_dropout,
    our_keywords=("mask", "generator"),
    arrays=("input",),
    differentiable=("input",),
    samples=_dropout_samples,
    strategy=_dropout_strategy,
    kink_free=_dropout_kink_free,
    # evaluation mode: the backward needs no mask
    valid={"input": a(2, 3), "p": 0.5, "training": False, "inplace": False},
    error_inputs=(
        ErrorInput("p 1.5", {"p": 1.5}, ValueError, "p", "between 0 and 1, but got 1.5"),
        ErrorInput("p -0.1", {"p": -0.1}, ValueError, "p", "between 0 and 1"),
        ErrorInput("p None", {"p": None}, TypeError, "p", "float"),
        ErrorInput("p '0.5'", {"p": "0.5"}, TypeError, "p", "float"),
        ErrorInput("training 1", {"training": 1}, TypeError, "training", "bool"),
        ErrorInput("input a list", {"input": [[1.0, 2.0]]}, TypeError, "input", "ndarray"),
        # torch accepts these; we refuse on purpose
        ErrorInput("p True", {"p": True}, TypeError, "p", "float", False),
        ErrorInput("inplace 1", {"inplace": 1}, TypeError, "inplace", "bool", False),
        ErrorInput(
            "integer input",  # torch returns it unchanged in evaluation
            {"input": np.arange(3)},
            TypeError,
            "input",
            "int64",
            False,
        ),
        ErrorInput(
            "input a tensor",
            {"input": torch.zeros(2, 3, dtype=torch.float64)},
            TypeError,
            "input",
            "Tensor",
            False,
        ),
    ),
    grad_output_errors=(bad_grad("transposed", np.zeros((3, 2))),),
    exact_vs_torch=("output", "grad_input"),  # the same products as torch's, in its order
    kernel_exact=True,
)


# =============================================================================================
# embedding
#
# The samples' arrays are read-only: max_norm appears only where no row it looks at exceeds
# it (the large rows are not referenced, and torch renormalizes only referenced rows). The
# in-place renormalization itself, against torch's: tests/functional/test_embedding.py.


def _embedding_samples(rng, dtype):
    def s(name, idx, W, grad_output=None, **kw):
        return Sample(name, (np.asarray(idx), W), kw, grad_output)

    def w(K, D):
        return values(rng, (K, D), dtype)

    yield s("repeated indices", [0, 2, 2, 4, 2], w(5, 3))
    yield s("2-d indices", rng.integers(0, 7, (3, 4)), w(7, 5))
    yield s("3-d indices, many repeats", rng.integers(0, 3, (2, 3, 4)), w(4, 2))
    yield s("0-d index", np.array(3), w(5, 4))
    yield s("empty indices", np.zeros(0, np.int64), w(5, 3))
    yield s("empty 2-d indices", np.zeros((2, 0), np.int64), w(5, 3))
    yield s("padding_idx 1", [[1, 0, 1], [3, 1, 2]], w(4, 3), padding_idx=1)
    yield s("padding_idx -1 (the last row)", [[3, 0, 3], [3, 1, 2]], w(4, 3), padding_idx=-1)
    yield s("padding_idx -4 (row 0)", [0, 0, 2, 1], w(4, 3), padding_idx=-4)
    yield s("scale_grad_by_freq", [[0, 2, 2], [4, 2, 0]], w(5, 3), scale_grad_by_freq=True)
    yield s(
        "scale_grad_by_freq and padding_idx",
        [[0, 2, 2], [4, 2, 0]],
        w(5, 3),
        padding_idx=2,
        scale_grad_by_freq=True,
    )
    yield s("sparse, padding_idx", [[0, 2, 2], [4, 2, 0]], w(5, 3), padding_idx=0, sparse=True)
    yield s("int32 indices", np.array([[1, 1], [0, 2]], np.int32), w(3, 4))
    W = w(6, 3)
    W[5] *= 100  # far above max_norm, but never referenced: torch leaves it, and so do we
    yield s("max_norm, the large row unreferenced", [0, 1, 1, 4], W, max_norm=50.0, norm_type=1.0)
    W = w(4, 3)
    W[2, 1] = np.nan
    yield s("nan in a row", [2, 0, 2], W)
    yield s("strided", rng.integers(0, 6, (4, 6))[:, ::2], values(rng, (6, 8), dtype)[:, ::2])


@st.composite
def _embedding_strategy(draw, styles=STYLES):
    K, D = draw(st.integers(1, 5)), draw(st.integers(0, 3))
    shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    dtype, style, seed = draw(st.sampled_from(DTYPES)), draw(styles), draw(SEEDS)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, K, shape)
    kw = {
        "padding_idx": draw(st.none() | st.integers(-K, K - 1)),
        "scale_grad_by_freq": draw(st.booleans()),
    }
    kw["sparse"] = not kw["scale_grad_by_freq"] and draw(st.booleans())
    if shape == () and kw["padding_idx"] is not None:
        # torch 2.13's sparse backward fails on a 0-d index with a padding_idx (IndexError
        # "too many indices for tensor of dimension 0"); ours gives the dense gradient
        kw["sparse"] = False
    return Sample("drawn", (idx, values(rng, (K, D), dtype, style)), kw)


def _embedding_kink_free(rng):
    # no padding_idx, no scale_grad_by_freq: both are torch's choices of a "gradient" that is
    # not the derivative of the forward (the padding row is used, yet gets 0; a repeated row's
    # sum is divided by its count), so finite differences do not apply to them
    yield Sample("repeats", (np.array([[0, 2, 2], [4, 2, 1]]), rng.standard_normal((5, 3))))
    yield Sample("0-d index", (np.array(1), rng.standard_normal((3, 2))))


EMBEDDING = OpInfo(
    name="embedding",
    torch=F.embedding,
    arrays=("input", "weight"),
    differentiable=("weight",),  # no gradient for the indices
    samples=_embedding_samples,
    strategy=_embedding_strategy,
    kink_free=_embedding_kink_free,
    valid={
        "input": np.array([0, 2, 1, 2]),
        "weight": a(4, 3),
        "padding_idx": None,
        "max_norm": None,
        "norm_type": 2.0,
        "scale_grad_by_freq": False,
        "sparse": False,
    },
    error_inputs=(
        # torch: IndexError "index out of range in self"
        ErrorInput(
            "index 4 of 4 rows",
            {"input": np.array([0, 4])},
            IndexError,
            "index 4",
            r"\[0, 3\] for num_embeddings = 4",
        ),
        ErrorInput("index -1", {"input": np.array([-1, 0])}, IndexError, "index -1", "range"),
        ErrorInput(
            "float indices", {"input": np.array([0.0, 1.0])}, TypeError, "input", "int64 or int32"
        ),
        ErrorInput(
            "uint8 indices", {"input": np.array([0, 1], np.uint8)}, TypeError, "input", "uint8"
        ),
        ErrorInput("input a list", {"input": [0, 1]}, TypeError, "input", "ndarray"),
        ErrorInput("1-d weight", {"weight": a(4)}, ValueError, "weight", r"2-D.*\(4,\)"),
        ErrorInput("3-d weight", {"weight": a(4, 3, 1)}, ValueError, "weight", "2-D"),
        # torch: AssertionError "Padding_idx must be within num_embeddings"
        ErrorInput("padding_idx 4", {"padding_idx": 4}, ValueError, "padding_idx", r"\[-4, 3\]"),
        ErrorInput("padding_idx -5", {"padding_idx": -5}, ValueError, "padding_idx", "within"),
        ErrorInput("padding_idx 2.0", {"padding_idx": 2.0}, TypeError, "padding_idx", "int"),
        ErrorInput("padding_idx True", {"padding_idx": True}, TypeError, "padding_idx", "int"),
        ErrorInput("max_norm '1'", {"max_norm": "1"}, TypeError, "max_norm", "float"),
        ErrorInput(
            "scale_grad_by_freq 1",
            {"scale_grad_by_freq": 1},
            TypeError,
            "scale_grad_by_freq",
            "bool",
        ),
        ErrorInput("sparse 1", {"sparse": 1}, TypeError, "sparse", "bool"),
        # torch accepts these; we refuse on purpose
        ErrorInput(
            "norm_type '2' without max_norm",  # torch reads norm_type only with max_norm
            {"norm_type": "2"},
            TypeError,
            "norm_type",
            "float",
            False,
        ),
        ErrorInput(
            "integer weight",
            {"weight": np.zeros((4, 3), np.int64)},
            TypeError,
            "weight",
            "float32 or float64",
            False,
        ),
        ErrorInput(
            "input a tensor",
            {"input": torch.tensor([0, 1])},
            TypeError,
            "input",
            "Tensor",
            False,
        ),
    ),
    grad_output_errors=(
        bad_grad("no embedding dim", np.zeros(4)),
        bad_grad("transposed", np.zeros((3, 4))),
    ),
    exact_vs_torch=("output",),  # a selection
    kernel_exact=True,
)


# =============================================================================================

OPS = (
    LINEAR,
    RELU,
    MSE_LOSS,
    CONV2D,
    MAX_POOL2D,
    FLATTEN,
    SOFTMAX,
    LOG_SOFTMAX,
    NLL_LOSS,
    CROSS_ENTROPY,
    BATCH_NORM,
    LAYER_NORM,
    AVG_POOL2D,
    ADAPTIVE_AVG_POOL2D,
    SIGMOID,
    TANH,
    GELU,
    DROPOUT,
    EMBEDDING,
)
BY_NAME = {op.name: op for op in OPS}


def op_ids(ops=OPS):
    return [op.name for op in ops]


def every_implementation(ops=OPS):
    """pytest.param-ready pairs (op, impl) for each op's lesson, kernel and loop version."""
    cases = [(op, impl) for op in ops for impl in op.every_implementation]
    return cases, [f"{op.name}-{impl}" for op, impl in cases]


def every_sample(ops=OPS, dtypes=DTYPES):
    """pytest.param-ready triples (op, dtype, sample) and their ids, for parametrize."""
    cases, ids = [], []
    for op in ops:
        for dtype in dtypes:
            for sample in op.sample_list(dtype):
                cases.append((op, dtype, sample))
                ids.append(f"{op.name}-{np.dtype(dtype).name}-{sample.name}")
    return cases, ids


def every_kink_free(ops=OPS):
    cases, ids = [], []
    for op in ops:
        for sample in op.kink_free(np.random.default_rng(0)):
            cases.append((op, sample))
            ids.append(f"{op.name}-{sample.name}")
    return cases, ids
