"""Witness 2: finite differences and the adjoint test, for every op, away from its kinks.

No torch here: the gradient of s(x) = <dY, f(x)> by central differences (backprop_ref.testing.
numerical_gradient) must equal our backward, and so must both sides of the dot-product test
<dY, J u> = <J^T dY, u>. float64 throughout.

Kinks are avoided on purpose, because there a finite difference measures nothing useful (the
chapter docs/verification/how_we_know.md shows why): ReLU's inputs stay at least 0.1 away from 0,
max-pool's inputs are distinct values spaced 0.01 apart, so a step of 1e-6 never changes which
element of a window is the maximum. The kinks themselves are pinned against torch in
tests/test_properties.py.

`KINK_FREE` (case name -> builder of a valid call) and `FORWARD_OPS` are
shared with the other tests/test_*.py files of the verification chapter.
"""

import numpy as np
import pytest

from backprop_ref import functional
from backprop_ref.testing import adjoint_test, numerical_gradient

FORWARD_OPS = [name for name in functional.__all__ if not name.endswith("_backward")]
RTOL, ATOL = 1e-6, 1e-8  # the central difference's rounding error is ~1e-16 * |s| / eps


def _spaced(rng, shape, gap=0.01):
    """Distinct values, any two at least `gap` apart, in random order: no ties anywhere."""
    n = int(np.prod(shape))
    return (rng.permutation(n) * gap - n * gap / 2).reshape(shape)


def _away_from_zero(rng, shape, margin=0.1):
    """Random signs, |x| >= margin: ReLU's kink at 0 is out of reach of any small step."""
    x = rng.standard_normal(shape)
    return np.where(x >= 0, x + margin, x - margin)


def _linear(rng):
    X, W, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((5, 4)), rng.standard_normal(5)
    return [X, W, b], {}


def _relu(rng):
    return [_away_from_zero(rng, (3, 5))], {}


def _mse_loss(reduction):
    def build(rng):
        X, T = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
        return [X, T], {"reduction": reduction}

    return build


def _conv2d(rng):
    X, W, b = rng.standard_normal((2, 4, 7, 6)), rng.standard_normal((6, 2, 3, 2)), None
    b = rng.standard_normal(6)
    kwargs = {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2), "groups": 2}
    return [X, W, b], kwargs


def _conv2d_same(rng):
    """padding="same" with an even kernel: torch pads one row/column more after than before."""
    X, W = rng.standard_normal((1, 2, 5, 6)), rng.standard_normal((3, 2, 2, 4))
    return [X, W, None], {"padding": "same", "dilation": (3, 1)}


def _max_pool2d(rng):
    kwargs = {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 1), "dilation": (1, 2)}
    return [_spaced(rng, (2, 3, 7, 6))], {**kwargs, "ceil_mode": True}


def _max_pool2d_unbatched(rng):
    return [_spaced(rng, (2, 5, 5))], {"kernel_size": 2}


def _flatten(rng):
    return [rng.standard_normal((2, 3, 4, 2))], {"start_dim": 1, "end_dim": -2}


# case name -> builder; the op is the name up to the first ":"
KINK_FREE = {
    "linear": _linear,
    "relu": _relu,
    "mse_loss:mean": _mse_loss("mean"),
    "mse_loss:sum": _mse_loss("sum"),
    "mse_loss:none": _mse_loss("none"),
    "conv2d": _conv2d,
    "conv2d:same": _conv2d_same,
    "max_pool2d": _max_pool2d,
    "max_pool2d:unbatched": _max_pool2d_unbatched,
    "flatten": _flatten,
}
CASES = list(KINK_FREE)


def op_of(case):
    return case.split(":")[0]


def first_case(op):
    return next(case for case in CASES if op_of(case) == op)


def ops_and_arguments(case, rng):
    """(forward, arrays, kwargs, [(index, one-argument function, its vjp), ...])."""
    op = op_of(case)
    forward, backward = getattr(functional, op), getattr(functional, op + "_backward")
    arrays, kwargs = KINK_FREE[case](rng)

    def partial(i):
        def f(z):
            return forward(*arrays[:i], z, *arrays[i + 1 :], **kwargs)

        def vjp(dY):
            grads = backward(dY, *arrays, **kwargs)
            return grads[i] if isinstance(grads, tuple) else grads

        return f, vjp

    parts = [(i, *partial(i)) for i, a in enumerate(arrays) if a is not None]
    return forward, arrays, kwargs, parts


def test_every_op_has_a_case():
    assert sorted({op_of(case) for case in CASES}) == sorted(FORWARD_OPS)


@pytest.mark.parametrize("case", CASES)
def test_numerical_gradient(case):
    op = op_of(case)
    rng = np.random.default_rng(1)
    forward, arrays, kwargs, parts = ops_and_arguments(case, rng)
    dY = rng.standard_normal(np.shape(forward(*arrays, **kwargs)))
    for i, f, vjp in parts:
        ours = vjp(dY)
        numeric = numerical_gradient(f, arrays[i], dY)
        scale = max(1.0, float(np.abs(numeric).max()))
        np.testing.assert_allclose(
            ours, numeric, rtol=RTOL, atol=ATOL * scale, err_msg=f"{op}: argument {i}"
        )


@pytest.mark.parametrize("case", CASES)
def test_adjoint(case):
    op = op_of(case)
    rng = np.random.default_rng(2)
    _, arrays, _, parts = ops_and_arguments(case, rng)
    for i, f, vjp in parts:
        for _ in range(3):  # three random directions u and upstream gradients dY
            lhs, rhs = adjoint_test(f, vjp, arrays[i], rng)
            assert lhs == pytest.approx(rhs, rel=RTOL, abs=ATOL), f"{op}: argument {i}"


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
