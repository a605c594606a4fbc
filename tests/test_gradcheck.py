"""Witness 3: torch.autograd.gradcheck on our backward, run inside a torch.autograd.Function.

backprop_ref.testing.as_torch_function wraps our numpy forward and backward; gradcheck then
compares the Jacobian our backward implies (one vector-Jacobian product per output element)
with torch's own finite differences, column by column. float64, small shapes, the same
kink-free cases as tests/test_finite_differences.py (ReLU away from 0, max-pool without ties).
"""

import inspect

import numpy as np
import pytest
import torch
from test_finite_differences import CASES, KINK_FREE, op_of

from backprop_ref import functional
from backprop_ref.testing import as_torch_function


def positional(op, arrays, kwargs):
    """The backward's arguments in order, minus grad_output (Function.apply takes no keywords).

    The backward's, not the forward's: they are the same but for output flags such as
    max_pool2d's return_indices, which the backward does not take.
    """
    params = list(inspect.signature(getattr(functional, op + "_backward")).parameters.values())[1:]
    args = [torch.tensor(a, requires_grad=True) if a is not None else None for a in arrays]
    for p in params[len(arrays) :]:
        args.append(kwargs.get(p.name, p.default))
    return args


@pytest.mark.parametrize("case", CASES)
def test_gradcheck(case):
    op = op_of(case)
    Fn = as_torch_function(getattr(functional, op), getattr(functional, op + "_backward"))
    arrays, kwargs = KINK_FREE[case](np.random.default_rng(4))
    args = positional(op, arrays, kwargs)
    assert torch.autograd.gradcheck(Fn.apply, args, eps=1e-6, atol=1e-7, rtol=1e-6)


def test_gradcheck_linear_without_bias():
    """A backward returns None for an optional array that was not given; the wrapper drops it."""
    Fn = as_torch_function(functional.linear, functional.linear_backward)
    rng = np.random.default_rng(6)
    X = torch.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    W = torch.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    assert torch.autograd.gradcheck(Fn.apply, (X, W))


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
    Linear = as_torch_function(functional.linear, functional.linear_backward)
    ReLU = as_torch_function(functional.relu, functional.relu_backward)
    rng = np.random.default_rng(7)
    X, W, b = rng.standard_normal((5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    dY = torch.tensor(rng.standard_normal((5, 4)))

    ours = [torch.tensor(a, requires_grad=True) for a in (X, W, b)]
    (ReLU.apply(Linear.apply(*ours)) * 2).backward(dY)
    theirs = [torch.tensor(a, requires_grad=True) for a in (X, W, b)]
    (torch.relu(torch.nn.functional.linear(*theirs)) * 2).backward(dY)
    for a, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)
