"""Random small graphs against torch autograd, float64, rtol 1e-10: fan-out (a tensor used by
several ops, and twice by one), broadcasting in both directions, views, indexing with repeated
indices, sums, matmul; random upstream gradients (never ones)."""

import numpy as np
import pytest
import torch as real_torch

import backprop_ref.engine as engine
from backprop_ref.precision import assert_close

SHAPES = [(3, 4), (4,), (1, 4), (3, 1), ()]  # all broadcast to (3, 4)


def _ops(lib):
    """(name, arity, fn): each fn works on both libraries' tensors."""
    return [
        ("add", 2, lambda a, b: a + b),
        ("sub", 2, lambda a, b: a - b),
        ("mul", 2, lambda a, b: a * b),
        ("div", 2, lambda a, b: a / (b * b + 1)),
        ("pow", 1, lambda a: a**2),
        ("pow_tensor", 2, lambda a, b: (a * a + 1) ** b),
        ("rsub", 1, lambda a: 2.5 - a),
        ("rdiv", 1, lambda a: 1.5 / (a * a + 1)),
        ("neg_scale", 1, lambda a: -a * 0.5),
        ("self_mul", 1, lambda a: a * a),  # one op reading one tensor twice
        ("relu", 1, lambda a: lib.nn.functional.relu(a)),
        ("sigmoid", 1, lambda a: lib.sigmoid(a)),
        ("sum0", 1, lambda a: a.sum(0, keepdim=True) if a.ndim == 2 else a.sum()),
        ("sum1", 1, lambda a: a.sum(1, keepdim=True) if a.ndim == 2 else a * 1.0),
        ("view_t", 1, lambda a: a.reshape(4, 3).t() if tuple(a.shape) == (3, 4) else a + 0),
        ("transpose2", 1, lambda a: lib.transpose(a.transpose(0, 1), 0, 1) if a.ndim == 2 else a),
        (
            "index",
            1,
            lambda a: (
                a[[2, 0, 2]] if a.ndim == 2 and a.shape[0] == 3 else a[..., :] if a.ndim else a
            ),
        ),
        ("matmul", 1, lambda a: a @ W[lib] if tuple(a.shape[-1:]) == (4,) else a),
        ("py_sum", 1, lambda a: sum(a) if a.ndim == 2 else a),  # iteration: rows, added
    ]


W = {}


def build(seed):
    """A random program: a list of (op index, operand indices) over a growing pool."""
    rng = np.random.default_rng(seed)
    leaves = [rng.standard_normal(SHAPES[i % len(SHAPES)]) for i in range(5)]
    program = []
    n_ops = len(_ops(engine))
    pool = len(leaves)
    for _ in range(8):
        k = int(rng.integers(n_ops))
        arity = _ops(engine)[k][1]
        program.append((k, [int(rng.integers(pool)) for _ in range(arity)]))
        pool += 1
    return rng, leaves, program


def run(lib, leaves, program, last_grad_rng):
    tensors = [lib.tensor(x, requires_grad=True) for x in leaves]
    pool = list(tensors)
    for k, args in program:
        pool.append(_ops(lib)[k][2](*(pool[i] for i in args)))
    # every pool value reaches the output: fan-out everywhere
    out = sum(p.sum() * (0.1 * (i + 1)) for i, p in enumerate(pool[len(leaves) :]))
    out = out * pool[-1]  # the last value twice: in the sum and here
    dY = last_grad_rng.standard_normal(tuple(out.shape))
    out.backward(lib.tensor(dY))
    return out, [t.grad for t in tensors]


@pytest.mark.parametrize("seed", range(40))
def test_random_graph_matches_torch(seed):
    rng, leaves, program = build(seed)
    w = rng.standard_normal((4, 4))
    W[engine], W[real_torch] = engine.tensor(w), real_torch.tensor(w)
    ours, grads = run(engine, leaves, program, np.random.default_rng(seed))
    theirs, grads_t = run(real_torch, leaves, program, np.random.default_rng(seed))
    assert_close(ours.detach().numpy(), theirs, "output")
    for i, (g, gt) in enumerate(zip(grads, grads_t, strict=True)):
        assert (g is None) == (gt is None), f"leaf {i}"
        if g is not None:
            assert g.dtype == np.float64
            assert_close(g.numpy(), gt, f"leaf {i} {leaves[i].shape}")
