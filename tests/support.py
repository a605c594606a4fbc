"""Helpers for comparing our numpy results with torch autograd.

Tolerances: backprop_ref.precision (float64 rtol 1e-10, atol 1e-12 * scale; float32 rtol 1e-5,
atol 1e-5 * scale, where scale = max(1, max |expected|)); its docstring says why.
"""

import numpy as np
import torch
import torch.nn.functional as F

from backprop_ref.precision import tolerance

DTYPES = [np.float64, np.float32]

# torch's counterpart of every forward op in backprop_ref.functional
TORCH_FORWARD = {
    "linear": F.linear,
    "relu": F.relu,
    "mse_loss": F.mse_loss,
    "conv2d": F.conv2d,
    "max_pool2d": F.max_pool2d,
    "flatten": torch.flatten,
}


def assert_close(actual, expected, name="value"):
    """Compare an ndarray of ours with torch's result (tensor or array): shape, dtype, values."""
    if isinstance(expected, torch.Tensor):
        expected = expected.detach().numpy()
    expected = np.asarray(expected)
    assert actual is not None, f"{name}: ours is None, torch's is not"
    actual = np.asarray(actual)
    assert actual.shape == expected.shape, f"{name}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype, f"{name}: dtype {actual.dtype} != {expected.dtype}"
    rtol, atol = tolerance(expected.dtype)
    finite = expected[np.isfinite(expected)]
    scale = max(1.0, float(np.abs(finite).max())) if finite.size else 1.0
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol * scale, err_msg=name)


def torch_grads(fn, inputs, grad_output):
    """Run `fn(*tensors)` in torch; return (output, [grad of each input or None]).

    `inputs` are ndarrays or None; each array becomes a leaf that requires grad.
    `grad_output` is the upstream gradient (random in every test, never ones).
    """
    leaves = [None if a is None else torch.tensor(a, requires_grad=True) for a in inputs]
    out = fn(*leaves)
    out.backward(torch.as_tensor(grad_output))
    return out.detach().numpy(), [None if t is None else t.grad for t in leaves]


def rand(rng, shape, dtype):
    return rng.standard_normal(shape).astype(dtype)
