"""Embedding: forward and backward. Chapter: docs/layers/embedding.md.

Index letters: i runs over the positions of the index array (any shape, flattened), k over
the rows of the weight (num_embeddings of them), d over the embedding dimension. The forward
selects rows, Y[i, :] = W[idx[i], :]; the backward sends each dY[i, :] back to the row it came
from, and rows picked more than once collect the sum: a scatter-add.
"""

import numpy as np

from . import _checks

INDEX_DTYPES = (np.int32, np.int64)  # torch's Int and Long


def _setup(input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse, op):
    W = _checks.array(weight, "weight", op)
    if W.ndim != 2:
        raise ValueError(f"{op}: weight must be 2-D (num_embeddings, embedding_dim), got {W.shape}")
    if not isinstance(input, np.ndarray):
        raise TypeError(
            f"{op}: input must be a numpy.ndarray of indices, got {type(input).__name__}"
        )
    if input.dtype not in INDEX_DTYPES:
        raise TypeError(
            f"{op}: input must hold int64 or int32 indices, got {input.dtype} (shape {input.shape})"
        )
    K = W.shape[0]
    if input.size:
        lo, hi = int(input.min()), int(input.max())
        bad = lo if lo < 0 else hi
        if lo < 0 or hi >= K:
            raise IndexError(
                f"{op}: input holds index {bad}, out of range [0, {K - 1}] for num_embeddings "
                f"= {K} (weight {W.shape})"
            )
    if padding_idx is not None:
        padding_idx = _checks.integer(padding_idx, "padding_idx", op)
        if not -K <= padding_idx < K:
            raise ValueError(
                f"{op}: padding_idx must be within num_embeddings = {K}, i.e. in [{-K}, {K - 1}], "
                f"got {padding_idx}"
            )
        padding_idx %= K  # a negative padding_idx counts from the end, as in torch
    for name, v in (("max_norm", max_norm), ("norm_type", norm_type)):
        if v is None and name == "max_norm":
            continue
        if isinstance(v, (bool, np.bool_)) or not isinstance(
            v, (int, float, np.integer, np.floating)
        ):
            raise TypeError(f"{op}: {name} must be a float, got {v!r}")
    scale_grad_by_freq = _checks.flag(scale_grad_by_freq, "scale_grad_by_freq", op)
    sparse = _checks.flag(sparse, "sparse", op)
    return input, W, padding_idx, scale_grad_by_freq, sparse


# --8<-- [start:embedding-renorm]
def _renorm(W, idx, max_norm, norm_type):
    """In place, as torch.embedding_renorm_: every row idx refers to (once, however often it
    is referred to) whose norm exceeds max_norm is scaled by max_norm / (norm + 1e-7)."""
    rows = np.unique(idx)
    norms = np.linalg.norm(W[rows], ord=float(norm_type), axis=1).astype(np.float64)  # in W's dtype
    over = norms > max_norm
    scale = max_norm / (norms[over] + 1e-7)  # in float64, as torch's double
    if over.any() and not W.flags.writeable:
        raise ValueError(
            f"embedding: max_norm={max_norm} rescales rows {rows[over].tolist()} of weight "
            f"{W.shape} in place (as torch), but weight is read-only"
        )
    if over.any():  # only then is weight written
        W[rows[over]] *= scale.astype(W.dtype)[:, None]  # torch multiplies in W's dtype


# --8<-- [end:embedding-renorm]


def embedding(
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
):
    """Y[..., :] = W[input[...], :], as torch.nn.functional.embedding.

    Shapes: input (*) of int64 or int32 indices in [0, num_embeddings), weight
    (num_embeddings, embedding_dim) -> (*, embedding_dim). padding_idx (negative counts from
    the end) changes only the backward: the forward returns that row as it is. With max_norm,
    the rows input refers to whose norm_type-norm exceeds max_norm are first rescaled in
    `weight` itself, in place, as torch does (so weight must be writeable when that happens).
    """
    op = "embedding"
    idx, W, _, _, _ = _setup(
        input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse, op
    )
    if max_norm is not None and idx.size:
        _renorm(W, idx, float(max_norm), norm_type)
    # --8<-- [start:embedding-forward]
    Y = W[idx]  # (1) Y[i, d] = W[idx[i], d]
    # --8<-- [end:embedding-forward]
    return Y


def embedding_backward(
    grad_output,
    input,
    weight,
    padding_idx=None,
    max_norm=None,
    norm_type=2.0,
    scale_grad_by_freq=False,
    sparse=False,
):
    """(None, grad_weight): no gradient for the indices; grad_weight[k] = sum of dY[i] over the
    positions i with input[i] = k (divided by that count with scale_grad_by_freq), and 0 for
    the padding_idx row.

    Shapes: grad_output (*, embedding_dim), input (*) -> grad_weight (num_embeddings,
    embedding_dim). sparse=True: torch returns a sparse COO gradient; ours is its dense
    equivalent (torch's `.to_dense()`), a full (num_embeddings, embedding_dim) array. As torch,
    sparse=True with scale_grad_by_freq=True is refused (torch raises in its backward). max_norm
    changes nothing here (torch treats the renormalization as outside the graph); pass the
    weight after the forward's renormalization, or before it: it is not read.
    """
    op = "embedding_backward"
    idx, W, pad, by_freq, sparse = _setup(
        input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse, op
    )
    dY = _checks.array(grad_output, "grad_output", op)
    _checks.same_dtype(op, grad_output=dY, weight=W)
    _checks.grad_like(dY, (*idx.shape, W.shape[1]), op)
    if sparse and by_freq:
        raise ValueError(
            f"{op}: scale_grad_by_freq=True is not supported with sparse=True (torch: "
            "'embedding_backward: scale_grad_by_freq not supported with sparse gradients')"
        )
    # --8<-- [start:embedding-backward]
    flat = idx.reshape(-1)  # i: every position of the index array
    G = dY.reshape(flat.size, W.shape[1])  # dY[i, :]
    if by_freq:  # each row's share: 1 / (how often it is picked in this input)
        counts = np.bincount(flat, minlength=W.shape[0])
        G = G * (1.0 / counts[flat]).astype(W.dtype)[:, None]  # (3)
    if pad is not None:  # the padding row gets no gradient
        keep = flat != pad
        flat, G = flat[keep], G[keep]
    dW = np.zeros_like(W)
    np.add.at(dW, flat, G)  # (2) dW[k] = sum over i with idx[i] = k of dY[i]: repeats add up
    # --8<-- [end:embedding-backward]
    return None, dW
