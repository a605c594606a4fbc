"""What every optimizer shares: the model's parameters, zero_grad, step's loop, state_dict.

torch.optim.Optimizer takes an iterable of tensors; ours takes one of our models and addresses
each parameter by its name in `model.params` (torch's `named_parameters()` order). The state
of a parameter (a momentum buffer, Adam's moments) is created at its first step with a
gradient, as in torch. Chapter: docs/training/optim.md
"""

import inspect
import numbers

from ..functional._checks import flag


class Optimizer:
    """One parameter group over all of `model`'s parameters; subclasses write `_update`."""

    def __init__(self, model, defaults, switches):
        where = type(self).__name__
        if not (hasattr(model, "params") and hasattr(model, "grads")):
            raise TypeError(
                f"{where}: expected one of backprop_ref's models (with .params and .grads), "
                f"got {type(model).__name__}"
            )
        # `switches` choose one of torch's kernels (multi-tensor, fused, CUDA graphs, autograd
        # through the step): the one value accepted is the signature's default, torch's, which
        # is its single-tensor path
        signature = inspect.signature(type(self).__init__).parameters
        for name, value in switches.items():
            default = signature[name].default
            if value is not default and value != default:
                raise ValueError(
                    f"{where}: {name}={value!r} picks one of torch's kernels; this reference "
                    f"follows torch's single-tensor path only: leave {name} at {default!r}"
                )
        names = [name for name, _ in model.named_parameters()]
        if not names:
            raise ValueError(f"{where}: the model has no parameters (torch: empty parameter list)")
        self.model = model
        self.defaults = {**defaults, **switches}
        # torch's param_groups hold the tensors; ours hold the parameters' names
        self.param_groups = [{**self.defaults, "params": names}]
        self.state = {}  # parameter name -> its state, created at its first step

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join([*lines, ")"])

    def zero_grad(self, set_to_none=True):
        """Reset the model's gradients, as torch's zero_grad(): to None by default."""
        self.model.zero_grad(set_to_none=set_to_none)

    # --8<-- [start:step]
    def step(self, closure=None):
        """Update every parameter whose gradient is not None, in place; return closure()."""
        loss = None if closure is None else closure()
        for group in self.param_groups:
            for name in group["params"]:
                grad = self.model.grads[name]
                if grad is None:  # no gradient, no update and no state: as torch skips
                    continue  # a parameter whose .grad is None
                self._update(name, self.model.params[name], grad, group)
        return loss

    # --8<-- [end:step]

    def _update(self, name, param, grad, group):
        raise NotImplementedError

    def state_dict(self):
        """{'state': {index: {...}}, 'param_groups': [{options..., 'params': [index, ...]}]},
        keyed as torch's: parameters by their position, the arrays shared, not copied."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(n, len(index)) for n in group["params"]]
            groups.append(packed)
        state = {index[name]: s for name, s in self.state.items()}
        return {"state": state, "param_groups": groups}


def _real(where, name, value):
    """A real number (Python's or numpy's; not a bool, not a tensor), or a TypeError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: {name} must be a real number, got {value!r}")
    return value


def _nonnegative(where, name, value, meaning):
    """A real number >= 0 (torch's `not 0.0 <= value`), or a ValueError naming it."""
    _real(where, name, value)
    if not 0.0 <= value:
        raise ValueError(f"{where}: invalid {meaning} {name}={value!r}, must be >= 0")
    return value


def _flag(where, name, value):
    return flag(value, name, where)
