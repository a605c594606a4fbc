"""sigmoid, tanh, gelu: what is not a parity-per-sample (those are in tests/test_parity.py,
saturated, signed-zero, NaN and inf inputs included). Here: the erf fallback, and the GELU
forms' derivatives at the points a reader checks by hand."""

import math

import numpy as np
import pytest

from backprop_ref.functional import activations


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_math_erf_fallback_equals_scipys(dtype):
    """Without scipy, erf runs math.erf element by element: the same values, the same dtype."""
    x = np.concatenate([np.linspace(-6, 6, 101), [0.0, -0.0, np.inf, -np.inf]]).astype(dtype)
    ours = activations.erf_math(x)
    assert ours.dtype == dtype
    np.testing.assert_allclose(
        ours, activations.erf(x), rtol=2e-7 if dtype == np.float32 else 1e-15
    )


def test_gelu_derivative_at_zero_is_one_half_in_both_forms():
    """Phi(0) + 0 * phi(0) = 1/2; the tanh form's derivative is 1/2 at 0 too."""
    for approximate in ("none", "tanh"):
        dX = activations.gelu_backward(np.ones(1), np.zeros(1), approximate)
        assert dX[0] == 0.5
    # at 1: Phi(1) + phi(1), by hand
    expected = 0.5 * (1 + math.erf(1 / math.sqrt(2))) + math.exp(-0.5) / math.sqrt(2 * math.pi)
    assert activations.gelu_backward(np.ones(1), np.ones(1))[0] == pytest.approx(expected, 1e-15)
