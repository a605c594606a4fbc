"""What every model shares: parameters named like torch's, gradients that accumulate.

Each model keeps its parameters in `self.params` (name -> ndarray, in torch's
`named_parameters()` order) and its gradients in `self.grads` (name -> ndarray, or None before
the first backward, as `param.grad` is in torch). Chapter: docs/foundations/grad_and_zero_grad.md
"""

import numpy as np


class Model:
    """Base class: parameter bookkeeping, state dicts, gradient accumulation."""

    def __init__(self, dtype=np.float32):
        self.dtype = np.dtype(dtype)
        if self.dtype not in (np.float32, np.float64):
            raise TypeError(f"{type(self).__name__}: dtype must be float32 or float64, got {dtype}")
        self.params = {}
        self.grads = {}

    # -- parameters --------------------------------------------------------------------------
    def _add_parameter(self, name, value):
        self.params[name] = np.ascontiguousarray(value, dtype=self.dtype)
        self.grads[name] = None

    def _uniform(self, rng, shape, fan_in):
        """torch's default init for Linear and Conv2d: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
        bound = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, size=shape)

    def named_parameters(self):
        """Yield (name, array) in torch's order; changing an array in place changes the model."""
        yield from self.params.items()

    def parameters(self):
        yield from self.params.values()

    def state_dict(self):
        """name -> array, sharing memory with the model (as torch's state_dict shares storage)."""
        return dict(self.params)

    def load_state_dict(self, state_dict):
        """Copy values (numpy arrays or torch tensors) into the parameters, cast to self.dtype.

        Every key and shape is checked before anything is copied: a bad state dict leaves the
        model unchanged.
        """
        where = f"{type(self).__name__}.load_state_dict"
        missing = [k for k in self.params if k not in state_dict]
        unexpected = [k for k in state_dict if k not in self.params]
        if missing or unexpected:
            raise KeyError(f"{where}: missing keys {missing}, unexpected keys {unexpected}")
        values = {}
        for name in self.params:
            value = state_dict[name]
            if hasattr(value, "detach"):  # a torch tensor
                value = value.detach().cpu().numpy()
            value = np.asarray(value)
            if not (
                np.issubdtype(value.dtype, np.floating) or np.issubdtype(value.dtype, np.integer)
            ):
                raise TypeError(f"{where}: {name} must hold real numbers, got dtype {value.dtype}")
            if value.shape != self.params[name].shape:
                raise ValueError(
                    f"{where}: {name} has shape {self.params[name].shape} in the model, "
                    f"got {value.shape}"
                )
            values[name] = value
        for name, value in values.items():
            np.copyto(self.params[name], value, casting="unsafe")

    # -- gradients ---------------------------------------------------------------------------
    def zero_grad(self, set_to_none=True):
        """Reset the gradients, as torch's zero_grad(): to None by default (torch >= 2.0), or,
        with set_to_none=False, fill the existing arrays with zeros in place."""
        for name, grad in self.grads.items():
            if set_to_none or grad is None:
                self.grads[name] = None
            else:
                grad[...] = 0

    def _accumulate(self, name, grad):
        """grads[name] += grad, starting from None: what autograd does to param.grad.

        The first gradient after None is stored as it is, without a copy: the backward passes
        hand over freshly computed arrays that nothing else holds.
        """
        if grad.shape != self.params[name].shape:
            raise ValueError(
                f"{type(self).__name__}: gradient of {name} has shape {grad.shape}, "
                f"the parameter has {self.params[name].shape}"
            )
        if self.grads[name] is None:
            self.grads[name] = grad.astype(self.dtype, copy=False)
        else:
            self.grads[name] += grad

    def _check_input(self, method, name, value, trailing):
        """`value` must be an ndarray of the model's dtype whose shape ends with `trailing`."""
        where = f"{type(self).__name__}.{method}"
        if not isinstance(value, np.ndarray):
            raise TypeError(f"{where}: {name} must be a numpy.ndarray, got {type(value).__name__}")
        if value.dtype != self.dtype:
            raise TypeError(
                f"{where}: {name} has dtype {value.dtype}, the model's parameters are "
                f"{self.dtype} (cast it with .astype(np.{self.dtype}))"
            )
        k = len(trailing)
        if value.ndim < k or tuple(value.shape[value.ndim - k :]) != tuple(trailing):
            shown = ", ".join(["*", *map(str, trailing)])
            raise ValueError(f"{where}: expected {name} of shape ({shown}), got {value.shape}")
        return value

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError

    def backward(self, grad_output):
        raise NotImplementedError
