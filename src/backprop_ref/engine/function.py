"""The one wrapper that turns a functional op and its backward into a recorded engine op.

`backprop_ref.functional.<op>` computes the forward on arrays and `<op>_backward(grad_output,
<same args>)` returns one gradient per array argument; `wrap(name)` gives the engine's
`nn.functional.<op>`: it reads the arrays out of the tensors, calls the forward, and records
a Node whose backward calls `<op>_backward` with the same arguments. No derivative is written
here. The calls go to `backprop_ref.kernels`, the fast path the models use: the same ops,
names, signatures and checks as the lesson, tested equal to it. Chapter: docs/engine.md
"""

import functools
import inspect

import numpy as np

from .. import kernels
from ..functional import ARRAYS
from ..functional.dropout import draw_mask
from ..kernels.conv2d import conv2d_bias, conv2d_input, conv2d_weight
from . import random
from .tensor import Tensor, _record, needs_input_grad


def _dropout_mask(arguments):
    """Dropout's randomness, drawn once from the engine's generator, so that the forward and
    the backward use the same mask."""
    p, training = arguments.get("p", 0.5), arguments.get("training", True)
    if training and arguments.get("mask") is None and isinstance(p, int | float) and 0 < p < 1:
        X = arguments["input"]
        arguments["mask"] = draw_mask(X.shape, p, arguments.pop("generator", None) or random.rng())


# what an op needs drawn before it runs (the forward and its backward see the same draw)
PREPARE = {"dropout": _dropout_mask}


def _camel(name):
    return "".join(part.capitalize() for part in name.split("_")) + "Backward0"


# --8<-- [start:needed]
def _conv2d_needed(
    needs, grad_output, input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1
):
    """conv2d's gradients, only those in `needs`: torch.nn.grad's halves, conv2d_input and
    conv2d_weight, each compute one; conv2d_backward computes both, sharing their setup."""
    need_input, need_weight, need_bias = needs
    args = (stride, padding, dilation, groups)
    if need_input and need_weight:
        return kernels.conv2d_backward(grad_output, input, weight, bias, *args)
    dX = conv2d_input(input.shape, weight, grad_output, *args) if need_input else None
    dW = conv2d_weight(input, weight.shape, grad_output, *args) if need_weight else None
    return dX, dW, conv2d_bias(grad_output) if need_bias else None


# op name -> its backward restricted to the gradients the graph needs:
# (needs, grad_output, <the op's arguments>) -> one gradient per array argument, None where
# needs says no. An op not listed runs <op>_backward whole and the node drops what is unneeded.
NEEDED = {"conv2d": _conv2d_needed}
# --8<-- [end:needed]


def _binder(forward):
    """signature.bind(*args, **kwargs).arguments, without inspect's cost on the usual call
    (positional arguments, then keywords, none given twice); anything else goes to
    signature.bind, which raises the TypeError a wrong call deserves."""
    signature = inspect.signature(forward)
    names = tuple(signature.parameters)
    positional = tuple(
        n for n, p in signature.parameters.items() if p.kind == p.POSITIONAL_OR_KEYWORD
    )
    # the names a keyword may take after i positional arguments
    free = [frozenset(names[i:]) for i in range(len(positional) + 1)]

    def bind(args, kwargs):
        if len(args) <= len(positional):
            arguments = dict(zip(positional, args))  # args may be fewer than the names
            if not kwargs:
                return arguments
            if kwargs.keys() <= free[len(args)]:
                arguments.update(kwargs)
                return arguments
        return dict(signature.bind(*args, **kwargs).arguments)

    return bind


# --8<-- [start:wrap]
def wrap(name):
    """The engine's version of functional.<name>: same signature, recorded on the tape."""
    forward = getattr(kernels, name)
    backward = getattr(kernels, f"{name}_backward")
    needed, prepare = NEEDED.get(name), PREPARE.get(name)
    bind, node_name = _binder(forward), _camel(name)
    arrays = ARRAYS[name]

    @functools.wraps(forward)
    def op(*args, **kwargs):
        arguments = bind(args, kwargs)
        inputs = []  # each array argument: a tensor, an array (a list made one) or None
        for a in arrays:
            x = arguments.get(a)
            if isinstance(x, Tensor):
                arguments[a] = x._array
            elif x is not None and not isinstance(x, np.ndarray):
                arguments[a] = x = np.asarray(x)  # embedding's indices, a target, as a list
            inputs.append(x)
        needs = needs_input_grad(inputs)  # which gradients the node will send on
        if "inplace" in arguments:
            arguments["inplace"] = False  # the engine never overwrites a saved input
        if prepare is not None:
            prepare(arguments)
        out, extra = forward(**arguments), ()
        if isinstance(out, tuple):  # max_pool2d's indices
            out, *extra = out

        def backward_rule(grad_output, *saved):  # saved: the array arguments, as they were
            values = dict(arguments)
            values.update(zip(arrays, saved))
            if needed is not None:
                grads = needed(needs, grad_output, **values)
            else:
                grads = backward(grad_output, **values)
            return grads if isinstance(grads, tuple) else (grads,)

        result = _record(node_name, out, inputs, inputs, backward_rule, needs)
        x = inputs[0]
        view = result._array.base is not None  # a fresh array owns its memory
        if view and isinstance(x, Tensor) and np.may_share_memory(result._array, x._array):
            result._counter = x._counter  # a view (flatten) shares the version counter
        if extra:
            return (result, *(Tensor(e) for e in extra))
        return result

    return op


# --8<-- [end:wrap]
