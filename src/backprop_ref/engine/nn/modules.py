"""torch.nn's Module, Parameter and layers, over the engine's tensors.

Module registers Parameters, buffers and submodules as attributes are set, and names them as
torch does (`named_parameters()` in torch's order, `state_dict()` keys). Each layer holds its
parameters and calls one op of engine.nn.functional; Linear and Conv2d start from torch's
default init, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (kaiming_uniform with a = sqrt(5)), drawn from
the engine's numpy generator (so not torch's numbers). Chapter: docs/engine.md
"""

from collections import OrderedDict
from typing import NamedTuple

import numpy as np

from .. import random
from ..tensor import Tensor, get_default_dtype
from . import functional as F


class Parameter(Tensor):
    """A leaf tensor that a Module registers: requires_grad=True by default."""

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.zeros((0,), get_default_dtype())
        super().__init__(data._array if isinstance(data, Tensor) else data, requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class _IncompatibleKeys(NamedTuple):
    missing_keys: list
    unexpected_keys: list


def _numpy(value):
    if isinstance(value, Tensor):
        return value._array
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        return value.detach().cpu().numpy()
    return np.asarray(value)


class Module:
    """Base class: attribute registration, parameters, state dicts, train/eval, dtype.

    Parameters, buffers and submodules live in _parameters, _buffers and _modules, as in
    torch, and also in the instance's own dict, so that reading `self.conv1` in a forward is an
    ordinary attribute lookup (torch's goes through __getattr__ each time). Assign through
    attributes or register_*/add_module, which keep the two in step.
    """

    def __init__(self):
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())

    # -- registration ----------------------------------------------------------------------------
    def __setattr__(self, name, value):
        d = self.__dict__
        if "_parameters" not in d:
            if isinstance(value, Parameter | Module):
                raise AttributeError(
                    f"cannot assign {type(value).__name__} '{name}' before Module.__init__() call"
                )
            object.__setattr__(self, name, value)
            return
        params, buffers, modules = d["_parameters"], d["_buffers"], d["_modules"]
        if isinstance(value, Parameter):
            self._drop(name)
            params[name] = value
        elif isinstance(value, Module):
            self._drop(name)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(nn.Parameter or None expected)"
                )
            params[name] = None
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module '{name}'")
            modules[name] = None
        elif name in buffers:
            buffers[name] = value
        object.__setattr__(self, name, value)  # registered or not: a plain lookup reads it

    def _drop(self, name):
        self.__dict__.pop(name, None)
        for key in ("_parameters", "_buffers", "_modules"):
            self.__dict__[key].pop(name, None)

    def __getattr__(self, name):  # only called when ordinary lookup fails
        d = self.__dict__
        for key in ("_parameters", "_buffers", "_modules"):
            if key in d and name in d[key]:
                return d[key][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for key in ("_parameters", "_buffers", "_modules"):
            if name in self.__dict__.get(key, {}):
                del self.__dict__[key][name]
                self.__dict__.pop(name, None)
                return
        object.__delattr__(self, name)

    def register_parameter(self, name, param):
        if param is None:
            self._drop(name)
            self._parameters[name] = None
            object.__setattr__(self, name, None)
        else:
            setattr(self, name, param)

    def register_buffer(self, name, tensor, persistent=True):
        self._drop(name)
        self._buffers[name] = tensor
        object.__setattr__(self, name, tensor)
        if not persistent:
            self.__dict__.setdefault("_non_persistent", set()).add(name)

    def add_module(self, name, module):
        self._drop(name)
        self._modules[name] = module
        object.__setattr__(self, name, module)

    # -- traversal ---------------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix=""):
        """(name, module) for self and every submodule, depth first, each once."""
        yield from self._walk(set() if memo is None else memo, prefix, names=True)

    def _walk(self, memo, prefix, names):
        """named_modules as a list, with the names built only when `names` (None in their
        place else: zero_grad and parameters() run every step and need no names)."""
        found, stack = [], [(prefix, self)]  # the next module on top: children pushed reversed
        while stack:
            prefix, module = stack.pop()
            if id(module) in memo:
                continue
            memo.add(id(module))
            found.append((prefix, module))
            for name, child in reversed(module._modules.items()):
                if child is not None:
                    stack.append(
                        ((f"{prefix}.{name}" if prefix else name) if names else None, child)
                    )
        return found

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_children(self):
        yield from ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self):
        for _, m in self.named_children():
            yield m

    def get_submodule(self, target):
        module = self
        for part in target.split(".") if target else []:
            if part not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
            module = module._modules[part]
        return module

    def get_parameter(self, target):
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._parameters:
            raise AttributeError(f"`{name}` is not an nn.Parameter of {type(module).__name__}")
        return module._parameters[name]

    def _named(self, key, prefix, recurse, names=True):
        seen = set()
        modules = self._walk(set(), prefix, names) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in module.__dict__[key].items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))
                yield (
                    (f"{module_prefix}.{name}" if module_prefix else name) if names else None,
                    value,
                )

    def named_parameters(self, prefix="", recurse=True):
        """(name, Parameter) in torch's order: a module's own, then its submodules', each once."""
        yield from self._named("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        for _, p in self._named("_parameters", "", recurse, names=False):
            yield p

    def named_buffers(self, prefix="", recurse=True):
        yield from self._named("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # -- gradients, modes, dtypes ------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Every parameter's .grad to None (torch's default), or to zeros in place."""
        for _, module in self._walk(set(), "", names=False):  # a shared one twice: harmless
            for p in module._parameters.values():
                if p is None or p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.zero_()

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def train(self, mode=True):
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def _cast(self, dtype):
        """Every float parameter, its gradient and every float buffer to `dtype`, in place
        (the Parameter objects stay: an optimizer built before still holds them)."""
        for t in [*self.parameters(), *self.buffers()]:
            if t is not None and t.dtype.kind == "f":
                t._array = t._array.astype(dtype)
                t._bump()
                if t.grad is not None:
                    t.grad._array = t.grad._array.astype(dtype)
        return self

    def double(self):
        return self._cast(np.float64)

    def float(self):
        return self._cast(np.float32)

    def to(self, dtype):
        return self._cast(np.dtype(dtype))

    def apply(self, fn):
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # -- state -------------------------------------------------------------------------------------
    def state_dict(self):
        """name -> tensor (parameters and persistent buffers), sharing memory with the model."""
        out = OrderedDict()
        for prefix, module in self.named_modules():
            skip = module.__dict__.get("_non_persistent", set())
            for key in ("_parameters", "_buffers"):
                for name, value in module.__dict__[key].items():
                    if value is not None and name not in skip:
                        out[f"{prefix}.{name}" if prefix else name] = value.detach()
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copy values (engine tensors, torch tensors or numpy arrays) into the parameters and
        buffers, cast to each one's dtype. Keys and shapes are checked before anything changes."""
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict and (missing or unexpected):
            errors.append(f"Missing key(s): {missing}. Unexpected key(s): {unexpected}.")
        values = {}
        for name, target in own.items():
            if name not in state_dict:
                continue
            value = _numpy(state_dict[name])
            if value.shape != target._array.shape:
                errors.append(
                    f"size mismatch for {name}: copying a param with shape {value.shape} from "
                    f"checkpoint, the shape in current model is {target._array.shape}."
                )
            values[name] = value
        if errors:
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                + "\n\t".join(errors)
            )
        for name, value in values.items():
            np.copyto(own[name]._array, value, casting="unsafe")
            own[name]._bump()
        return _IncompatibleKeys(missing, unexpected)

    # -- calling and printing ----------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = []
        for name, module in self._modules.items():
            inner = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {inner}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(([extra] if extra else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"


def _dtype(dtype):
    """`dtype`, or the default dtype when None (a numpy dtype is falsy: no `or` here)."""
    return get_default_dtype() if dtype is None else np.dtype(dtype)


def _pair(x):
    return tuple(x) if isinstance(x, tuple | list) else (x, x)


def _uniform_parameter(shape, fan_in, dtype):
    """torch's default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (0 fan_in: bound 0)."""
    bound = 1.0 / np.sqrt(fan_in) if fan_in > 0 else 0.0
    value = random.rng().uniform(-bound, bound, size=shape)
    return Parameter(value.astype(_dtype(dtype)))


# -- layers with parameters ---------------------------------------------------------------------


class Linear(Module):
    """y = x W^T + b. Shapes: input (*, in_features) -> (*, out_features)."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = _uniform_parameter((out_features, in_features), in_features, dtype)
        if bias:
            self.bias = _uniform_parameter((out_features,), in_features, dtype)
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Conv2d(Module):
    """2-D cross-correlation. Shapes: input (N, C_in, H, W) -> (N, C_out, H_out, W_out)."""

    def __init__(
        self,
        in_channels,
        out_channels,
        kernel_size,
        stride=1,
        padding=0,
        dilation=1,
        groups=1,
        bias=True,
        padding_mode="zeros",
        device=None,
        dtype=None,
    ):
        super().__init__()
        if in_channels % groups or out_channels % groups:
            raise ValueError(
                f"Conv2d: in_channels ({in_channels}) and out_channels ({out_channels}) must "
                f"be divisible by groups ({groups})"
            )
        if padding_mode != "zeros":
            raise NotImplementedError(f"Conv2d: padding_mode={padding_mode!r}: only 'zeros'")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = _pair(kernel_size), _pair(stride)
        self.padding = padding if isinstance(padding, str) else _pair(padding)
        self.dilation, self.groups = _pair(dilation), groups
        kh, kw = self.kernel_size
        fan_in = in_channels // groups * kh * kw
        self.weight = _uniform_parameter(
            (out_channels, in_channels // groups, kh, kw), fan_in, dtype
        )
        if bias:
            self.bias = _uniform_parameter((out_channels,), fan_in, dtype)
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        return F.conv2d(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}"
        s += f", stride={self.stride}"
        if self.padding not in ((0, 0), "valid"):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class _BatchNorm(Module):
    _dims = ()

    def __init__(
        self,
        num_features,
        eps=1e-5,
        momentum=0.1,
        affine=True,
        track_running_stats=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        dtype = _dtype(dtype)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype))
            self.bias = Parameter(np.zeros(num_features, dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), np.int64)))
        else:
            self.running_mean = self.running_var = None

    def forward(self, input):
        if input.ndim not in self._dims:
            raise ValueError(
                f"{type(self).__name__}: expected {' or '.join(f'{d}D' for d in self._dims)} "
                f"input, got shape {tuple(input.shape)}"
            )
        if self.momentum is None:
            raise NotImplementedError(f"{type(self).__name__}: momentum=None (cumulative average)")
        training = self.training or self.running_mean is None
        if self.training and self.track_running_stats:
            self.num_batches_tracked._array += 1
        return F.batch_norm(
            input,
            self.running_mean if not self.training or self.track_running_stats else None,
            self.running_var if not self.training or self.track_running_stats else None,
            self.weight,
            self.bias,
            training,
            self.momentum,
            self.eps,
        )

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Shapes: input (N, C) or (N, C, L)."""

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Shapes: input (N, C, H, W)."""

    _dims = (4,)


class LayerNorm(Module):
    """Normalize over the trailing `normalized_shape` axes, then weight and bias."""

    def __init__(
        self,
        normalized_shape,
        eps=1e-5,
        elementwise_affine=True,
        bias=True,
        device=None,
        dtype=None,
    ):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape, self.eps = tuple(normalized_shape), eps
        self.elementwise_affine = elementwise_affine
        dtype = _dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype))
            if bias:
                self.bias = Parameter(np.zeros(self.normalized_shape, dtype))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )


class Embedding(Module):
    """A lookup table: input (*) of indices -> (*, embedding_dim); weight ~ N(0, 1)."""

    def __init__(
        self,
        num_embeddings,
        embedding_dim,
        padding_idx=None,
        max_norm=None,
        norm_type=2.0,
        scale_grad_by_freq=False,
        sparse=False,
        _weight=None,
        _freeze=False,
        device=None,
        dtype=None,
    ):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        if padding_idx is not None and padding_idx < 0:
            padding_idx += num_embeddings
        self.padding_idx, self.max_norm, self.norm_type = padding_idx, max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        value = random.rng().standard_normal((num_embeddings, embedding_dim))
        if padding_idx is not None:
            value[padding_idx] = 0
        self.weight = Parameter(value.astype(_dtype(dtype)), not _freeze)

    def forward(self, input):
        return F.embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"


# -- layers without parameters: one functional op each -------------------------------------------


class ReLU(Module):
    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input, self.inplace)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    def forward(self, input):
        return F.tanh(input)


class GELU(Module):
    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class Softmax(Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    def forward(self, input):
        return F.log_softmax(input, self.dim)


class Dropout(Module):
    """Zero each element with probability p in training (mask from the engine's generator)."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class MaxPool2d(Module):
    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        dilation=1,
        return_indices=False,
        ceil_mode=False,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return F.max_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
        )

    def extra_repr(self):
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AvgPool2d(Module):
    def __init__(
        self,
        kernel_size,
        stride=None,
        padding=0,
        ceil_mode=False,
        count_include_pad=True,
        divisor_override=None,
    ):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):
        return F.avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return F.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class Flatten(Module):
    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, input):
        return F.flatten(input, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Sequential(Module):
    """Modules applied in order, registered as "0", "1", ... (or by the names of a dict)."""

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict | dict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def __getitem__(self, index):
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*modules[index])
        return modules[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input


# -- losses -------------------------------------------------------------------------------------


class _Loss(Module):
    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        self.size_average, self.reduce, self.reduction = size_average, reduce, reduction


class MSELoss(_Loss):
    """mean (or sum, or none) of (input - target)^2."""

    def forward(self, input, target):
        return F.mse_loss(input, target, self.size_average, self.reduce, self.reduction)


class CrossEntropyLoss(_Loss):
    """-log softmax(input)[target], averaged: class indices or class probabilities."""

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index=-100,
        reduce=None,
        reduction="mean",
        label_smoothing=0.0,
    ):
        super().__init__(size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing
        self.register_buffer("weight", weight)

    def forward(self, input, target):
        return F.cross_entropy(
            input,
            target,
            self.weight,
            self.size_average,
            self.ignore_index,
            self.reduce,
            self.reduction,
            self.label_smoothing,
        )


class NLLLoss(_Loss):
    """-input[target], averaged: input holds log-probabilities."""

    def __init__(
        self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"
    ):
        super().__init__(size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.register_buffer("weight", weight)

    def forward(self, input, target):
        return F.nll_loss(
            input,
            target,
            self.weight,
            self.size_average,
            self.ignore_index,
            self.reduce,
            self.reduction,
        )
