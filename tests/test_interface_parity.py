"""Every forward op has torch's parameters; every backward takes grad_output, then the same.

A reader swaps `torch.nn.functional.conv2d(...)` for `backprop_ref.functional.conv2d(...)`
(or `backprop_ref.kernels.conv2d`) without renaming or reordering an argument, and pastes
`conv2d_backward` into a torch.autograd.Function without looking up its arguments: the
backward takes every parameter of the forward, in order, with the same defaults (max_pool2d's
return_indices included: it changes what the forward returns, not the gradient). These tests
hold both promises against the pinned torch (2.13), for every record of tests/op_table.py.

Where torch has no Python signature (C builtins, and max_pool2d's `boolean_dispatch` wrapper
`(*args, **kwargs)`), the record's `torch_signature` writes it down, and a test checks it
against the signature line torch prints at the top of the function's docstring.
"""

import ast
import inspect
import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from op_table import IMPLEMENTATIONS, OPS, every_implementation, op_ids

from backprop_ref import functional, kernels


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
    if op.torch_signature is not None:
        return signature_from_text(op.torch_signature)
    return parameters(op.torch)


def test_the_table_has_every_op_once():
    """One record per forward of functional.__all__; kernels has the very same names."""
    forwards = [n for n in functional.__all__ if not n.endswith("_backward")]
    assert sorted(op.name for op in OPS) == sorted(forwards)
    assert sorted(functional.__all__) == sorted([*forwards, *(f + "_backward" for f in forwards)])
    assert kernels.__all__ == functional.__all__


SIGNED = [op for op in OPS if op.torch_signature is not None]


@pytest.mark.parametrize("op", SIGNED, ids=op_ids(SIGNED))
def test_signature_text_matches_torchs_docstring(op):
    """The record's text is torch's own words: its docstring opens with the same signature."""
    assert not has_signature(op.torch), f"{op.name}: torch has a signature now; drop the text"
    doc = op.torch.__doc__.strip().splitlines()[0]
    documented = signature_from_text(doc.split(" -> ")[0])
    assert documented == signature_from_text(op.torch_signature)


def test_max_pool2d_text_matches_the_function_behind_the_dispatch():
    (op,) = [op for op in OPS if op.torch is F.max_pool2d]
    assert parameters(F._max_pool2d) == signature_from_text(op.torch_signature)


IMPLS, IMPL_IDS = every_implementation()  # the loop versions (conv2d_naive, ...) too


@pytest.mark.parametrize(("op", "impl"), IMPLS, ids=IMPL_IDS)
def test_forward_has_torchs_parameters(op, impl):
    """torch's parameters, then only the record's `our_keywords` (keyword-only, default None:
    dropout's mask= and generator=), which a call written for torch never passes."""
    params = inspect.signature(op.ours(impl)[0]).parameters.values()
    extra = [p for p in params if p.name in op.our_keywords]
    assert [p.name for p in extra] == list(op.our_keywords)
    assert all(p.kind is p.KEYWORD_ONLY and p.default is None for p in extra)
    ours = [(p.name, p.default) for p in params if p.name not in op.our_keywords]
    assert ours == torch_parameters(op)


@pytest.mark.parametrize(("op", "impl"), IMPLS, ids=IMPL_IDS)
def test_backward_takes_grad_output_then_the_forwards_parameters(op, impl):
    forward, backward = op.ours(impl)
    assert parameters(backward) == [("grad_output", inspect.Parameter.empty), *parameters(forward)]


@pytest.mark.parametrize("op", OPS, ids=op_ids())
def test_the_records_arrays_are_the_forwards_parameters_in_order(op):
    """The first ones, but for layer_norm's normalized_shape, which torch puts before weight."""
    names = [n for n, _ in parameters(op.ours()[0])]
    assert [n for n in names if n in op.arrays] == list(op.arrays)
    assert names[0] == op.arrays[0]
    assert set(op.differentiable) <= set(op.arrays)


UNSUPPORTED = [(op, change) for op in OPS for change in op.unsupported]


@pytest.mark.filterwarnings("ignore:size_average and reduce args will be deprecated:UserWarning")
@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize(
    ("op", "change"), UNSUPPORTED, ids=[f"{op.name}-{'-'.join(c)}" for op, c in UNSUPPORTED]
)
def test_unsupported_options_raise_not_implemented(op, change, impl):
    """torch parameters we take only at their default: any other value raises
    NotImplementedError naming the function called and the parameter; torch takes the value."""
    forward, backward = op.ours(impl)
    Y = forward(**op.valid)
    name = next(iter(change))
    for fn, args, called in [(forward, (), op.name), (backward, (np.ones_like(Y),), None)]:
        called = called or op.name + "_backward"
        with pytest.raises(NotImplementedError, match=re.escape(name)) as err:
            fn(*args, **op.valid, **change)
        assert str(err.value).startswith(f"{called}: "), str(err.value)

    def tensor(v):
        return torch.from_numpy(v) if isinstance(v, np.ndarray) else v

    op.torch(**{k: tensor(v) for k, v in {**op.valid, **change}.items()})  # torch takes it
