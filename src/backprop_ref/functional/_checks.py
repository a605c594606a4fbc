"""Argument checks shared by the ops: clear errors that name the argument and the shapes."""

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def array(value, name, op):
    """`value` as a float32/float64 ndarray, or a TypeError naming the argument.

    A numpy scalar (what `arr.sum()` returns) counts as a 0-d array.
    """
    if isinstance(value, np.generic):
        value = np.asarray(value)
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{op}: {name} must be a numpy.ndarray, got {type(value).__name__}")
    if value.dtype not in FLOAT_DTYPES:
        raise TypeError(
            f"{op}: {name} must be float32 or float64, got {value.dtype} (shape {value.shape})"
        )
    return value


def optional_array(value, name, op):
    return None if value is None else array(value, name, op)


def same_dtype(op, **arrays):
    """All given (non-None) arrays share one dtype, as torch requires."""
    given = {k: v for k, v in arrays.items() if v is not None}
    dtypes = {v.dtype for v in given.values()}
    if len(dtypes) > 1:
        listed = ", ".join(f"{k} {v.dtype}" for k, v in given.items())
        raise TypeError(f"{op}: expected one dtype for all arrays, got {listed}")


def grad_like(grad_output, expected_shape, op):
    """grad_output must have the forward output's shape (its dtype is checked by same_dtype)."""
    if tuple(grad_output.shape) != tuple(expected_shape):
        raise ValueError(
            f"{op}: grad_output must have the output's shape {tuple(expected_shape)}, "
            f"got {tuple(grad_output.shape)}"
        )
