"""embedding: what the op table cannot express (its samples are read-only). The parity of
every sample (repeated indices, padding_idx negative, scale_grad_by_freq, sparse, empty and
0-d index arrays) is in tests/test_parity.py. Here: max_norm's in-place renormalization of
the weight, against torch's, over repeated calls and several norms."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from op_table import BY_NAME, IMPLEMENTATIONS
from support import DTYPES, assert_close, rand

OP = BY_NAME["embedding"]


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("max_norm", "norm_type"),
    [(1.0, 2.0), (0.5, 1.0), (0.8, float("inf")), (2.0, 3.0), (-1.0, 2.0)],
)
def test_max_norm_renormalizes_the_referenced_rows_in_place(max_norm, norm_type, dtype, impl):
    """Only rows the input refers to, once each however often; scale max_norm / (norm + 1e-7);
    a negative max_norm flips the row's sign in torch (every norm exceeds it), and in ours."""
    embedding, embedding_backward = OP.ours(impl)
    rng = np.random.default_rng(3)
    W = rand(rng, (6, 4), dtype) * 2
    W_t = torch.tensor(W, requires_grad=True)
    for idx in (np.array([[0, 2, 2], [5, 2, 0]]), np.array([1, 2, 3])):  # two calls in a row
        before = W.copy()
        Y = embedding(idx, W, max_norm=max_norm, norm_type=norm_type)
        Y_t = F.embedding(torch.tensor(idx), W_t, max_norm=max_norm, norm_type=norm_type)
        assert_close(W, W_t.detach(), "weight after renormalization")
        assert_close(Y, Y_t, "output")
        untouched = np.setdiff1d(np.arange(6), idx)
        np.testing.assert_array_equal(W[untouched], before[untouched])
        dY = rand(rng, Y.shape, dtype)
        W_t.grad = None
        Y_t.backward(torch.tensor(dY))
        _, dW = embedding_backward(dY, idx, W, max_norm=max_norm, norm_type=norm_type)
        assert_close(dW, W_t.grad, "grad_weight")  # the renormalization is outside the graph


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_sparse_with_scale_grad_by_freq_is_refused_as_torch(impl):
    embedding, embedding_backward = OP.ours(impl)
    idx, W = np.array([0, 1, 1]), np.ones((3, 2))
    W_t = torch.tensor(W, requires_grad=True)
    y = F.embedding(torch.tensor(idx), W_t, scale_grad_by_freq=True, sparse=True)
    with pytest.raises(RuntimeError, match="not supported with sparse"):
        y.backward(torch.ones_like(y))
    embedding(idx, W, scale_grad_by_freq=True, sparse=True)  # the forward is fine in both
    with pytest.raises(ValueError, match=r"^embedding_backward: scale_grad_by_freq"):
        embedding_backward(np.ones((3, 2)), idx, W, scale_grad_by_freq=True, sparse=True)


@pytest.mark.parametrize("impl", IMPLEMENTATIONS)
def test_max_norm_on_a_read_only_weight_raises_only_when_it_writes(impl):
    embedding = OP.ours(impl)[0]
    W = np.array([[3.0, 4.0], [0.3, 0.4]])
    W.flags.writeable = False
    np.testing.assert_array_equal(embedding(np.array([1]), W, max_norm=1.0), [[0.3, 0.4]])
    with pytest.raises(ValueError, match=r"^embedding: max_norm=1.0 rescales rows \[0\]"):
        embedding(np.array([1, 0]), W, max_norm=1.0)
