"""cross_entropy's two backward paths: the fused s (P * sum_c Y - Y) that the lesson runs, and
the atomic one (nll_loss's and the smoothing term's gradient, then log_softmax_backward), on
every op-table sample. test_parity checks the fused path against torch; here the atomic path
must give the same grad_input."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from op_table import OPS, every_sample

from backprop_ref.functional.cross_entropy import (
    cross_entropy,
    cross_entropy_backward,
    cross_entropy_backward_atomic,
)
from backprop_ref.precision import assert_close

CASES, IDS = every_sample([op for op in OPS if op.name == "cross_entropy"])


@pytest.mark.parametrize(("op", "dtype", "sample"), CASES, ids=IDS)
def test_atomic_path_equals_the_fused_one(op, dtype, sample):
    del op
    rng = np.random.default_rng(0)
    input, target, weight = sample.arrays
    kwargs = dict(sample.kwargs, weight=weight)
    shape = np.shape(cross_entropy(input, target, **kwargs))
    dL = np.asarray(rng.standard_normal(shape), dtype)
    fused = cross_entropy_backward(dL, input, target, **kwargs)[0]
    atomic = cross_entropy_backward_atomic(dL, input, target, **kwargs)  # grad_input only
    assert_close(atomic, fused, name="grad_input")


# --- a 3-class example worked by hand (docs/layers/cross_entropy.md) -------------------------
# x = (0, ln 2, ln 4): exp(x) = (1, 2, 4), so p = (1/7, 2/7, 4/7). The expected values are the
# closed forms worked out in the chapter, written as numbers here.

X_BY_HAND = np.log([1.0, 2.0, 4.0])
BY_HAND = [
    # (name, X, target, kwargs, dL, L, dX)
    ("target 2", X_BY_HAND[None], np.array([2]), {}, 7.0, np.log(7 / 4), [[1.0, 2.0, -3.0]]),
    (
        # the target becomes q = (0.1, 0.1, 0.8); dX = 7 (p - q)
        "smoothing 0.3",
        X_BY_HAND[None],
        np.array([2]),
        {"label_smoothing": 0.3},
        7.0,
        -(0.1 * np.log(1 / 7) + 0.1 * np.log(2 / 7) + 0.8 * np.log(4 / 7)),
        [[0.3, 1.3, -1.6]],
    ),
    (
        # mean divides by w_2 + w_0 = 4; effective targets 3 e_2 and e_0: 3p - 3e_2, p - e_0
        "weight (1, 1, 3)",
        np.stack([X_BY_HAND, X_BY_HAND]),
        np.array([2, 0]),
        {"weight": np.array([1.0, 1.0, 3.0])},
        4.0,
        (3 * np.log(7 / 4) + np.log(7)) / 4,
        [[3 / 7, 6 / 7, -9 / 7], [-6 / 7, 2 / 7, 4 / 7]],
    ),
]


@pytest.mark.parametrize("case", BY_HAND, ids=[c[0] for c in BY_HAND])
def test_three_classes_by_hand(case):
    _, X, T, kw, dL, L_hand, dX_hand = case
    x = torch.tensor(X, requires_grad=True)
    tkw = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
    loss = F.cross_entropy(x, torch.tensor(T), **tkw)
    loss.backward(torch.tensor(dL, dtype=torch.float64))
    dL = np.array(dL)
    for name, value, expected in [
        ("torch loss", loss.item(), L_hand),
        ("our loss", cross_entropy(X, T, **kw), L_hand),
        ("torch grad_input", x.grad.numpy(), dX_hand),
        ("our grad_input", cross_entropy_backward(dL, X, T, **kw)[0], dX_hand),
        ("our atomic grad_input", cross_entropy_backward_atomic(dL, X, T, **kw), dX_hand),
    ]:
        np.testing.assert_allclose(value, expected, rtol=1e-14, atol=1e-14, err_msg=name)
