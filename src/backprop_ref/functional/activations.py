"""Smooth activations: sigmoid, tanh and GELU, forward and backward.

Chapter: docs/layers/activations.md.

Elementwise ops: Y has X's shape and dX = dY * f'(X), with f' in the equation tags below.
torch computes in the input's dtype, and so do we (no float64 detour for float32 inputs).
"""

import math

import numpy as np

from . import _checks

try:  # scipy's erf is vectorized C; scipy is not a dependency, so math.erf stands in for it
    from scipy.special import erf as _scipy_erf
except ImportError:  # pragma: no cover - scipy comes with the test stack
    _scipy_erf = None

_math_erf = np.frompyfunc(math.erf, 1, 1)

GELU_APPROXIMATIONS = ("none", "tanh")


def erf(x):
    """The error function elementwise, in x's dtype: scipy.special.erf when scipy is installed,
    else math.erf element by element (slower, the same C library function)."""
    if _scipy_erf is not None:
        return _scipy_erf(x)
    return erf_math(x)


def erf_math(x):
    """math.erf on every element (the fallback of `erf`; tested equal to scipy's)."""
    return np.asarray(_math_erf(x), dtype=np.float64).astype(x.dtype, copy=False)


# ufuncs return a numpy scalar for a 0-d input: every result goes out as np.asarray(...), an
# ndarray (0-d included), as torch returns a tensor


def _input(input, op):
    return _checks.array(input, "input", op)


def _grad(grad_output, X, op):
    dY = _checks.array(grad_output, "grad_output", op)
    _checks.same_dtype(op, grad_output=dY, input=X)
    _checks.grad_like(dY, X.shape, op)
    return dY


# --8<-- [start:sigmoid-forward]
def _sigmoid(X):
    """1 / (1 + exp(-X)), evaluated so that exp never overflows: exp(-|X|) is at most 1."""
    Z = np.exp(-np.abs(X))  # in (0, 1]; 0 only where |X| is huge
    return np.where(X >= 0, 1 / (1 + Z), Z / (1 + Z))  # (1) both forms are sigma(X)


# --8<-- [end:sigmoid-forward]


def sigmoid(input):
    """S = 1 / (1 + exp(-X)) elementwise, as torch.nn.functional.sigmoid (torch.sigmoid).

    Shapes: input (*) -> (*). Finite for every finite input: sigmoid(-1000) = 0, sigmoid(1000)
    = 1, as in torch; NaN stays NaN.
    """
    X = _input(input, "sigmoid")
    return np.asarray(_sigmoid(X))


def sigmoid_backward(grad_output, input):
    """dX = dY * (1 - S) * S, with S = sigmoid(X) (torch multiplies in this order).

    Shapes: grad_output (*), input (*) -> (*). Saturated inputs give a gradient of 0 (or a
    tiny positive number), never NaN.
    """
    op = "sigmoid_backward"
    X = _input(input, op)
    dY = _grad(grad_output, X, op)
    # --8<-- [start:sigmoid-backward]
    S = _sigmoid(X)  # (1)
    dX = dY * (1 - S) * S  # (5) sigma' = sigma (1 - sigma)
    # --8<-- [end:sigmoid-backward]
    return np.asarray(dX)


def tanh(input):
    """T = tanh(X) elementwise, as torch.nn.functional.tanh (torch.tanh).

    Shapes: input (*) -> (*). tanh(+-1000) = +-1, tanh(-0.0) = -0.0, NaN stays NaN.
    """
    X = _input(input, "tanh")
    # --8<-- [start:tanh-forward]
    T = np.tanh(X)  # (2)
    # --8<-- [end:tanh-forward]
    return np.asarray(T)


def tanh_backward(grad_output, input):
    """dX = dY * (1 - T^2), with T = tanh(X).

    Shapes: grad_output (*), input (*) -> (*).
    """
    op = "tanh_backward"
    X = _input(input, op)
    dY = _grad(grad_output, X, op)
    # --8<-- [start:tanh-backward]
    T = np.tanh(X)  # (2)
    dX = dY * (1 - T * T)  # (6) tanh' = 1 - tanh^2
    # --8<-- [end:tanh-backward]
    return np.asarray(dX)


def _approximate(approximate, op):
    if not isinstance(approximate, str):
        raise TypeError(
            f"{op}: approximate must be a str, 'none' or 'tanh', got {approximate!r} "
            f"({type(approximate).__name__})"
        )
    if approximate not in GELU_APPROXIMATIONS:
        # torch raises RuntimeError("approximate argument must be either none or tanh.")
        raise ValueError(f"{op}: approximate must be either 'none' or 'tanh', got {approximate!r}")
    return approximate


# the constants of torch's kernels: 1/sqrt(2), 1/sqrt(2 pi), sqrt(2/pi) and the cubic's 0.044715
_SQRT1_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT_2_PI = math.sqrt(2 / math.pi)
_KAPPA = 0.044715


def gelu(input, approximate="none"):
    """Y = X * Phi(X) elementwise, as torch.nn.functional.gelu, with Phi the standard normal
    CDF: exactly, Phi(x) = (1 + erf(x / sqrt 2)) / 2 (approximate='none'), or with the tanh
    approximation Phi(x) ~ (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2 (approximate='tanh').

    Shapes: input (*) -> (*). gelu(-1000) = -0.0 and gelu(1000) = 1000; gelu(-inf) is NaN
    (-inf * 0), as in torch.
    """
    op = "gelu"
    X = _input(input, op)
    approximate = _approximate(approximate, op)
    c = X.dtype.type  # the constants in X's dtype, as torch's kernels hold them
    # --8<-- [start:gelu-forward]
    if approximate == "none":
        Y = X * c(0.5) * (1 + erf(X * c(_SQRT1_2)))  # (3)
    else:
        inner = c(_SQRT_2_PI) * (X + c(_KAPPA) * X * X * X)
        Y = c(0.5) * X * (1 + np.tanh(inner))  # (4)
    # --8<-- [end:gelu-forward]
    return np.asarray(Y)


def gelu_backward(grad_output, input, approximate="none"):
    """dX = dY * (Phi(X) + X * phi(X)) for approximate='none', phi the standard normal density;
    for 'tanh', the derivative of the tanh form itself (not of the exact GELU).

    Shapes: grad_output (*), input (*) -> (*). At +-inf the derivative is NaN (inf * 0), as in
    torch.
    """
    op = "gelu_backward"
    X = _input(input, op)
    approximate = _approximate(approximate, op)
    dY = _grad(grad_output, X, op)
    c = X.dtype.type
    # --8<-- [start:gelu-backward]
    if approximate == "none":
        cdf = c(0.5) * (1 + erf(X * c(_SQRT1_2)))  # Phi(X)
        pdf = c(_INV_SQRT_2PI) * np.exp(X * X * c(-0.5))  # phi(X)
        dX = dY * (cdf + X * pdf)  # (7)
    else:
        X_sq = X * X
        inner = c(_SQRT_2_PI) * (X + c(_KAPPA) * X_sq * X)  # u(X)
        T = np.tanh(inner)
        d_inner = c(_SQRT_2_PI) * (1 + c(3 * _KAPPA) * X_sq)  # u'(X)
        dX = dY * (c(0.5) * (1 + T) + c(0.5) * X * (1 - T * T) * d_inner)  # (8)
    # --8<-- [end:gelu-backward]
    return np.asarray(dX)
