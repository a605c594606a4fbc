"""Bad input: for every op, arguments torch rejects, which we must reject too, clearly.

Each row of `BAD` changes one argument of a valid call. The table is honest: torch is called
with the same arguments and must raise (any exception: torch raises RuntimeError, TypeError or
ValueError). Ours must raise ValueError or TypeError, not an IndexError or a numpy error from
deep inside, and not return a result of the wrong shape; the message must name the function and
the argument. Forward and backward alike: the backward gets the same bad arguments (and a
grad_output of shape (1,), so the bad argument has to be reported before grad_output is).

Where torch accepts what we refuse (a 1-D weight in linear, mixed dtypes in mse_loss, a
target that broadcasts against the input), there is no row: the op's chapter explains the choice.
"""

import numpy as np
import pytest
import torch
from support import TORCH_FORWARD as TORCH
from test_finite_differences import FORWARD_OPS

from backprop_ref import functional

_rng = np.random.default_rng(0)


def a(*shape, dtype=np.float64):
    return _rng.standard_normal(shape).astype(dtype)


# one valid call per op, every argument by name
VALID = {
    "linear": {"input": a(2, 3), "weight": a(4, 3), "bias": a(4)},
    "relu": {"input": a(2, 3)},
    "mse_loss": {"input": a(2, 3), "target": a(2, 3), "reduction": "mean"},
    "conv2d": {
        "input": a(2, 4, 6, 6),
        "weight": a(6, 2, 3, 3),
        "bias": a(6),
        "stride": 1,
        "padding": 1,
        "dilation": 1,
        "groups": 2,
    },
    "max_pool2d": {"input": a(2, 3, 6, 6), "kernel_size": 2, "stride": 2, "padding": 1},
    "flatten": {"input": a(2, 3, 4), "start_dim": 1, "end_dim": -1},
}

BIG = {"kernel_size": 4, "padding": 0}

# (op, what is wrong, the arguments that change, the argument the message must name)
BAD = [
    ("linear", "input not an array", {"input": [[1.0, 2.0, 3.0]]}, "input"),
    ("linear", "0-d input", {"input": a()}, "input"),
    ("linear", "in_features mismatch", {"input": a(2, 5)}, "input"),
    ("linear", "3-d weight", {"weight": a(4, 3, 1)}, "weight"),
    ("linear", "bias of the wrong length", {"bias": a(5)}, "bias"),
    ("linear", "dtypes differ", {"input": a(2, 3, dtype=np.float32)}, "dtype"),
    ("relu", "input a list", {"input": [1.0, -2.0]}, "input"),
    ("relu", "input a Python float", {"input": 3.0}, "input"),
    ("relu", "input None", {"input": None}, "input"),
    ("mse_loss", "unknown reduction", {"reduction": "average"}, "reduction"),
    ("mse_loss", "target a list", {"target": [[0.0] * 3] * 2}, "target"),
    ("mse_loss", "shapes that do not broadcast", {"target": a(4)}, "target"),
    ("conv2d", "2-d input", {"input": a(6, 6)}, "input"),
    ("conv2d", "5-d input", {"input": a(1, 2, 4, 6, 6)}, "input"),
    ("conv2d", "3-d weight", {"weight": a(6, 2, 3)}, "weight"),
    ("conv2d", "input channels != weight's C_in * groups", {"input": a(2, 5, 6, 6)}, "channels"),
    ("conv2d", "groups does not divide C_out", {"weight": a(5, 2, 3, 3)}, "groups"),
    ("conv2d", "groups 0", {"groups": 0}, "groups"),
    ("conv2d", "stride 0", {"stride": 0}, "stride"),
    ("conv2d", "stride negative", {"stride": (1, -1)}, "stride"),
    ("conv2d", "stride of 3 values", {"stride": (1, 1, 1)}, "stride"),
    ("conv2d", "stride a float", {"stride": 1.5}, "stride"),
    ("conv2d", "padding negative", {"padding": -1}, "padding"),
    ("conv2d", "padding an unknown string", {"padding": "full"}, "padding"),
    ("conv2d", "padding 'same' with stride 2", {"padding": "same", "stride": 2}, "same"),
    ("conv2d", "dilation 0", {"dilation": 0}, "dilation"),
    ("conv2d", "kernel larger than the padded input", {"weight": a(6, 2, 9, 9)}, "kernel"),
    ("conv2d", "bias of the wrong length", {"bias": a(7)}, "bias"),
    ("conv2d", "dtypes differ", {"weight": a(6, 2, 3, 3, dtype=np.float32)}, "dtype"),
    ("max_pool2d", "2-d input", {"input": a(6, 6)}, "input"),
    ("max_pool2d", "5-d input", {"input": a(1, 2, 3, 6, 6)}, "input"),
    ("max_pool2d", "kernel_size 0", {"kernel_size": 0, "padding": 0}, "kernel_size"),
    ("max_pool2d", "kernel_size of 3 values", {"kernel_size": (2, 2, 2)}, "kernel_size"),
    ("max_pool2d", "stride 0", {"stride": 0}, "stride"),
    ("max_pool2d", "padding more than half the kernel", {"padding": 2}, "padding"),
    ("max_pool2d", "padding negative", {"padding": -1}, "padding"),
    ("max_pool2d", "dilation 0", {"dilation": 0}, "dilation"),
    ("max_pool2d", "window larger than the input", {"input": a(1, 1, 2, 2), **BIG}, "input"),
    ("max_pool2d", "input a list", {"input": [[[1.0, 2.0]]]}, "input"),
    ("flatten", "start_dim out of range", {"start_dim": 3}, "start_dim"),
    ("flatten", "end_dim out of range", {"end_dim": -4}, "end_dim"),
    ("flatten", "start_dim after end_dim", {"start_dim": 2, "end_dim": 1}, "start_dim"),
    ("flatten", "start_dim a float", {"start_dim": 1.5}, "start_dim"),
    ("flatten", "input a list", {"input": [[1.0, 2.0]]}, "input"),
]


def call_torch(op, kwargs):
    def tensor(v):
        return torch.from_numpy(v) if isinstance(v, np.ndarray) else v

    return TORCH[op](**{k: tensor(v) for k, v in kwargs.items()})


def test_every_op_has_rows():
    assert sorted({row[0] for row in BAD}) == sorted(FORWARD_OPS)


def test_valid_calls_are_valid():
    """The rows change one argument of a call that both torch and we accept."""
    for op, kwargs in VALID.items():
        ours = getattr(functional, op)(**kwargs)
        assert ours.shape == call_torch(op, kwargs).shape


def _check_message(err, op, name):
    message = str(err.value)
    assert op in message, f"the message does not name the function {op!r}: {message}"
    assert name in message, f"the message does not name {name!r}: {message}"


@pytest.mark.filterwarnings("ignore:Using a target size:UserWarning")  # torch, before it raises
@pytest.mark.parametrize(
    ("op", "what", "change", "name"), BAD, ids=[f"{r[0]}: {r[1]}" for r in BAD]
)
def test_forward_rejects(op, what, change, name):
    kwargs = {**VALID[op], **change}
    with pytest.raises(Exception):  # noqa: B017 (any exception: the row is honest if torch raises)
        call_torch(op, kwargs)
    with pytest.raises((ValueError, TypeError)) as err:
        getattr(functional, op)(**kwargs)
    _check_message(err, op, name)


@pytest.mark.parametrize(
    ("op", "what", "change", "name"), BAD, ids=[f"{r[0]}: {r[1]}" for r in BAD]
)
def test_backward_rejects(op, what, change, name):
    kwargs = {**VALID[op], **change}
    with pytest.raises((ValueError, TypeError)) as err:
        getattr(functional, op + "_backward")(np.zeros(1), **kwargs)
    _check_message(err, op, name)


def _bad_grads():
    """(op, what, grad_output) for grad_outputs torch's backward rejects after the valid call."""
    rows = []
    for op in FORWARD_OPS:
        shape = call_torch(op, VALID[op]).shape
        longer = (*shape[:-1], shape[-1] + 1) if shape else (1,)
        rows += [
            (op, "one element too many", np.zeros(longer)),
            (op, "an extra dimension", np.zeros((1, *shape))),
            (op, "a list", np.zeros(shape).tolist()),
        ]
    return rows


BAD_GRADS = _bad_grads()


@pytest.mark.parametrize(
    ("op", "what", "grad"), BAD_GRADS, ids=[f"{r[0]}: {r[1]}" for r in BAD_GRADS]
)
def test_backward_rejects_a_bad_grad_output(op, what, grad):
    leaves = {
        k: torch.tensor(v, requires_grad=True) if isinstance(v, np.ndarray) else v
        for k, v in VALID[op].items()
    }
    out = TORCH[op](**leaves)
    with pytest.raises(Exception):  # noqa: B017 (torch's rejection, any exception type)
        out.backward(torch.from_numpy(grad) if isinstance(grad, np.ndarray) else grad)
    with pytest.raises((ValueError, TypeError)) as err:
        getattr(functional, op + "_backward")(grad, **VALID[op])
    _check_message(err, op, "grad_output")
