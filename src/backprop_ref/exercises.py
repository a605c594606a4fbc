"""Exercises: derive a gradient yourself, and be told at once whether it is right.

The exercises, one notebook per op chapter and LeNet's full backward, are listed in
docs/exercises/index.md. Each computes the gradients torch gives with `expected` (or
`expected_lenet`), lets the reader compute their own, and hands both to `check`:

    want = expected("linear", dY, input=X, weight=W, bias=b)
    check("linear", {"input": dX, "weight": dW, "bias": db}, want)

`check(name, yours, expected)` takes a single array on both sides, or dicts of named arrays
(the names are the forward's argument names, as `expected` returns them), or tuples compared
position by position. For each gradient it prints "exact", "approximately equal" (within the
precision policy of backprop_ref.precision, the tolerance every test uses) or what is wrong,
with the largest difference, and it returns True only when every gradient is right. A wrong
value, a wrong shape or dtype, None, or a blank (`...`, "not filled in") gives False; `check`
never raises on a reader's answer.

Expected values come from torch's autograd when torch is installed, else from the reference
(`backprop_ref.functional`, itself tested against torch). The result says which: its `source`.
"""

import numpy as np

from . import functional
from .functional import ARRAYS
from .precision import compare, tolerance

# ops that torch has outside torch.nn.functional (F.sigmoid and F.tanh are deprecated aliases)
TORCH_TOP_LEVEL = {"flatten", "sigmoid", "tanh"}
LENET_PARAMETERS = tuple(
    f"{layer}.{kind}"
    for layer in ("conv1", "conv2", "fc1", "fc2", "fc3")
    for kind in ("weight", "bias")
)


class Expected(dict):
    """The expected gradients by argument (or parameter) name, and where they came from."""

    def __init__(self, grads, source):
        super().__init__(grads)
        self.source = source

    def pick(self, *names):
        """The same, for `names` only (an exercise that asks for some of the gradients)."""
        return Expected({name: self[name] for name in names}, self.source)


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


REFERENCE = "backprop_ref.functional (torch is not installed; the reference is tested against it)"


def _differentiable(op, arguments):
    """The names of the arguments that get a gradient: floating arrays that torch
    differentiates (not batch norm's running statistics, not the class weights of a loss
    with class-index targets)."""
    target = arguments.get("target")
    soft = isinstance(target, np.ndarray) and np.issubdtype(target.dtype, np.floating)
    names = []
    for name in ARRAYS[op]:
        value = arguments.get(name)
        if not isinstance(value, np.ndarray) or not np.issubdtype(value.dtype, np.floating):
            continue
        if name in ("running_mean", "running_var"):
            continue
        if op in ("cross_entropy", "nll_loss") and name == "weight" and not soft:
            continue
        if op == "nll_loss" and name == "target":
            continue
        names.append(name)
    return names


def expected(op, grad_output, /, **arguments):
    """The gradients of `op` at `arguments` for the upstream gradient `grad_output`.

    `op` is a name of ARRAYS; `arguments` are the forward's, by their torch names
    (`input=X, weight=W, ...`, dropout also takes the `mask=` its forward used). Returns an
    Expected: {argument name: gradient} for every differentiable array argument, from torch's
    autograd when torch is installed, else from `backprop_ref.functional`; `.source` says which.
    """
    if op not in ARRAYS:
        raise ValueError(f"expected: unknown op {op!r}; known: {', '.join(sorted(ARRAYS))}")
    names = _differentiable(op, arguments)
    first = np.asarray(arguments["input"])
    dtype = first.dtype if np.issubdtype(first.dtype, np.floating) else arguments["weight"].dtype
    dY = np.asarray(grad_output, dtype=dtype)
    torch = _torch()
    if torch is None:
        grads = getattr(functional, f"{op}_backward")(dY, **arguments)
        grads = dict(zip(ARRAYS[op], grads if isinstance(grads, tuple) else (grads,), strict=True))
        return Expected({n: grads[n] for n in names}, REFERENCE)
    return Expected(_from_torch(torch, op, dY, arguments, names), f"torch {torch.__version__}")


def _from_torch(torch, op, dY, arguments, names):
    args = {}
    for name, value in arguments.items():
        if isinstance(value, np.ndarray):
            # a copy: torch's batch_norm updates the running statistics in place
            value = torch.tensor(value, requires_grad=name in names)
        args[name] = value
    if op == "dropout":  # torch's own dropout backward, with the forward's mask and scale
        p, mask = args.get("p", 0.5), args.get("mask")
        if not args.get("training", True) or p == 0:
            return {"input": dY.copy()}
        if p == 1:
            return {"input": dY * np.zeros((), dY.dtype)}
        dX = torch.ops.aten.native_dropout_backward(torch.tensor(dY), mask.bool(), 1 / (1 - p))
        return {"input": dX.numpy()}
    fn = getattr(torch if op in TORCH_TOP_LEVEL else torch.nn.functional, op)
    out = fn(**args)
    out.backward(torch.tensor(dY))
    return {n: args[n].grad.numpy() for n in names}


def expected_lenet(params, x, target):
    """The gradient of the blitz LeNet's MSELoss()(net(x), target) for every parameter.

    `params`: {"conv1.weight": ..., ...} in torch's names (LENET_PARAMETERS); x (N, 1, 32, 32),
    target (N, 10). Returns an Expected keyed by parameter name, from torch's `.grad` when
    torch is installed, else from backprop_ref.models.LeNet (tested against torch).
    """
    torch = _torch()
    if torch is None:
        from .models import LeNet

        net = LeNet(dtype=x.dtype)
        net.load_state_dict(params)
        y = net(x)
        dy = functional.mse_loss_backward(np.ones((), x.dtype), y, target)[0]
        net.backward(dy)
        grads = {name: net.grads[name] for name in LENET_PARAMETERS}
        return Expected(grads, REFERENCE.replace("functional", "models.LeNet"))
    from .models.torch_reference import BlitzNet

    net = BlitzNet().to(torch.float64 if x.dtype == np.float64 else torch.float32)
    net.load_state_dict({name: torch.tensor(value) for name, value in params.items()})
    loss = torch.nn.functional.mse_loss(net(torch.tensor(x)), torch.tensor(target))
    loss.backward()
    grads = {name: p.grad.numpy() for name, p in net.named_parameters()}
    return Expected(grads, f"torch {torch.__version__}, .grad after loss.backward()")


# --- the checker --------------------------------------------------------------------------------

_MISSING = object()


def _pairs(name, yours, expected):
    """[(label, yours, expected)], or a string saying why the two cannot be paired."""
    if isinstance(expected, dict):
        if yours is Ellipsis:
            yours = dict.fromkeys(expected, Ellipsis)
        if not isinstance(yours, dict):
            if len(expected) == 1:
                return [(next(iter(expected)), yours, next(iter(expected.values())))]
            return f"give a dict with the keys {list(expected)}, got {type(yours).__name__}"
        return [(key, yours.get(key, _MISSING), want) for key, want in expected.items()]
    if isinstance(expected, tuple | list):
        if yours is Ellipsis:
            yours = (Ellipsis,) * len(expected)
        if not isinstance(yours, tuple | list) or len(yours) != len(expected):
            return f"give {len(expected)} gradients in a tuple, got {type(yours).__name__}"
        return [
            (f"{name}[{i}]", y, e) for i, (y, e) in enumerate(zip(yours, expected, strict=True))
        ]
    return [(name, yours, expected)]


def _verdict(yours, want):
    """(right, what it is, largest difference or None)."""
    if yours is Ellipsis:
        return False, "not filled in: replace the ... with your code", None
    if yours is _MISSING:
        return False, "missing from your dict", None
    if want is None:
        return yours is None, "None, as expected" if yours is None else "expected None", None
    if yours is None:
        return False, "None: nothing computed (a missing return?)", None
    if hasattr(yours, "detach"):  # a torch tensor
        yours = yours.detach().cpu().numpy()
    try:
        a = np.asarray(yours)
    except Exception:  # a ragged list, say: never raise on a reader's answer
        return False, f"not an array: {type(yours).__name__}", None
    e = np.asarray(want)
    if a.dtype.kind not in "biuf":
        return False, f"not an array of numbers: {type(yours).__name__} of {a.dtype}", None
    if a.shape != e.shape:
        return False, f"wrong shape {a.shape}, expected {e.shape}", None
    c = compare(a.astype(e.dtype), e)
    if a.dtype != e.dtype:
        return False, f"wrong dtype {a.dtype}, expected {e.dtype}", c.max_abs
    if np.array_equal(a, e, equal_nan=True):
        return True, "exact", 0.0
    if c.ok:
        return True, "approximately equal", c.max_abs
    return False, "wrong", c.max_abs


def check(name, yours, expected):
    """Print, for each gradient, exact / approximately equal / wrong (or why it cannot be
    compared) and the largest |yours - expected|; return True only if all of them are right.

    `yours` and `expected`: one array each, dicts with the same keys (a key missing from
    `yours` is wrong), or tuples of the same length. A blank (`...`) is reported as not
    filled in. Nothing a reader passes makes it raise.
    """
    source = getattr(expected, "source", None)
    print(f"{name}, against {source}:" if source else f"{name}:")
    pairs = _pairs(name, yours, expected)
    if isinstance(pairs, str):
        print(f"  cannot compare: {pairs}")
        print("  wrong")
        return False
    width = max(len(label) for label, _, _ in pairs)
    right, approximate = 0, set()
    for label, y, e in pairs:
        ok, what, diff = _verdict(y, e)
        right += ok
        if what == "approximately equal":
            approximate.add(np.asarray(e).dtype.name)
        if diff is not None:
            sep = ", " if len(what) > 19 else " " * (21 - len(what))
            what = f"{what}{sep}max |yours - expected| {diff:.2g}"
        print(f"  {label:<{width}}  {what}")
    for dtype in sorted(approximate):
        rtol, atol = tolerance(dtype)
        print(f"  (approximately equal: within {dtype}'s tolerance, rtol {rtol:g}, atol {atol:g})")
    if isinstance(yours, dict) and isinstance(expected, dict):
        for key in yours.keys() - expected.keys():
            print(f"  {key}: not a gradient this exercise asks for (not checked)")
    blank = sum(y is Ellipsis for _, y, _ in pairs)
    if right == len(pairs):
        print(f"  right: all {len(pairs)}" if len(pairs) > 1 else "  right")
    elif blank == len(pairs):
        print("  not filled in yet")
    else:
        print(f"  {right} of {len(pairs)} right")
    return right == len(pairs)
