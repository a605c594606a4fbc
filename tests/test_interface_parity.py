"""Every forward op has torch's parameters; every backward takes grad_output, then the same.

A reader swaps `torch.nn.functional.conv2d(...)` for `backprop_ref.functional.conv2d(...)`
without renaming or reordering an argument, and pastes `conv2d_backward` into a
torch.autograd.Function without looking up its arguments. These tests hold both promises
against the pinned torch (2.13).

Where torch has no Python signature (C builtins, and max_pool2d's `boolean_dispatch` wrapper
`(*args, **kwargs)`), `TORCH_SIGNATURES` below writes it down, and a test checks that table
against the signature line torch prints at the top of the function's docstring.
"""

import ast
import inspect

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from support import TORCH_FORWARD as TORCH
from test_finite_differences import FORWARD_OPS, KINK_FREE, first_case

from backprop_ref import functional

# torch's signature, for the functions where inspect.signature cannot read it
TORCH_SIGNATURES = {
    "linear": "linear(input, weight, bias=None)",
    "conv2d": "conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1)",
    "max_pool2d": (
        "max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, "
        "return_indices=False)"
    ),
    "flatten": "flatten(input, start_dim=0, end_dim=-1)",
}

# torch parameters we accept with their default only; any other value raises
# NotImplementedError (tested below). The value is a non-default value to try.
UNSUPPORTED = {
    "mse_loss": {
        "size_average": True,  # deprecated by torch since 0.4, like reduce
        "reduce": False,
        "weight": np.ones((3, 4)),  # torch 2.13's weighted loss; the shape of the test's input
    },
}

# torch's legacy or in-place flags we may leave out of a signature entirely (none is left out
# today: relu keeps `inplace`, mse_loss keeps `size_average` and `reduce`); {op: [names]}
OMITTED = {}

# parameters of the forward that its backward does not take: they choose what the forward
# returns, not what it computes
OUTPUT_FLAGS = {"max_pool2d": ["return_indices"]}


def signature_from_text(text):
    """'name(a, b=1)' -> [(name, default)], defaults as Python values, inspect.Parameter.empty
    where there is none."""
    args = ast.parse(f"def {text}: pass").body[0].args
    defaults = [inspect.Parameter.empty] * (len(args.args) - len(args.defaults))
    defaults += [ast.literal_eval(d) for d in args.defaults]
    return [(a.arg, d) for a, d in zip(args.args, defaults, strict=True)]


def parameters(fn):
    return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()]


def has_signature(fn):
    """False for C builtins (inspect raises) and for wrappers that show only (*args, **kwargs)."""
    try:
        return list(inspect.signature(fn).parameters) != ["args", "kwargs"]
    except ValueError:
        return False


def torch_parameters(op):
    if op in TORCH_SIGNATURES:
        return signature_from_text(TORCH_SIGNATURES[op])
    return parameters(TORCH[op])


def test_every_forward_has_a_backward_and_a_torch_twin():
    backwards = [name for name in functional.__all__ if name.endswith("_backward")]
    assert sorted(b.removesuffix("_backward") for b in backwards) == sorted(FORWARD_OPS)
    assert sorted(TORCH) == sorted(FORWARD_OPS)


@pytest.mark.parametrize("op", sorted(TORCH_SIGNATURES))
def test_signature_table_matches_torchs_docstring(op):
    """The table is torch's own words: its docstring opens with the same signature."""
    assert not has_signature(TORCH[op]), f"{op}: torch has a signature now; drop the table entry"
    doc = TORCH[op].__doc__.strip().splitlines()[0]
    documented = signature_from_text(doc.split(" -> ")[0])
    assert documented == signature_from_text(TORCH_SIGNATURES[op])


def test_max_pool2d_table_matches_the_function_behind_the_dispatch():
    assert parameters(F._max_pool2d) == signature_from_text(TORCH_SIGNATURES["max_pool2d"])


@pytest.mark.parametrize("op", FORWARD_OPS)
def test_forward_has_torchs_parameters(op):
    theirs = [(n, d) for n, d in torch_parameters(op) if n not in OMITTED.get(op, ())]
    assert parameters(getattr(functional, op)) == theirs


@pytest.mark.parametrize("op", FORWARD_OPS)
def test_backward_takes_grad_output_then_the_forwards_parameters(op):
    forward = parameters(getattr(functional, op))
    expected = [(n, d) for n, d in forward if n not in OUTPUT_FLAGS.get(op, ())]
    assert parameters(getattr(functional, op + "_backward")) == [
        ("grad_output", inspect.Parameter.empty),
        *expected,
    ]


@pytest.mark.filterwarnings("ignore:size_average and reduce args will be deprecated:UserWarning")
@pytest.mark.parametrize(
    ("op", "name", "value"),
    [(op, n, v) for op, table in UNSUPPORTED.items() for n, v in table.items()],
    ids=[f"{op}-{n}" for op, table in UNSUPPORTED.items() for n in table],
)
def test_unsupported_options_raise_not_implemented(op, name, value):
    arrays, kwargs = KINK_FREE[first_case(op)](np.random.default_rng(0))
    forward, backward = getattr(functional, op), getattr(functional, op + "_backward")
    Y = forward(*arrays, **kwargs)
    with pytest.raises(NotImplementedError, match=name):
        forward(*arrays, **kwargs, **{name: value})
    with pytest.raises(NotImplementedError, match=name):
        backward(np.ones_like(Y), *arrays, **kwargs, **{name: value})
    torch_value = torch.from_numpy(value) if isinstance(value, np.ndarray) else value
    TORCH[op](*map(torch.from_numpy, arrays), **kwargs, **{name: torch_value})  # torch takes it
