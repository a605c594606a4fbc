"""The precision policy: how close a result of ours must be to torch's, per dtype.

Chapter: docs/verification/how_we_know.md (where the numbers are measured). Used by the test
suite (tests/support.py) and by the command line (backprop_ref.cli).

|ours - torch| <= atol * scale + rtol * |torch|, with scale = max(1, max |torch|):
- float64: rtol 1e-10, atol 1e-12. Any sum of K float64 products differs between two summation
  orders by at most about K * 1.1e-16 of the sum of |terms|; with K up to a few thousand that
  stays below 1e-12.
- float32: rtol 1e-5, atol 1e-5. float32's unit roundoff is 6e-8; the same bound for K = 400
  (LeNet's fc1) is 2.4e-5 of the sum of |terms| in the worst case and about 1e-6 typically
  (errors of random sign grow like sqrt(K)).
"""

import numpy as np

TOLERANCES = {"float64": (1e-10, 1e-12), "float32": (1e-5, 1e-5)}


def tolerance(dtype):
    """(rtol, atol) for a dtype (a numpy dtype, type or name); atol is scaled as above."""
    return TOLERANCES[np.dtype(dtype).name]
