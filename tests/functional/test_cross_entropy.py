"""cross_entropy's two backward paths: the fused s (P * sum_c Y - Y) that the lesson runs, and
the atomic one (nll_loss's and the smoothing term's gradient, then log_softmax_backward), on
every op-table sample. test_parity checks the fused path against torch; here the atomic path
must give the same grad_input."""

import numpy as np
import pytest
from op_table import OPS, every_sample

from backprop_ref.functional.cross_entropy import (
    cross_entropy,
    cross_entropy_backward,
    cross_entropy_backward_atomic,
)
from backprop_ref.precision import assert_close

CASES, IDS = every_sample([op for op in OPS if op.name == "cross_entropy"])


@pytest.mark.parametrize(("op", "dtype", "sample"), CASES, ids=IDS)
def test_atomic_path_equals_the_fused_one(op, dtype, sample):
    del op
    rng = np.random.default_rng(0)
    input, target, weight = sample.arrays
    kwargs = dict(sample.kwargs, weight=weight)
    shape = np.shape(cross_entropy(input, target, **kwargs))
    dL = np.asarray(rng.standard_normal(shape), dtype)
    fused = cross_entropy_backward(dL, input, target, **kwargs)[0]
    atomic = cross_entropy_backward_atomic(dL, input, target, **kwargs)  # grad_input only
    assert_close(atomic, fused, name="grad_input")
