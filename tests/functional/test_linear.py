"""linear: what is not a parity-per-sample. The torch comparisons of the op table's samples
(1-D input, batch x time, non-square weights both ways, with and without bias, views, empty
batches) are in tests/test_parity.py; the bad input is in tests/test_bad_input.py."""

import numpy as np
import pytest
import torch
from op_table import BY_NAME, IMPLEMENTATIONS
from support import assert_close, rand

OP = BY_NAME["linear"]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_weight_gradient_sums_over_every_leading_index(impl):
    """(B, T, in) is the same as (B*T, in): the gradients of W and b sum over B and T."""
    linear_backward = OP.ours(impl)[1]
    rng = np.random.default_rng(1)
    X = rand(rng, (3, 4, 5), np.float64)
    W = rand(rng, (2, 5), np.float64)
    b = rand(rng, (2,), np.float64)
    dY = rand(rng, (3, 4, 2), np.float64)
    _, dW, db = linear_backward(dY, X, W, b)
    _, dW_flat, db_flat = linear_backward(dY.reshape(12, 2), X.reshape(12, 5), W, b)
    assert_close(dW, dW_flat, "grad_weight")
    assert_close(db, db_flat, "grad_bias")


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_module_convention_y_equals_x_w_transpose(impl):
    """torch.nn.Linear(in, out).weight has shape (out, in); our linear uses it unchanged."""
    linear = OP.ours(impl)[0]
    torch.manual_seed(0)
    layer = torch.nn.Linear(3, 2).double()
    assert tuple(layer.weight.shape) == (2, 3)
    X = np.random.default_rng(4).standard_normal((4, 3))
    W = layer.weight.detach().numpy()
    b = layer.bias.detach().numpy()
    assert_close(linear(X, W, b), layer(torch.tensor(X)), "output")
