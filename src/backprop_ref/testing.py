"""Tools to check a backward pass: finite differences, the adjoint test, a torch wrapper.

Chapter: docs/verification/how_we_know.md

- `numerical_gradient`: the gradient of <dY, f(x)> by central differences, no backward needed.
- `adjoint_test`: both sides of <dY, J u> = <J^T dY, u>, without ever forming J.
- `as_torch_function`: our numpy forward and backward inside a `torch.autograd.Function`, so
  `torch.autograd.gradcheck` (or any torch model) can use them.

Only `as_torch_function` needs torch, and imports it when called: the finite differences and
the adjoint test run with numpy alone.
"""

import numpy as np


# --8<-- [start:numerical-gradient]
def numerical_gradient(f, x, grad_output, eps=1e-6):
    """d<grad_output, f(x)>/dx by central differences, in float64.

    f maps an array shaped like x to an array shaped like grad_output. Each element of a float64
    copy of x is moved by +eps and -eps in turn; x itself is never written to.
    Cost: 2 * x.size calls of f.
    """
    x = np.array(x, dtype=np.float64)  # a copy: the caller's array is never perturbed
    dY = np.asarray(grad_output, dtype=np.float64)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        saved = x[i]
        x[i] = saved + eps
        up = np.sum(dY * f(x.copy()))  # a copy again, in case f writes to its input
        x[i] = saved - eps
        down = np.sum(dY * f(x.copy()))
        x[i] = saved
        grad[i] = (up - down) / (2 * eps)
    return grad


# --8<-- [end:numerical-gradient]


# --8<-- [start:adjoint-test]
def adjoint_test(f, f_backward, x, rng, eps=1e-6):
    """Both sides of the dot-product test <dY, J u> = <J^T dY, u>; returns (lhs, rhs).

    f: x -> y; f_backward: dY -> dX (the backward under test, every other argument fixed).
    u and dY are random. J u is a directional derivative, one central difference along u:
    two calls of f whatever the size of x. For a map affine in x the central difference is
    exact for any step: pass eps=1.0 there and lhs equals rhs up to rounding.
    """
    x = np.asarray(x, dtype=np.float64)
    u = rng.standard_normal(x.shape)
    dY = rng.standard_normal(np.shape(f(x.copy())))
    Ju = (f(x + eps * u) - f(x - eps * u)) / (2 * eps)
    lhs = np.sum(dY * Ju)
    rhs = np.sum(f_backward(dY) * u)
    return float(lhs), float(rhs)


# --8<-- [end:adjoint-test]


# --8<-- [start:as-torch-function]
def as_torch_function(forward, backward, array_positions=None):
    """A torch.autograd.Function running our numpy `forward` and `backward`.

    Call it as `Fn.apply(*args)`: positional arguments in the forward's order (apply takes no
    keywords), without flags the backward does not take (max_pool2d's return_indices).
    Tensors reach numpy as arrays, the other arguments (stride, "mean", None) as they are.
    `backward(grad_output, *args)` returns one gradient per array argument (a bare array when
    there is one); torch gets them in the same order, None for the non-tensor arguments.
    `array_positions`: the positions of the array arguments, where the gradients go, when they
    are not the first arguments (layer_norm(input, normalized_shape, weight, bias): [0, 2, 3]).
    """
    import torch  # here, not at the top: the rest of this module needs numpy only
    from torch.autograd.function import once_differentiable

    class NumpyFunction(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *args):
            # tensors are saved the torch way; the rest (stride, "mean", None) kept as they are
            ctx.is_tensor = [isinstance(a, torch.Tensor) for a in args]
            ctx.save_for_backward(*[a for a in args if isinstance(a, torch.Tensor)])
            ctx.others = [a for a in args if not isinstance(a, torch.Tensor)]
            arrays = [a.detach().numpy() if isinstance(a, torch.Tensor) else a for a in args]
            return torch.from_numpy(np.array(forward(*arrays)))

        @staticmethod
        @once_differentiable  # our backward is numpy: torch cannot differentiate through it
        def backward(ctx, grad_output):
            tensors, others = iter(ctx.saved_tensors), iter(ctx.others)
            args = [next(tensors).numpy() if t else next(others) for t in ctx.is_tensor]
            grads = backward(grad_output.numpy(), *args)
            if not isinstance(grads, tuple):
                grads = (grads,)
            grads = [None if g is None else torch.from_numpy(np.array(g)) for g in grads]
            if array_positions is not None:  # each gradient at its array's position
                placed = [None] * len(args)
                for position, g in zip(array_positions, grads, strict=True):
                    placed[position] = g
                return tuple(placed)
            # one entry per argument of forward: pad with None (stride, ...), drop the extra
            # None a backward returns for an optional argument that was not passed (bias)
            return tuple((grads + [None] * len(args))[: len(args)])

    return NumpyFunction


# --8<-- [end:as-torch-function]
