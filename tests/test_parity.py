"""Witness 1: every sample of the op table, lesson and kernel (and the loop versions on the
small samples), against torch autograd.

For each op (tests/op_table.py), each of its samples, in float64 and float32: the forward's
outputs and every gradient of the backward, with a random upstream gradient (never ones; or the
sample's own, NaN and inf included), compared through backprop_ref.precision, and bit for bit
where the op selects or reshapes (relu, max_pool2d's output, flatten) or the sample's sums are
exact. torch runs once per sample; every implementation is compared with that run, and a
failure reports each implementation that fails.
"""

import inspect

import numpy as np
import pytest
from op_table import DTYPES, NAIVE_WORK, OPS, every_sample, op_ids
from support import check_ours, run_torch

# ours, like numpy: inf - inf, an empty mean and a float32 sum past the largest float warn
# (torch is silent, and gives the same NaN and inf); the values are compared
pytestmark = pytest.mark.filterwarnings(
    "ignore:invalid value encountered:RuntimeWarning",
    "ignore:Mean of empty slice:RuntimeWarning",
    "ignore:overflow encountered:RuntimeWarning",
)

CASES, IDS = every_sample()


@pytest.mark.parametrize(("op", "dtype", "sample"), CASES, ids=IDS)
def test_matches_torch(op, dtype, sample):
    """torch once; then the lesson, the kernel and the loop version, each reported if it fails."""
    index = op.sample_list(dtype).index(sample)
    expected = run_torch(op, sample, np.random.default_rng(index))
    failures = []
    for impl in op.implementations(sample):
        try:
            check_ours(op, impl, sample, expected)
        except Exception as error:  # the other implementation is checked too
            failures.append(f"{type(error).__name__}: {error}")
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("op", OPS, ids=op_ids())
def test_samples_use_every_argument(op):
    """Every keyword of the forward takes a value other than its default in some sample, and
    every optional array argument is left out (None) in some sample and given in another."""
    params = inspect.signature(op.ours()[0]).parameters
    samples = [s for dtype in DTYPES for s in op.sample_list(dtype)]
    unused = [
        name
        for name, p in params.items()
        if name not in op.arrays
        and name not in {k for opts in op.unsupported for k in opts}
        and not any(name in s.kwargs and not _same(s.kwargs[name], p.default) for s in samples)
    ]
    assert not unused, f"{op.name}: no sample sets {unused}"
    for i, name in enumerate(op.arrays):
        if params[name].default is None:
            given = {s.arrays[i] is not None for s in samples}
            assert given == {True, False}, f"{op.name}: {name} must be both given and None"


def _same(value, default):
    return type(value) is type(default) and value == default


@pytest.mark.parametrize("op", OPS, ids=op_ids())
def test_samples_cover_the_hard_shapes(op):
    """Empty arrays and non-contiguous ones in every op's samples."""
    samples = op.sample_list(np.float64)
    arrays = [x for s in samples for x in s.arrays if isinstance(x, np.ndarray)]
    assert any(x.size == 0 for x in arrays), f"{op.name}: no empty sample"
    assert any(not x.flags.c_contiguous for x in arrays), f"{op.name}: no strided sample"


LOOPED = [op for op in OPS if op.naive_work]  # the ops with loop versions


@pytest.mark.parametrize("op", LOOPED, ids=op_ids(LOOPED))
def test_loop_versions_meet_the_hard_cases(op):
    """The loop versions run on enough samples, ties, NaN, unbatched and empty ones among them."""
    samples = [s for dtype in DTYPES for s in op.sample_list(dtype)]
    small = [s.name for s in samples if op.naive_work(s) <= NAIVE_WORK]
    assert len(small) >= 40, f"{op.name}: the loop versions run on {len(small)} samples only"
    for word in ["unbatched", "empty", "nan", "every argument"]:
        assert any(word in name for name in small), f"{op.name}_naive: no small {word!r} sample"
