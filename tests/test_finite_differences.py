"""Witness 2: finite differences and the adjoint test, for every op of the table, away from its
kinks; lesson and kernel.

No torch here: the gradient of s(x) = <dY, f(x)> by central differences (backprop_ref.testing.
numerical_gradient) must equal our backward, and so must both sides of the dot-product test
<dY, J u> = <J^T dY, u>. float64 throughout, on each record's `kink_free` samples
(tests/op_table.py).

Kinks are avoided on purpose, because there a finite difference measures nothing useful (the
chapter docs/verification/how_we_know.md shows why): ReLU's inputs stay at least 0.1 away from 0,
max-pool's inputs are distinct values spaced 0.01 apart, so a step of 1e-6 never changes which
element of a window is the maximum. The kinks themselves are pinned against torch in
tests/test_parity.py and tests/test_properties.py.
"""

import numpy as np
import pytest
from op_table import IMPLEMENTATIONS, every_kink_free

from backprop_ref.testing import adjoint_test, numerical_gradient

# This witness's own tolerance (not torch's policy): the central difference's rounding error is
# about 1e-16 * |s| / eps, with eps = 1e-6
RTOL, ATOL = 1e-6, 1e-8

CASES, IDS = every_kink_free()


def partials(op, impl, sample):
    """[(argument name, x -> forward with x in that place, dY -> its gradient)] for every
    differentiable array argument that is given."""
    forward, backward = op.ours(impl)
    arrays, kwargs = sample.arrays, sample.kwargs

    def partial(i):
        def f(z):
            return forward(**op.by_name((*arrays[:i], z, *arrays[i + 1 :]), kwargs))

        def vjp(dY):
            grads = backward(dY, **op.by_name(arrays, kwargs))
            return grads[i] if isinstance(grads, tuple) else grads

        return f, vjp

    return [
        (name, *partial(i))
        for i, (name, x) in enumerate(zip(op.arrays, arrays, strict=True))
        if x is not None and name in op.differentiable_in(sample)
    ]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize(("op", "sample"), CASES, ids=IDS)
def test_numerical_gradient(op, sample, impl):
    rng = np.random.default_rng(1)
    forward = op.ours(impl)[0]
    dY = rng.standard_normal(np.shape(forward(**op.by_name(sample.arrays, sample.kwargs))))
    for i, (name, f, vjp) in enumerate(partials(op, impl, sample)):
        ours = vjp(dY)
        numeric = numerical_gradient(f, sample.arrays[op.arrays.index(name)], dY)
        scale = max(1.0, float(np.abs(numeric).max()))
        np.testing.assert_allclose(
            ours, numeric, rtol=RTOL, atol=ATOL * scale, err_msg=f"{impl} {op.name}: {name} ({i})"
        )


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize(("op", "sample"), CASES, ids=IDS)
def test_adjoint(op, sample, impl):
    rng = np.random.default_rng(2)
    for name, f, vjp in partials(op, impl, sample):
        for _ in range(3):  # three random directions u and upstream gradients dY
            lhs, rhs = adjoint_test(f, vjp, sample.arrays[op.arrays.index(name)], rng)
            assert lhs == pytest.approx(rhs, rel=RTOL, abs=ATOL), f"{impl} {op.name}: {name}"


def test_numerical_gradient_leaves_its_input_alone():
    x = np.array([1.0, -2.0, 3.0])
    numerical_gradient(lambda z: z**2, x, np.ones(3))
    np.testing.assert_array_equal(x, [1.0, -2.0, 3.0])


def test_adjoint_test_catches_a_wrong_backward():
    """The test has teeth: a backward that forgets a transpose fails it."""
    rng = np.random.default_rng(3)
    W = rng.standard_normal((4, 4))
    lhs, rhs = adjoint_test(
        lambda x: x @ W.T, lambda dY: dY @ W.T, rng.standard_normal((2, 4)), rng
    )
    assert abs(lhs - rhs) > 1e-3 * abs(lhs)
    lhs, rhs = adjoint_test(lambda x: x @ W.T, lambda dY: dY @ W, rng.standard_normal((2, 4)), rng)
    assert lhs == pytest.approx(rhs, rel=1e-8)
