"""The engine's random numbers: one numpy Generator, seeded by `manual_seed`.

numpy's generator is not torch's: `randn` after `manual_seed(0)` gives other numbers than
torch's. Tests that need torch's numbers copy them in (`load_state_dict`, `tensor(...)`).
"""

import numpy as np

_GENERATOR = [np.random.default_rng()]


def rng():
    """The engine's numpy.random.Generator (layers' init, dropout masks, randn)."""
    return _GENERATOR[0]


def manual_seed(seed):
    """Reseed the engine's generator (numpy's PCG64, so not torch's numbers)."""
    _GENERATOR[0] = np.random.default_rng(seed)
    return _GENERATOR[0]


def seed():
    """Reseed from fresh entropy and return nothing, as torch.seed() (its seed is not kept)."""
    _GENERATOR[0] = np.random.default_rng()
