"""avg_pool2d and adaptive_avg_pool2d: what the op table's parity samples cannot hold.

Every call against torch autograd and every bad input are the op table's (tests/op_table.py,
run by test_parity and test_bad_input). Here: adaptive outputs of size 0 and inputs without
channels, which torch's forward takes but its backward refuses (so they are not op-table
samples): ours against torch's forward, and our backward's zero gradient; and the adaptive
windows' start and end rows against torch's, read off its output on a one-hot input.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from backprop_ref.functional import adaptive_avg_pool2d, adaptive_avg_pool2d_backward
from backprop_ref.functional.avg_pool2d import _adaptive_rows

TIGHT = {"rtol": 1e-12, "atol": 1e-13}


@pytest.mark.parametrize(
    ("shape", "output_size"),
    [((2, 3, 5, 4), (0, 3)), ((2, 3, 5, 4), 0), ((3, 5, 4), (2, 0)), ((2, 0, 5, 4), (2, 3))],
)
def test_empty_outputs_match_torchs_forward(shape, output_size):
    X = np.random.default_rng(0).standard_normal(shape)
    Y = adaptive_avg_pool2d(X, output_size)
    Y_t = F.adaptive_avg_pool2d(torch.tensor(X), output_size)
    assert Y.shape == tuple(Y_t.shape) and Y.dtype == X.dtype
    dX = adaptive_avg_pool2d_backward(np.zeros_like(Y), X, output_size)
    assert dX.shape == X.shape and not dX.any()  # nothing flows back from an empty output


@pytest.mark.parametrize(("size", "out"), [(5, 3), (7, 3), (2, 3), (10, 4), (1, 5), (6, 6)])
def test_adaptive_windows_are_torchs(size, out):
    """Which rows window i covers, as torch decides: pool a one-hot column h; window i holds
    row h exactly when its output is nonzero."""
    h, lengths = _adaptive_rows(size, out)
    ours = np.zeros((out, size), bool)
    for i in range(out):
        ours[i, h[: lengths[i], i]] = True
    theirs = np.zeros((out, size), bool)
    for row in range(size):
        X = torch.zeros(1, 1, size, 1, dtype=torch.float64)
        X[0, 0, row, 0] = 1.0
        theirs[:, row] = F.adaptive_avg_pool2d(X, (out, 1)).numpy()[0, 0, :, 0] != 0
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_allclose(lengths, theirs.sum(axis=1), **TIGHT)
