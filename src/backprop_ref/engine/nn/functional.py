"""torch.nn.functional for the engine: every op of backprop_ref.functional, generated from
functional.ARRAYS through the one generic wrapper (function.wrap). Same names, signatures and
docstrings as backprop_ref.functional; each one's grad_fn calls `<op>_backward` (the kernel
of backprop_ref.kernels, tested equal to the lesson).
"""

from ...functional import ARRAYS
from ..function import wrap

globals().update({name: wrap(name) for name in ARRAYS})

__all__ = list(ARRAYS)
