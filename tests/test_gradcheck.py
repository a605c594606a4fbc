"""Witness 3: torch.autograd.gradcheck on our backward, run inside a torch.autograd.Function.

backprop_ref.testing.as_torch_function wraps our numpy forward and backward (lesson and
kernel); gradcheck then compares the Jacobian our backward implies (one vector-Jacobian product
per output element) with torch's own finite differences, column by column. float64, small
shapes: each record's kink-free samples (tests/op_table.py; ReLU away from 0, max-pool without
ties).
"""

import functools
import inspect

import numpy as np
import pytest
import torch
from op_table import BY_NAME, IMPLEMENTATIONS, every_kink_free
from support import assert_close

from backprop_ref import functional
from backprop_ref.testing import as_torch_function

CASES, IDS = every_kink_free()


def positional(backward, sample, op):
    """The backward's arguments in order, minus grad_output (Function.apply takes no keywords):
    tensors for the differentiable arrays, the sample's value or the default for the rest."""
    params = list(inspect.signature(backward).parameters.values())[1:]
    given = op.by_name(sample.arrays, sample.kwargs)
    args = []
    for p in params:
        if p.kind is p.KEYWORD_ONLY:  # bound by keyword instead (see keywords)
            continue
        x = given.get(p.name, p.default)
        if p.name in op.arrays and x is not None:
            x = torch.tensor(x, requires_grad=p.name in op.differentiable_in(sample))
        args.append(x)
    return args


def keywords(forward, sample):
    """The sample's values for the forward's keyword-only parameters."""
    params = inspect.signature(forward).parameters.values()
    return {
        p.name: sample.kwargs[p.name]
        for p in params
        if p.kind is p.KEYWORD_ONLY and p.name in sample.kwargs
    }


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize(("op", "sample"), CASES, ids=IDS)
def test_gradcheck(op, sample, impl):
    forward, backward = op.ours(impl)
    names = list(inspect.signature(forward).parameters)
    kw = keywords(forward, sample)
    if kw:  # Function.apply takes no keywords: bind them (dropout's mask=)
        forward, backward = functools.partial(forward, **kw), functools.partial(backward, **kw)
    Fn = as_torch_function(forward, backward, [names.index(n) for n in op.arrays])
    args = positional(backward, sample, op)
    assert torch.autograd.gradcheck(Fn.apply, args, eps=1e-6, atol=1e-7, rtol=1e-6)


def test_gradcheck_catches_a_wrong_backward():
    """gradcheck has teeth: a ReLU backward that lets every gradient through is rejected."""

    def leaky_backward(grad_output, input, inplace=False):
        return grad_output.copy()

    Fn = as_torch_function(functional.relu, leaky_backward)
    x = torch.tensor([[-1.0, 2.0], [0.5, -0.3]], dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):  # torch's GradcheckError
        torch.autograd.gradcheck(Fn.apply, (x,))


def test_wrapper_plugs_into_a_torch_graph():
    """Used inside a torch computation, the wrapped op's gradients equal torch's own."""
    Linear = as_torch_function(*BY_NAME["linear"].ours())
    ReLU = as_torch_function(*BY_NAME["relu"].ours())
    rng = np.random.default_rng(7)
    X, W, b = rng.standard_normal((5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    dY = torch.tensor(rng.standard_normal((5, 4)))

    ours = [torch.tensor(a, requires_grad=True) for a in (X, W, b)]
    (ReLU.apply(Linear.apply(*ours)) * 2).backward(dY)
    theirs = [torch.tensor(a, requires_grad=True) for a in (X, W, b)]
    (torch.relu(torch.nn.functional.linear(*theirs)) * 2).backward(dY)
    for t_ours, t_theirs in zip(ours, theirs, strict=True):
        assert_close(t_ours.grad.numpy(), t_theirs.grad)
