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

`check` prints in Simplified Chinese when the locale is Chinese (the first of LANGUAGE,
LC_ALL, LC_MESSAGES and LANG that is set starts with "zh", as gettext reads them), else in
English.
"""

import os
import unicodedata

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

# what check prints, in English (the keys) and in Simplified Chinese
_ZH = {
    "{name}, against {source}:": "{name}，对照 {source}：",
    "{name}:": "{name}：",
    "  cannot compare: {why}": "  无法比较：{why}",
    "  wrong": "  错误",
    "give a dict with the keys {keys}, got {got}": "请给出键为 {keys} 的 dict，收到的是 {got}",
    "give {n} gradients in a tuple, got {got}": "请用一个 tuple 给出 {n} 个梯度，收到的是 {got}",
    "not filled in: replace the ... with your code": "尚未填写：把 ... 换成你的代码",
    "missing from your dict": "你的 dict 中缺少这一项",
    "None, as expected": "None，与期望一致",
    "expected None": "期望是 None",
    "None: nothing computed (a missing return?)": "None：什么也没有算出来（漏了 return？）",
    "not an array: {got}": "不是数组：{got}",
    "not an array of numbers: {got} of {dtype}": "不是数值数组：{dtype} 的 {got}",
    "wrong shape {shape}, expected {expected}": "形状错误 {shape}，期望 {expected}",
    "wrong dtype {dtype}, expected {expected}": "dtype 错误 {dtype}，期望 {expected}",
    "exact": "精确相等",
    "approximately equal": "近似相等",
    "wrong": "错误",
    "max |yours - expected| {diff}": "最大 |你的 - 期望| {diff}",
    "  (approximately equal: within {dtype}'s tolerance, rtol {rtol}, atol {atol})": (
        "  （近似相等：在 {dtype} 的容差之内，rtol {rtol}，atol {atol}）"
    ),
    "  {key}: not a gradient this exercise asks for (not checked)": (
        "  {key}：不是本练习要求的梯度（未检查）"
    ),
    "  right: all {n}": "  正确：全部 {n} 个",
    "  right": "  正确",
    "  not filled in yet": "  尚未填写",
    "  {right} of {n} right": "  {n} 个中 {right} 个正确",
}


def _chinese():
    """True when the locale is Chinese: the first of gettext's variables that is set."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if value:
            return value.lower().startswith("zh")
    return False


def _width(text):
    """Columns `text` takes in a terminal: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _say(template, **values):
    """`template` (one of _ZH's keys) in the reader's language, filled in."""
    return (_ZH[template] if _chinese() else template).format(**values)


def _pairs(name, yours, expected):
    """[(label, yours, expected)], or a string saying why the two cannot be paired."""
    if isinstance(expected, dict):
        if yours is Ellipsis:
            yours = dict.fromkeys(expected, Ellipsis)
        if not isinstance(yours, dict):
            if len(expected) == 1:
                return [(next(iter(expected)), yours, next(iter(expected.values())))]
            return _say(
                "give a dict with the keys {keys}, got {got}",
                keys=list(expected),
                got=type(yours).__name__,
            )
        return [(key, yours.get(key, _MISSING), want) for key, want in expected.items()]
    if isinstance(expected, tuple | list):
        if yours is Ellipsis:
            yours = (Ellipsis,) * len(expected)
        if not isinstance(yours, tuple | list) or len(yours) != len(expected):
            return _say(
                "give {n} gradients in a tuple, got {got}",
                n=len(expected),
                got=type(yours).__name__,
            )
        return [
            (f"{name}[{i}]", y, e) for i, (y, e) in enumerate(zip(yours, expected, strict=True))
        ]
    return [(name, yours, expected)]


def _verdict(yours, want):
    """(right, what it is: a template of _ZH and its values, largest difference or None)."""
    if yours is Ellipsis:
        return False, ("not filled in: replace the ... with your code", {}), None
    if yours is _MISSING:
        return False, ("missing from your dict", {}), None
    if want is None:
        return yours is None, ("None, as expected" if yours is None else "expected None", {}), None
    if yours is None:
        return False, ("None: nothing computed (a missing return?)", {}), None
    if hasattr(yours, "detach"):  # a torch tensor
        yours = yours.detach().cpu().numpy()
    try:
        a = np.asarray(yours)
    except Exception:  # a ragged list, say: never raise on a reader's answer
        return False, ("not an array: {got}", {"got": type(yours).__name__}), None
    e = np.asarray(want)
    if a.dtype.kind not in "biuf":
        values = {"got": type(yours).__name__, "dtype": a.dtype}
        return False, ("not an array of numbers: {got} of {dtype}", values), None
    if a.shape != e.shape:
        values = {"shape": a.shape, "expected": e.shape}
        return False, ("wrong shape {shape}, expected {expected}", values), None
    c = compare(a.astype(e.dtype), e)
    if a.dtype != e.dtype:
        values = {"dtype": a.dtype, "expected": e.dtype}
        return False, ("wrong dtype {dtype}, expected {expected}", values), c.max_abs
    if np.array_equal(a, e, equal_nan=True):
        return True, ("exact", {}), 0.0
    if c.ok:
        return True, ("approximately equal", {}), c.max_abs
    return False, ("wrong", {}), c.max_abs


def check(name, yours, expected):
    """Print, for each gradient, exact / approximately equal / wrong (or why it cannot be
    compared) and the largest |yours - expected|; return True only if all of them are right.

    `yours` and `expected`: one array each, dicts with the same keys (a key missing from
    `yours` is wrong), or tuples of the same length. A blank (`...`) is reported as not
    filled in. Nothing a reader passes makes it raise.
    """
    source = getattr(expected, "source", None)
    header = "{name}, against {source}:" if source else "{name}:"
    print(_say(header, name=name, source=source))
    pairs = _pairs(name, yours, expected)
    if isinstance(pairs, str):
        print(_say("  cannot compare: {why}", why=pairs))
        print(_say("  wrong"))
        return False
    width = max(len(label) for label, _, _ in pairs)
    right, approximate = 0, set()
    for label, y, e in pairs:
        ok, (template, values), diff = _verdict(y, e)
        right += ok
        if template == "approximately equal":
            approximate.add(np.asarray(e).dtype.name)
        what = _say(template, **values)
        if diff is not None:
            sep = ", " if _width(what) > 19 else " " * (21 - _width(what))
            what = f"{what}{sep}" + _say("max |yours - expected| {diff}", diff=f"{diff:.2g}")
        print(f"  {label:<{width}}  {what}")
    for dtype in sorted(approximate):
        rtol, atol = tolerance(dtype)
        template = "  (approximately equal: within {dtype}'s tolerance, rtol {rtol}, atol {atol})"
        print(_say(template, dtype=dtype, rtol=f"{rtol:g}", atol=f"{atol:g}"))
    if isinstance(yours, dict) and isinstance(expected, dict):
        for key in yours.keys() - expected.keys():
            print(_say("  {key}: not a gradient this exercise asks for (not checked)", key=key))
    blank = sum(y is Ellipsis for _, y, _ in pairs)
    if right == len(pairs):
        print(_say("  right: all {n}", n=len(pairs)) if len(pairs) > 1 else _say("  right"))
    elif blank == len(pairs):
        print(_say("  not filled in yet"))
    else:
        print(_say("  {right} of {n} right", right=right, n=len(pairs)))
    return right == len(pairs)
