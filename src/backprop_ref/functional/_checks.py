"""Argument checks shared by every op, lesson and kernel alike: one helper per concern.

Each error starts with `op`, the name of the function the user called (`linear_backward`, not
`linear`, when that is what was called), then names the argument and gives the shapes.
Torch's rules: an int is an int (not a bool, not a float), a pair is an int or a tuple/list of
one or two ints, a flag is a bool.
"""

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def array(value, name, op):
    """`value` as a plain float32/float64 ndarray, or a TypeError naming the argument.

    A numpy scalar (what `arr.sum()` returns) counts as a 0-d array. A subclass such as
    np.matrix is read as the plain ndarray of the same memory (np.matrix's `*` and its 2-D
    reductions would change the math); a MaskedArray is refused, since its mask has no
    meaning to torch and silently dropping it would compute on the hidden values.
    """
    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(
            f"{op}: {name} is a numpy.ma.MaskedArray {value.shape}; torch has no masked "
            "tensors: pass value.filled(...) or value.data explicitly"
        )
    if isinstance(value, np.generic):
        value = np.asarray(value)
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{op}: {name} must be a numpy.ndarray, got {type(value).__name__}")
    if type(value) is not np.ndarray:
        value = value.view(np.ndarray)
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
        shapes = ", ".join(f"{k} {v.shape}" for k, v in given.items())
        raise TypeError(f"{op}: expected one dtype for all arrays, got {listed} (shapes: {shapes})")


def grad_like(grad_output, expected_shape, op):
    """grad_output must have the forward output's shape (its dtype is checked by same_dtype)."""
    if tuple(grad_output.shape) != tuple(expected_shape):
        raise ValueError(
            f"{op}: grad_output must have the output's shape {tuple(expected_shape)}, "
            f"got {tuple(grad_output.shape)}"
        )


REDUCTIONS = ("mean", "sum", "none")


def reduction(reduction, size_average, reduce, op):
    """A loss's reduction= (one of REDUCTIONS); torch's deprecated size_average and reduce are
    accepted only at their default None."""
    if size_average is not None or reduce is not None:
        raise NotImplementedError(
            f"{op}: size_average and reduce are deprecated in torch; use reduction= instead "
            f"(got size_average={size_average!r}, reduce={reduce!r})"
        )
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {REDUCTIONS}, got {reduction!r}")
    return reduction


def integer(value, name, op, what="an int"):
    """A Python or numpy int (not a bool: torch rejects stride=True), as an int."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be {what}, got {value!r}")
    return int(value)


def pair(value, name, op):
    """An int, or a tuple/list of 1 or 2 ints (torch expands a 1-tuple), as (rows, cols)."""
    what = "an int or a tuple of 2 ints"
    if isinstance(value, (tuple, list)):
        if len(value) not in (1, 2):
            raise ValueError(f"{op}: {name} must be {what}, got {len(value)} values {value!r}")
        rows, cols = (value[0], value[-1])
        return integer(rows, name, op, what), integer(cols, name, op, what)
    v = integer(value, name, op, what)
    return v, v


def flag(value, name, op):
    """A bool (Python's or numpy's), as torch requires: ceil_mode="False" or 2 is an error."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be a bool, got {value!r} ({type(value).__name__})")
    return bool(value)


def dim(value, name, shape, op):
    """A dim in torch's range [-max(ndim, 1), max(ndim, 1) - 1], as a non-negative index."""
    value = integer(value, name, op)
    span = max(len(shape), 1)  # a 0-d input counts as one dim, as in torch
    if not -span <= value < span:
        # AxisError is both a ValueError and an IndexError (torch raises IndexError here)
        raise np.exceptions.AxisError(
            f"{op}: {name}={value} is out of range [{-span}, {span - 1}] for an input of "
            f"shape {shape}"
        )
    return value % span
