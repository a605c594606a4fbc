"""Every op of the engine's nn.functional against torch autograd on samples of the op table
(tests/op_table.py): the first samples per op and dtype, through the engine (the generic
wrapper over backprop_ref.functional), with a random upstream gradient."""

import numpy as np
import pytest
from op_table import OPS
from support import run_torch

import backprop_ref.engine as engine
from backprop_ref.engine.nn import functional as F
from backprop_ref.functional import ARRAYS as ENGINE_OPS
from backprop_ref.precision import assert_close

pytestmark = pytest.mark.filterwarnings(
    "ignore:invalid value encountered:RuntimeWarning",
    "ignore:Mean of empty slice:RuntimeWarning",
    "ignore:overflow encountered:RuntimeWarning",
)

PER_OP = 2  # samples per op and dtype


def _cases():
    cases, ids = [], []
    for op in OPS:
        for dtype in (np.float64, np.float32):
            for index, sample in enumerate(op.sample_list(dtype)[:PER_OP]):
                cases.append((op, dtype, index, sample))
                ids.append(f"{op.name}-{np.dtype(dtype).name}-{sample.name}")
    return cases, ids


CASES, IDS = _cases()


def test_every_functional_op_is_wrapped():
    """One list drives nn.functional; it holds every op of the op table."""
    assert {op.name for op in OPS} <= set(ENGINE_OPS)
    assert all(callable(getattr(F, name)) for name in ENGINE_OPS)


@pytest.mark.parametrize(("op", "dtype", "index", "sample"), CASES, ids=IDS)
def test_engine_op_matches_torch(op, dtype, index, sample):
    outputs_t, grads_t, dY = run_torch(op, sample, np.random.default_rng(index))
    differentiable = op.differentiable_in(sample)
    leaves = [
        None if x is None else engine.tensor(np.array(x), requires_grad=name in differentiable)
        for x, name in zip(sample.arrays, op.arrays, strict=True)
    ]
    out = getattr(F, op.name)(**op.by_name(leaves, sample.kwargs))
    outputs = out if isinstance(out, tuple) else (out,)
    for i, (o, ot) in enumerate(zip(outputs, outputs_t, strict=True)):
        assert_close(o.detach().numpy(), ot, f"{op.name} output {i}")
    if outputs[0].requires_grad:
        outputs[0].backward(engine.tensor(np.array(dY)))
    for name, t, g in zip(op.arrays, leaves, grads_t, strict=True):
        ours = None if t is None or not t.requires_grad else t.grad
        if g is not None and ours is None:  # no path reached it: torch's grad is then zeros
            assert not np.asarray(g).any(), f"{op.name}: grad of {name} missing"
            continue
        assert_close(None if ours is None else ours.numpy(), g, f"{op.name} grad of {name}")
