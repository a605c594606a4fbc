"""Dropout: forward and backward. Chapter: docs/layers/dropout.md.

In training, each element is kept with probability 1 - p (the mask M, 1 where kept) and the
kept ones are scaled by 1 / (1 - p), so that E[Y] = X; in evaluation the op is the identity.
torch draws M from its own random generator and keeps it inside autograd; here the randomness
is explicit: M comes from a numpy Generator, or is passed with `mask=`, and the backward needs
that same mask. `read_torch_mask` reads torch's mask from its output.
"""

import numpy as np

from . import _checks


def _setup(input, p, training, inplace, mask, op, writes=True):
    X = _checks.array(input, "input", op)
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: p must be a float, got {p!r} ({type(p).__name__})")
    p = float(p)
    if not 0.0 <= p <= 1.0:  # NaN fails too
        raise ValueError(f"{op}: dropout probability has to be between 0 and 1, but got {p}")
    training = _checks.flag(training, "training", op)
    if _checks.flag(inplace, "inplace", op) and writes and not X.flags.writeable:
        raise ValueError(f"{op}: inplace=True needs a writeable input, got a read-only {X.shape}")
    if mask is not None:
        mask = _mask(mask, X, p, op)
    return X, p, training, mask


def _mask(mask, X, p, op):
    """A boolean mask of X's shape, from bools or 0/1 numbers; at p = 0 and p = 1 the mask is
    determined (all kept, all dropped), and a given one must agree."""
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"{op}: mask must be a numpy.ndarray, got {type(mask).__name__}")
    if mask.shape != X.shape:
        raise ValueError(f"{op}: mask must have the input's shape {X.shape}, got {mask.shape}")
    if mask.dtype != np.bool_:
        if mask.dtype.kind not in "iuf":
            raise TypeError(f"{op}: mask must be bool or 0/1 numbers, got {mask.dtype}")
        if not np.isin(mask, (0, 1)).all():
            raise ValueError(f"{op}: mask must hold only 0 and 1, for input {X.shape}")
        mask = mask != 0
    if (p == 0.0 and not mask.all()) or (p == 1.0 and mask.any()):
        raise ValueError(
            f"{op}: mask disagrees with p={p}: p = 0 keeps every element, p = 1 drops every "
            f"element (input {X.shape})"
        )
    return mask


def draw_mask(shape, p, generator=None):
    """The mask dropout draws: True (kept) with probability 1 - p, independently per element,
    from `generator` (a numpy.random.Generator; default np.random.default_rng()).

    dropout(x, p, generator=np.random.default_rng(s)) equals
    dropout(x, p, mask=draw_mask(x.shape, p, np.random.default_rng(s))): draw the mask first
    when the backward needs it.
    """
    if generator is None:
        generator = np.random.default_rng()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(
            f"dropout: generator must be a numpy.random.Generator, got {type(generator).__name__}"
        )
    return generator.random(shape) < 1.0 - p  # P(kept) = 1 - p


def read_torch_mask(output, input):
    """torch's dropout mask, read from its output: kept exactly where output != 0.

    That holds only where the input itself is not 0 (a kept 0 is still 0), so the input must
    have no zeros (nor NaN, which torch keeps as NaN whether it drops it or not:
    NaN * 0 = NaN). Both as numpy arrays (`t.detach().numpy()`); returns a bool array.
        y = F.dropout(torch.tensor(x), p); mask = read_torch_mask(y.numpy(), x)
    """
    output, input = np.asarray(output), np.asarray(input)
    if output.shape != input.shape:
        raise ValueError(
            f"read_torch_mask: output {output.shape} and input {input.shape} must have one shape"
        )
    if (input == 0).any() or np.isnan(input).any():
        raise ValueError(
            "read_torch_mask: the input has zeros or NaN, where the output cannot tell kept "
            "from dropped; read the mask from a run on an input without them"
        )
    return output != 0


def dropout(input, p=0.5, training=True, inplace=False, *, mask=None, generator=None):
    """Y = X * M / (1 - p) in training, as torch.nn.functional.dropout; Y = X in evaluation.

    Shapes: input (*), mask (*) -> (*). M is `mask` (bools or 0/1, input's shape) or is drawn
    from `generator` (see draw_mask); keyword-only, torch has neither. As torch:
    training=False, p = 0 or an empty input returns `input` itself (the same array object, not
    a copy); p = 1 gives X * 0 (zeros, NaN where X is inf or NaN); a dropped inf or NaN gives NaN;
    inplace=True writes Y into `input` and returns it. In evaluation (and at p = 0 or 1) a
    given mask is checked, not needed.
    """
    op = "dropout"
    X, p, training, M = _setup(input, p, training, inplace, mask, op)
    # --8<-- [start:dropout-forward]
    if not training or p == 0.0 or X.size == 0:
        return X  # the identity: torch returns its input tensor itself
    if p == 1.0:
        scale = np.zeros((), X.dtype)  # torch: input * 0
    else:
        if M is None:
            M = draw_mask(X.shape, p, generator)  # True (kept) with probability 1 - p
        scale = M.astype(X.dtype) / X.dtype.type(1 - p)  # (1) 1/(1-p) where kept, 0 where dropped
    if inplace:
        np.multiply(X, scale, out=X)  # (2), written into the input
        return X
    Y = X * scale  # (2)
    # --8<-- [end:dropout-forward]
    return np.asarray(Y)  # a 0-d input gives a 0-d array, not a numpy scalar


def dropout_backward(
    grad_output, input, p=0.5, training=True, inplace=False, *, mask=None, generator=None
):
    """dX = dY * M / (1 - p) in training; dX = dY in evaluation, at p = 0 and for an empty
    input; dX = dY * 0 at p = 1.

    Shapes: grad_output (*), input (*) -> (*). In training with 0 < p < 1, `mask` must be the
    mask the forward used (there is no other way to know it); `generator` is accepted for
    symmetry with the forward and not used. The input's values do not enter (after
    inplace=True, pass the overwritten array: only its shape and dtype count).
    """
    op = "dropout_backward"
    X, p, training, M = _setup(input, p, training, inplace, mask, op, writes=False)
    dY = _checks.array(grad_output, "grad_output", op)
    _checks.same_dtype(op, grad_output=dY, input=X)
    _checks.grad_like(dY, X.shape, op)
    if not training or p == 0.0 or X.size == 0:
        return dY.copy()  # the identity's gradient
    if p == 1.0:
        return np.asarray(dY * np.zeros((), X.dtype))
    if M is None:
        raise ValueError(
            f"{op}: mask= is required in training mode with 0 < p < 1 (p={p}, input "
            f"{X.shape}): pass the mask the forward used, e.g. from draw_mask"
        )
    # --8<-- [start:dropout-backward]
    scale = M.astype(X.dtype) / X.dtype.type(1 - p)  # (1)
    dX = dY * scale  # (3) the same mask and scale as the forward
    # --8<-- [end:dropout-backward]
    return np.asarray(dX)
