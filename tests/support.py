"""Torch helpers for the tests: run a call in torch autograd, compare ours with it.

The tolerance is backprop_ref.precision's (its docstring says why); nothing here holds one.
"""

import contextlib
import warnings

import numpy as np
import torch

from backprop_ref import precision

DTYPES = [np.float64, np.float32]


def rand(rng, shape, dtype):
    """Standard normal values as an ndarray of `dtype` (0-d for shape ())."""
    return np.array(rng.standard_normal(shape), dtype=dtype)


def assert_close(actual, expected, name="value"):
    """Ours (an ndarray) against torch's (a tensor or an array), under the precision policy."""
    precision.assert_close(actual, expected, name)


def assert_bitwise(actual, expected, name="value"):
    """Equal bit for bit but for NaN payloads: shape, dtype, values (NaN where torch has NaN)
    and the sign of every zero (-0.0 where torch has -0.0)."""
    if isinstance(expected, torch.Tensor):
        expected = expected.detach().numpy()
    expected = np.asarray(expected)
    assert actual is not None, f"{name}: ours is None"
    actual = np.asarray(actual)
    assert actual.shape == expected.shape, f"{name}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype, f"{name}: dtype {actual.dtype} != {expected.dtype}"
    np.testing.assert_array_equal(actual, expected, err_msg=name, strict=True)
    if actual.dtype.kind == "f":
        zero_signs = [np.signbit(x) & (x == 0) for x in (actual, expected)]
        np.testing.assert_array_equal(*zero_signs, err_msg=f"{name}: the signs of the zeros")


def torch_grads(fn, inputs, grad_output):
    """Run `fn(*tensors)` in torch; return (output, [grad of each input or None]).

    `inputs` are ndarrays or None; each array becomes a leaf that requires grad.
    `grad_output` is the upstream gradient (random in every test, never ones).
    """
    leaves = [None if a is None else torch.tensor(a, requires_grad=True) for a in inputs]
    out = fn(*leaves)
    out.backward(torch.as_tensor(np.array(grad_output)))
    return out.detach().numpy(), [None if t is None else t.grad for t in leaves]


# --- the op table's calls (tests/op_table.py) --------------------------------------------------


@contextlib.contextmanager
def quiet_torch():
    """Without torch's warnings that a call triggers on purpose: padding='same' with an even
    kernel (torch copies the input), a target that broadcasts (torch warns, then may raise)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Using padding='same' with even kernel", UserWarning)
        warnings.filterwarnings("ignore", "Using a target size", UserWarning)
        yield


def run_torch(op, sample, rng):
    """torch autograd on one sample: (outputs, gradient per array argument, grad_output).

    outputs is a tuple (max_pool2d's return_indices gives two); the gradient is None for an
    argument that is None or not differentiable. grad_output is the sample's, or random normal
    in the sample's dtype, shaped like the first output (never ones).
    """
    leaves = [
        None
        if x is None
        else torch.tensor(np.asarray(x), requires_grad=name in op.differentiable_in(sample))
        for x, name in zip(sample.arrays, op.arrays, strict=True)
    ]
    # clones: an in-place op (relu(inplace=True)) may not write to a leaf; gradients flow back
    inputs = [None if t is None else t.clone() for t in leaves]
    with quiet_torch():
        out = (op.torch_call or op.torch)(**op.by_name(inputs, sample.kwargs))
    outputs = out if isinstance(out, tuple) else (out,)
    dY = sample.grad_output
    if dY is None:
        dY = rand(rng, tuple(outputs[0].shape), sample.dtype)
    outputs[0].backward(torch.as_tensor(np.array(dY)))
    grads = [None if t is None or not t.requires_grad else t.grad for t in leaves]
    # embedding(sparse=True): torch's sparse COO gradient, compared as its dense equivalent
    grads = [g.to_dense() if g is not None and g.is_sparse else g for g in grads]
    return tuple(o.detach().numpy() for o in outputs), grads, dY


def check_ours(op, impl, sample, expected):
    """Our forward and backward (impl "lesson" or "kernel") against run_torch's `expected`:
    every output and every gradient, bit for bit where op.exact_vs_torch or sample.exact says
    so, else under the precision policy. Our inputs are read-only: nothing may write to them."""
    forward, backward = op.ours(impl)
    outputs_t, grads_t, dY = expected
    where = f"{impl} {op.name}"
    arrays, kwargs = sample.arrays, sample.kwargs
    if kwargs.get("inplace"):  # the result is written into (a copy of) the input
        copies = [None if x is None else np.array(x) for x in arrays]
        out = forward(**op.by_name(copies, kwargs))
        assert out is copies[0], f"{where}(inplace=True) must return its input"
    else:
        out = forward(**op.by_name(arrays, kwargs))
    outputs = out if isinstance(out, tuple) else (out,)
    assert len(outputs) == len(outputs_t), (
        f"{where}: {len(outputs)} outputs, torch has {len(outputs_t)}"
    )
    for k, (ours, theirs) in enumerate(zip(outputs, outputs_t, strict=True)):
        _compare(ours, theirs, f"{where}: output" + (f" {k}" if k else ""), op, sample, "output")

    grads = backward(dY, **op.by_name(arrays, kwargs))
    grads = grads if isinstance(grads, tuple) else (grads,)
    assert len(grads) == len(op.arrays), f"{where}_backward: one gradient per array argument"
    for ours, theirs, x, name in zip(grads, grads_t, arrays, op.arrays, strict=True):
        label = f"{where}_backward: grad_{name}"
        if x is None or name not in op.differentiable_in(sample):
            assert ours is None, f"{label} must be None"
        else:
            _compare(ours, theirs, label, op, sample, f"grad_{name}")


def _compare(ours, theirs, label, op, sample, result):
    assert type(ours) is np.ndarray, f"{label}: an ndarray, not {type(ours).__name__}"
    theirs = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    if theirs.dtype.kind != "f" or sample.exact or result in op.exact_vs_torch:
        assert_bitwise(ours, theirs, label)  # indices, selections, reshapes, exact sums
    else:
        precision.assert_close(ours, theirs, label)
