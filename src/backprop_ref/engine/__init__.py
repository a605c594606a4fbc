"""A tape-based autograd engine over numpy arrays, with the part of torch's surface the seed
notes use. Their scripts run with only the imports changed:

    import backprop_ref.engine as torch
    from backprop_ref.engine import nn
    from backprop_ref.engine.nn import functional as F

Every nn.functional op calls backprop_ref.functional's `<op>` and `<op>_backward`
(function.py); the engine's own rules cover arithmetic, sums, indexing and views (tensor.py).
Chapter: docs/engine.md
"""

import numpy as np

from . import random as _random
from .tensor import (
    Node,
    Size,
    Tensor,
    add,
    enable_grad,
    exp,
    get_default_dtype,
    is_grad_enabled,
    log,
    matmul,
    mm,
    mul,
    no_grad,
    permute,
    pow,
    set_default_dtype,
    set_grad_enabled,
    sub,
    sum,
    transpose,
    unbroadcast,
)

float32 = float = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int64 = long = np.dtype(np.int64)
int32 = int = np.dtype(np.int32)
bool = np.dtype(np.bool_)

manual_seed = _random.manual_seed
seed = _random.seed


def _float_dtype(dtype):
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def tensor(data, dtype=None, requires_grad=False):
    """A new leaf holding a copy of `data` (lists, numbers, numpy arrays, torch tensors).

    Python floats become the default dtype (float32), ints int64, bools bool; a numpy array
    keeps its dtype, as torch.tensor does.
    """
    if isinstance(data, Tensor):
        data = data._array
    elif hasattr(data, "detach") and hasattr(data, "numpy"):  # a torch tensor
        data = data.detach().cpu().numpy()
    from_numpy = isinstance(data, np.ndarray | np.generic)
    value = np.array(data)
    if dtype is not None:
        value = value.astype(dtype)
    elif value.dtype.kind == "f" and not from_numpy:
        value = value.astype(get_default_dtype())
    elif value.dtype.kind in "iu" and not from_numpy:
        value = value.astype(np.int64)
    return Tensor(value, requires_grad=requires_grad)


def as_tensor(data, dtype=None):
    return data if isinstance(data, Tensor) and dtype is None else tensor(data, dtype)


def from_numpy(array):
    """A tensor sharing `array`'s memory."""
    return Tensor(array)


def _size(size):
    if len(size) == 1 and isinstance(size[0], tuple | list):
        size = size[0]
    return tuple(size)


def zeros(*size, dtype=None, requires_grad=False):
    return Tensor(np.zeros(_size(size), _float_dtype(dtype)), requires_grad=requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    return Tensor(np.ones(_size(size), _float_dtype(dtype)), requires_grad=requires_grad)


def zeros_like(input, dtype=None, requires_grad=False):
    return zeros(
        input.shape, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad
    )


def ones_like(input, dtype=None, requires_grad=False):
    return ones(
        input.shape, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad
    )


def randn(*size, dtype=None, requires_grad=False, generator=None):
    """Standard normal samples of shape `size`, drawn from numpy's generator (seeded by
    manual_seed): the same distribution as torch.randn, never torch's numbers."""
    rng = generator if generator is not None else _random.rng()
    value = rng.standard_normal(_size(size)).astype(_float_dtype(dtype))
    return Tensor(value, requires_grad=requires_grad)


def rand(*size, dtype=None, requires_grad=False, generator=None):
    """Uniform samples on [0, 1), from numpy's generator (not torch's numbers)."""
    rng = generator if generator is not None else _random.rng()
    value = rng.random(_size(size)).astype(_float_dtype(dtype))
    return Tensor(value, requires_grad=requires_grad)


def randn_like(input, dtype=None, requires_grad=False):
    return randn(
        input.shape, dtype=input.dtype if dtype is None else dtype, requires_grad=requires_grad
    )


def arange(start, end=None, step=1, dtype=None):
    value = np.arange(start, end, step) if end is not None else np.arange(start)
    return tensor(value if dtype is None else value.astype(dtype))


def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def div(input, other):
    return input / other


def flatten(input, start_dim=0, end_dim=-1):
    """torch.flatten, through backprop_ref.functional.flatten."""
    return nn.functional.flatten(input, start_dim, end_dim)


def relu(input):
    return nn.functional.relu(input)


def sigmoid(input):
    return nn.functional.sigmoid(input)


def tanh(input):
    return nn.functional.tanh(input)


def softmax(input, dim):
    return nn.functional.softmax(input, dim)


def log_softmax(input, dim):
    return nn.functional.log_softmax(input, dim)


def mean(input, dim=None, keepdim=False):
    return input.mean(dim, keepdim)


from . import nn, optim  # noqa: E402 (they import the names above)

__all__ = [
    "Node",
    "Size",
    "Tensor",
    "add",
    "arange",
    "as_tensor",
    "bool",
    "div",
    "double",
    "enable_grad",
    "exp",
    "flatten",
    "float",
    "float32",
    "float64",
    "from_numpy",
    "get_default_dtype",
    "int",
    "int32",
    "int64",
    "is_grad_enabled",
    "is_tensor",
    "log",
    "log_softmax",
    "long",
    "manual_seed",
    "matmul",
    "mean",
    "mm",
    "mul",
    "nn",
    "no_grad",
    "numel",
    "ones",
    "ones_like",
    "optim",
    "permute",
    "pow",
    "rand",
    "randn",
    "randn_like",
    "relu",
    "seed",
    "set_default_dtype",
    "set_grad_enabled",
    "sigmoid",
    "softmax",
    "sub",
    "sum",
    "tanh",
    "tensor",
    "transpose",
    "unbroadcast",
    "zeros",
    "zeros_like",
]
