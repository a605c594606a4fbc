"""Helpers for comparing our numpy results with torch autograd.

Tolerances (the precision chapter explains them):
- float64: rtol 1e-10, atol 1e-12 * scale, where scale = max(1, max |expected|). Any sum of K
  float64 products differs between two summation orders by at most about K * 1.1e-16 of the sum
  of |terms|; with K up to a few thousand that stays below 1e-12.
- float32: rtol 1e-5, atol 1e-5 * scale. float32's unit roundoff is 6e-8; the same bound for
  K = 400 (LeNet's fc1) is 2.4e-5 of the sum of |terms| in the worst case and about 1e-6
  typically (errors of random sign grow like sqrt(K)).
"""

import numpy as np
import torch
import torch.nn.functional as F

TOL = {
    np.dtype(np.float64): (1e-10, 1e-12),
    np.dtype(np.float32): (1e-5, 1e-5),
}
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
    rtol, atol = TOL[expected.dtype]
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
