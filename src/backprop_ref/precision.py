"""The precision policy: how close a result of ours must be to torch's, per dtype.

Chapter: docs/verification/how_we_know.md (where the numbers are measured). The one place that
holds a tolerance: the test suite, the command line and the benchmark all compare through
`compare` (or `assert_close`, which raises on a mismatch).

|ours - torch| <= atol * scale + rtol * |torch|, with scale = max(1, max |torch| over the finite
entries); NaN must meet NaN and an infinity the same infinity:
- float64: rtol 1e-10, atol 1e-12. Any sum of K float64 products differs between two summation
  orders by at most about K * 1.1e-16 of the sum of |terms|; with K up to a few thousand that
  stays below 1e-12.
- float32: rtol 1e-5, atol 1e-5. float32's unit roundoff is 6e-8; the same bound for K = 400
  (LeNet's fc1) is 2.4e-5 of the sum of |terms| in the worst case and about 1e-6 typically
  (errors of random sign grow like sqrt(K)).
"""

from typing import NamedTuple

import numpy as np

TOLERANCES = {"float64": (1e-10, 1e-12), "float32": (1e-5, 1e-5)}


def tolerance(dtype):
    """(rtol, atol) for a dtype (a numpy dtype, type or name); atol is scaled as above."""
    return TOLERANCES[np.dtype(dtype).name]


class Comparison(NamedTuple):
    """What `compare` found: ok, the largest |ours - torch|, and that over max(1, max |torch|)."""

    ok: bool
    max_abs: float
    max_rel: float
    reason: str  # "" when ok; else what differs (shape, dtype, values)


def _numpy(value):
    if hasattr(value, "detach"):  # a torch tensor; torch itself is never imported here
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def compare(actual, expected, dtype=None):
    """Compare a result of ours with torch's (an ndarray or a tensor) under the policy.

    Shapes and dtypes must match exactly; the tolerance is the dtype's (or `dtype`'s, when
    given: the benchmark compares float32 runs against float64 references that way).
    """
    if actual is None or expected is None:
        same = actual is None and expected is None
        return Comparison(same, 0.0, 0.0, "" if same else "one side is None")
    a, e = _numpy(actual), _numpy(expected)
    if a.shape != e.shape:
        return Comparison(False, np.inf, np.inf, f"shape {a.shape} != {e.shape}")
    if dtype is None and a.dtype != e.dtype:
        return Comparison(False, np.inf, np.inf, f"dtype {a.dtype} != {e.dtype}")
    rtol, atol = tolerance(dtype or e.dtype)
    a64, e64 = a.astype(np.float64), e.astype(np.float64)
    finite = np.isfinite(e64)
    scale = max(1.0, float(np.abs(e64[finite]).max())) if finite.any() else 1.0
    special_ok = np.array_equal(a64[~finite], e64[~finite], equal_nan=True)
    diff = np.abs(a64[finite] - e64[finite])
    max_abs = float(diff.max()) if diff.size else 0.0
    if not np.isfinite(a64[finite]).all():
        max_abs = np.inf
    within = bool(np.all(diff <= atol * scale + rtol * np.abs(e64[finite])))
    ok = within and special_ok and bool(np.isfinite(a64[finite]).all())
    reason = "" if ok else ("NaN/inf entries differ" if not special_ok else "values differ")
    return Comparison(ok, max_abs, max_abs / scale, reason)


def assert_close(actual, expected, name="value", dtype=None):
    """`compare`, raising AssertionError with the largest differences when it fails."""
    c = compare(actual, expected, dtype)
    if not c.ok:
        raise AssertionError(
            f"{name}: {c.reason} (max |ours - torch| = {c.max_abs:.3g}, relative to "
            f"max(1, max |torch|): {c.max_rel:.3g}; tolerance rtol, atol = "
            f"{tolerance(dtype or _numpy(expected).dtype)})"
        )
