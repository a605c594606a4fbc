"""The fast path: the same ops as backprop_ref.functional, same names, signatures and checks,
tuned for speed. Chapter: docs/performance.md (every trick here, with the gain it measured).

The models and the benchmark call these; the chapters include the lesson in functional/.
Each kernel is tested equal to its lesson on the op table (tests/test_kernels.py).
"""

# placeholder while the kernels move here: every name is the lesson's for now
from ..functional import *  # noqa: F403
from ..functional import __all__  # noqa: F401
