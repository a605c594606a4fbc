"""torch.optim for the engine: backprop_ref.optim's SGD, Adam and AdamW over engine tensors.

backprop_ref.optim's optimizers update one of our models, read through `model.params` and
`model.grads` (name -> ndarray). `Parameters` is that view of an iterable of engine tensors, so
`optim.SGD(net.parameters(), lr=0.01)` runs the package's own update (nothing is rewritten
here); each step then moves the parameters' version counters, as torch's in-place step does.
"""

import inspect
from collections.abc import Mapping

from .. import optim as _optim
from .tensor import Tensor


class _Arrays(Mapping):
    """name -> the tensor's array (or its .grad's array, or None), read when asked."""

    def __init__(self, tensors, grads):
        self._tensors, self._grads = tensors, grads

    def __getitem__(self, name):
        t = self._tensors[name]
        if self._grads:
            return None if t.grad is None else t.grad._array
        return t._array

    def __iter__(self):
        return iter(self._tensors)

    def __len__(self):
        return len(self._tensors)


class Parameters:
    """An iterable of engine tensors seen as one of our models: params, grads, zero_grad."""

    def __init__(self, params, where):
        params = list(params)
        if any(isinstance(p, dict) for p in params):
            raise NotImplementedError(f"{where}: parameter groups (dicts) are not supported")
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{where}: optimizer can only optimize Tensors, but parameter {i} is a "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(f"{where}: can't optimize a non-leaf Tensor (parameter {i})")
        # torch's state_dict numbers the parameters in order; so do these names
        self.tensors = {str(i): p for i, p in enumerate(params)}
        self.params = _Arrays(self.tensors, grads=False)
        self.grads = _Arrays(self.tensors, grads=True)

    def named_parameters(self):
        yield from self.params.items()

    def zero_grad(self, set_to_none=True):
        for t in self.tensors.values():
            if t.grad is not None:
                if set_to_none:
                    t.grad = None
                else:
                    t.grad.zero_()


def _for_tensors(base):
    """`base` (an optimizer of backprop_ref.optim) taking an iterable of engine tensors."""

    class Adapted(base):
        def __init__(self, params, *args, **kwargs):
            super().__init__(Parameters(params, base.__name__), *args, **kwargs)

        def step(self, closure=None):
            loss = super().step(closure)
            for t in self.model.tensors.values():
                t._bump()  # the update wrote into the arrays
            return loss

    # the base reads its defaults from the signature of type(self).__init__: keep base's
    Adapted.__init__.__signature__ = inspect.signature(base.__init__)
    Adapted.__name__ = Adapted.__qualname__ = base.__name__
    Adapted.__doc__ = (
        f"{base.__doc__}\n\n    Engine version: the first argument is an iterable of tensors."
    )
    return Adapted


SGD = _for_tensors(_optim.SGD)
Adam = _for_tensors(_optim.Adam)
AdamW = _for_tensors(_optim.AdamW)

__all__ = ["SGD", "Adam", "AdamW", "Parameters"]
