"""What every model shares: parameters named like torch's, gradients that accumulate.

Each model keeps its parameters in `self.params` (name -> ndarray, in torch's
`named_parameters()` order) and its gradients in `self.grads` (name -> ndarray, or None before
the first backward, as `param.grad` is in torch).
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
        """Copy values (numpy arrays or torch tensors) into the parameters, cast to self.dtype."""
        missing = [k for k in self.params if k not in state_dict]
        unexpected = [k for k in state_dict if k not in self.params]
        if missing or unexpected:
            raise KeyError(
                f"{type(self).__name__}.load_state_dict: missing keys {missing}, "
                f"unexpected keys {unexpected}"
            )
        for name, value in state_dict.items():
            if hasattr(value, "detach"):  # a torch tensor
                value = value.detach().cpu().numpy()
            value = np.asarray(value)
            if value.shape != self.params[name].shape:
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: {name} has shape "
                    f"{self.params[name].shape} in the model, got {value.shape}"
                )
            np.copyto(self.params[name], value, casting="unsafe")

    # -- gradients ---------------------------------------------------------------------------
    def zero_grad(self):
        """Reset every gradient to None, as torch's zero_grad() (set_to_none=True) does."""
        for name in self.grads:
            self.grads[name] = None

    def _accumulate(self, name, grad):
        """grads[name] += grad, starting from None: what autograd does to param.grad."""
        if self.grads[name] is None:
            self.grads[name] = grad.astype(self.dtype, copy=True)
        else:
            self.grads[name] += grad

    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        raise NotImplementedError

    def backward(self, grad_output):
        raise NotImplementedError
