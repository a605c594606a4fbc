"""Witness 1 at scale: every op of the table, lesson and kernel (and the loop versions on the
small draws), against torch autograd on drawn calls.

Each record's hypothesis strategy (tests/op_table.py) draws shapes and arguments from the space
torch accepts, values from a seed; a random upstream gradient comes from another seed. The
strategies are composites of small integer draws, so a failure shrinks to the smallest shapes,
kernels and strides that still fail (and the seeds to 0). Two value styles per call: standard
normal, and small integers in [-2, 2], which put exact zeros (+0.0 and -0.0) under ReLU and
ties in max-pool windows on purpose. Where the record pins torch's NaN rule (relu, max_pool2d),
a third test draws NaN as well.

Comparison: tests/support.py's check_ours (backprop_ref.precision; bit for bit where the op
selects or reshapes). Profiles (tests/conftest.py): "ci" by default, 200 derandomized examples
per test; `pytest tests/test_properties.py --hypothesis-profile=thorough` draws thousands.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from op_table import NAN, OPS, SEEDS, STYLES, op_ids
from support import check_ours, run_torch

pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")


def compare_with_torch(op, sample, seed):
    """torch once, then the lesson, the kernel and the loop version (when the draw is small
    enough for it) against it, with the same upstream gradient."""
    expected = run_torch(op, sample, np.random.default_rng(seed))
    for impl in op.implementations(sample):
        check_ours(op, impl, sample, expected)


@pytest.mark.parametrize("op", OPS, ids=op_ids())
@given(data=st.data())
def test_matches_torch(op, data):
    compare_with_torch(op, data.draw(op.strategy(STYLES), "sample"), data.draw(SEEDS, "seed"))


NAN_OPS = [op for op in OPS if op.nan_semantics]


# NaN: torch's relu lets the gradient through where its output is NaN (its backward masks with
# `output <= 0`, which is False for NaN); max-pool takes a NaN as the window's maximum.
@pytest.mark.parametrize("op", NAN_OPS, ids=op_ids(NAN_OPS))
@given(data=st.data())
def test_matches_torch_with_nan(op, data):
    compare_with_torch(op, data.draw(op.strategy(NAN), "sample"), data.draw(SEEDS, "seed"))
