"""The kernels (backprop_ref.kernels) against the lesson (backprop_ref.functional), on every
sample of the op table, float64 and float32.

Bit for bit where the math allows (relu, max_pool2d, flatten, mse_loss: a selection, a reshape,
or the same arithmetic in the same order; -0.0 against +0.0 counts, NaN meets NaN); within the
precision policy for conv2d and linear, whose sums may run in another order.
"""

import numpy as np
import pytest
from op_table import every_sample
from support import assert_bitwise

from backprop_ref import functional, kernels, precision

# ours, like numpy: inf - inf and an empty mean warn (torch is silent); the values are compared
pytestmark = pytest.mark.filterwarnings(
    "ignore:invalid value encountered:RuntimeWarning", "ignore:Mean of empty slice:RuntimeWarning"
)

CASES, IDS = every_sample()


def _results(op, impl, sample, dY):
    forward, backward = op.ours(impl)
    arrays, kwargs = sample.arrays, sample.kwargs
    if kwargs.get("inplace"):
        arrays = [None if x is None else np.array(x) for x in arrays]
    out = forward(**op.by_name(arrays, kwargs))
    outputs = out if isinstance(out, tuple) else (out,)
    grads = backward(dY, **op.by_name(sample.arrays, kwargs))
    grads = grads if isinstance(grads, tuple) else (grads,)
    names = [f"output {k}" for k in range(len(outputs))] + [f"grad_{n}" for n in op.arrays]
    return dict(zip(names, (*outputs, *grads), strict=True))


@pytest.mark.parametrize(("op", "dtype", "sample"), CASES, ids=IDS)
def test_kernel_equals_lesson(op, dtype, sample):
    forward = op.ours("lesson")[0]
    copies = [None if x is None else np.array(x) for x in sample.arrays]
    Y = forward(**op.by_name(copies, sample.kwargs))
    Y = Y[0] if isinstance(Y, tuple) else Y
    dY = sample.grad_output
    if dY is None:
        dY = np.array(np.random.default_rng(0).standard_normal(Y.shape), dtype=dtype)
    lesson = _results(op, "lesson", sample, dY)
    kernel = _results(op, "kernel", sample, dY)
    assert kernel.keys() == lesson.keys()
    for name, expected in lesson.items():
        actual = kernel[name]
        label = f"kernel {op.name}: {name}"
        if expected is None:
            assert actual is None, f"{label} must be None, as the lesson's"
        elif op.kernel_exact or expected.dtype.kind != "f":
            assert_bitwise(actual, expected, label)
        else:
            assert type(actual) is np.ndarray, label
            precision.assert_close(actual, expected, label)


def test_same_names():
    """The same public names (the signatures: tests/test_interface_parity.py)."""
    assert kernels.__all__ == functional.__all__
