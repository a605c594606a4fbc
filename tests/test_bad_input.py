"""Bad input: for every op of the table, calls torch rejects, which we must reject too, clearly.

Each record (tests/op_table.py) has one valid call and error rows that change an argument of
it. The table is honest: torch is called with the same arguments and must raise (any exception:
torch raises RuntimeError, TypeError, ValueError or IndexError), except in the rows marked as
our deliberate stricter choices, where torch must still accept the call (each op's chapter
explains the choice). Ours, lesson and kernel, forward and backward, must raise the row's
ValueError or TypeError (the loop versions, conv2d_naive and the like, too), not an IndexError
or a numpy error from deep inside, and not return a
result of the wrong shape, even right after the valid call (the kernels cache their checks per
signature); the message starts with the function called (`linear_backward: ...`
when that is what was called) and names the argument. The backward gets the same bad arguments
and a grad_output of shape (1,), so the bad argument has to be reported before grad_output is.

grad_output gets rows of its own: generic ones for every op (one element too many, an extra
dimension, a list; a tensor and another dtype, which torch takes and we refuse) and the
record's own.
"""

import re

import numpy as np
import pytest
import torch
from op_table import OPS, bad_grad, op_ids
from support import quiet_torch


def tensor(v):
    return torch.as_tensor(v) if isinstance(v, (np.ndarray, np.generic)) else v


def call_torch(op, kwargs):
    with quiet_torch():
        return op.torch(**{k: tensor(v) for k, v in kwargs.items()})


def check_rejected_by_torch(op, row, run):
    if row.torch_rejects:
        with pytest.raises(Exception):  # noqa: B017 (any exception: the row is honest if torch raises)
            run()
    else:  # our stricter choice: torch takes it (if it ever refuses, drop the mark)
        run()


def warm(op, impl):
    """The valid call, forward and backward: the kernels cache what they checked per shapes and
    arguments, and a bad call right after a good one must still be caught (stride=True after
    stride=1: True == 1 and hash(True) == hash(1)). The loop versions cache nothing."""
    if impl == "naive":
        return
    forward, backward = op.ours(impl)
    Y = forward(**op.valid)
    backward(np.zeros_like(Y), **op.valid)


def check_message(err, called, row):
    message = str(err.value)
    assert message.startswith(f"{called}: "), f"the message must start with {called!r}: {message}"
    assert row.name in message, f"the message does not name {row.name!r}: {message}"
    assert re.search(row.match, message), f"the message does not match {row.match!r}: {message}"


def called(op, impl, backward=False):
    """The name of the function called: conv2d, conv2d_backward, conv2d_backward_naive, ..."""
    return op.ours(impl)[backward].__name__


ROWS = [
    (op, row, impl) for op in OPS for row in op.error_inputs for impl in op.every_implementation
]
ROW_IDS = [f"{op.name}: {row.what} ({impl})" for op, row, impl in ROWS]


@pytest.mark.parametrize("op", OPS, ids=op_ids())
def test_every_op_has_rows_and_a_valid_call(op):
    """The rows change one argument of a call that both torch and we accept."""
    assert op.error_inputs
    for impl in op.every_implementation:
        ours = op.ours(impl)[0](**op.valid)
        assert ours.shape == call_torch(op, op.valid).shape


@pytest.mark.parametrize(("op", "row", "impl"), ROWS, ids=ROW_IDS)
def test_forward_rejects(op, row, impl):
    kwargs = {**op.valid, **row.change}
    if impl == "lesson":  # once per row
        check_rejected_by_torch(op, row, lambda: call_torch(op, kwargs))
    warm(op, impl)
    with pytest.raises(row.error) as err:
        op.ours(impl)[0](**kwargs)
    check_message(err, called(op, impl), row)


@pytest.mark.parametrize(("op", "row", "impl"), ROWS, ids=ROW_IDS)
def test_backward_rejects(op, row, impl):
    kwargs = {**op.valid, **row.change}
    warm(op, impl)
    with pytest.raises(row.error) as err:
        op.ours(impl)[1](np.zeros(1), **kwargs)
    check_message(err, called(op, impl, backward=True), row)


def _grad_rows(op):
    """The generic grad_output rows for the valid call's output shape, then the record's."""
    shape = call_torch(op, op.valid).shape
    longer = (*shape[:-1], shape[-1] + 1) if shape else (1,)
    return [
        bad_grad("one element too many", np.zeros(longer)),
        bad_grad("an extra dimension", np.zeros((1, *shape))),
        bad_grad("a list", np.zeros(shape).tolist(), error=TypeError),
        bad_grad(
            "a tensor",
            torch.zeros(shape, dtype=torch.float64),
            error=TypeError,
            torch_rejects=False,
        ),
        # torch casts a grad_output of another dtype to the output's; we ask for the same dtype
        bad_grad("float32", np.zeros(shape, np.float32), error=TypeError, torch_rejects=False),
        bad_grad("integers", np.zeros(shape, np.int64), error=TypeError, torch_rejects=False),
        *op.grad_output_errors,
    ]


GRAD_ROWS = [
    (op, row, impl) for op in OPS for row in _grad_rows(op) for impl in op.every_implementation
]
GRAD_IDS = [f"{op.name}: {row.what} ({impl})" for op, row, impl in GRAD_ROWS]


@pytest.mark.parametrize(("op", "row", "impl"), GRAD_ROWS, ids=GRAD_IDS)
def test_backward_rejects_a_bad_grad_output(op, row, impl):
    change = dict(row.change)
    grad = change.pop("grad_output")
    kwargs = {**op.valid, **change}

    def torch_backward():
        leaves = {
            k: torch.tensor(v, requires_grad=k in op.differentiable)
            if isinstance(v, np.ndarray)
            else v
            for k, v in kwargs.items()
        }
        with quiet_torch():
            out = op.torch(**leaves)
        out.backward(tensor(grad))

    if impl == "lesson":  # once per row
        check_rejected_by_torch(op, row, torch_backward)
    warm(op, impl)
    with pytest.raises(row.error) as err:
        op.ours(impl)[1](grad, **kwargs)
    check_message(err, called(op, impl, backward=True), row)
    if row.error is ValueError:  # a shape: the message gives the expected one and the given one
        message, expected = str(err.value), op.ours(impl)[0](**kwargs).shape
        assert str(tuple(expected)) in message and str(np.shape(grad)) in message, message
