"""Optimizers that update one of our models in place, as torch.optim updates a module.

`SGD` (momentum, dampening, Nesterov), `Adam` and `AdamW`: the same options, defaults, checks
and update order as torch.optim's single-tensor path, so that after every step the parameters
equal torch's. Chapter: docs/training/optim.md
"""

from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer"]
