"""Tensor, the tape and backward: a reverse-mode engine over numpy arrays.

A Tensor wraps one ndarray. An op on tensors that require grad records a Node, the result's
`grad_fn`: edges to its inputs' nodes (`next_functions`), the tensors its backward needs (saved
with their version), and the backward itself. `backward()` sorts the nodes reachable from the
output topologically, runs each once on the sum of the gradients that reached it, and
accumulates into the leaves' `.grad`. The rules here are the engine's own primitives (+ - * / **
@, sum, indexing, views, casts); every nn.functional op goes through `function.py`, which calls
the package's `<op>_backward`. Chapter: docs/engine.md
"""

import contextlib
import heapq
import itertools
import math
import sys

import numpy as np

# -- grad mode and default dtype --------------------------------------------------------------

_GRAD_ENABLED = [True]
_DEFAULT_DTYPE = [np.dtype(np.float32)]


def is_grad_enabled():
    return _GRAD_ENABLED[0]


class set_grad_enabled(contextlib.ContextDecorator):  # noqa: N801 (torch's name)
    """Switch recording on or off; restores the previous mode on exit, as torch's."""

    def __init__(self, mode=True):
        self.prev = _GRAD_ENABLED[0]
        self.mode = bool(mode)
        _GRAD_ENABLED[0] = self.mode  # torch: the call itself switches, usable as a function

    def __enter__(self):
        _GRAD_ENABLED[0] = self.mode
        return self

    def __exit__(self, *exc):
        _GRAD_ENABLED[0] = self.prev
        return False


class no_grad(contextlib.ContextDecorator):  # noqa: N801
    """Nothing is recorded inside: `with no_grad(): param -= lr * param.grad` updates in place."""

    def __enter__(self):
        self.prev = _GRAD_ENABLED[0]
        _GRAD_ENABLED[0] = False
        return self

    def __exit__(self, *exc):
        _GRAD_ENABLED[0] = self.prev
        return False


class enable_grad(no_grad):  # noqa: N801
    def __enter__(self):
        self.prev = _GRAD_ENABLED[0]
        _GRAD_ENABLED[0] = True
        return self


def get_default_dtype():
    return _DEFAULT_DTYPE[0]


def set_default_dtype(d):
    """The dtype of new float tensors and parameters: float32 (torch's default) or float64."""
    d = np.dtype(d)
    if d not in (np.float32, np.float64):
        raise TypeError(f"set_default_dtype: only float32 and float64 are supported, got {d}")
    _DEFAULT_DTYPE[0] = d


class Size(tuple):
    """torch.Size: a tuple that prints as torch.Size([...])."""

    def __repr__(self):
        return f"torch.Size({list(self)})"

    def __getitem__(self, index):
        out = super().__getitem__(index)
        return Size(out) if isinstance(index, slice) else out

    def numel(self):
        return int(np.prod(self, dtype=np.int64))


# -- broadcasting, undone once ------------------------------------------------------------------


# --8<-- [start:unbroadcast]
def unbroadcast(grad, shape):
    """Sum `grad` down to `shape`: the adjoint of broadcasting an array of `shape`.

    Broadcasting prepends axes and stretches axes of length 1; an input that was read at many
    output positions receives the sum of their gradients.
    """
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))  # axes broadcasting prepended
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)  # axes of length 1, stretched
    return grad


# --8<-- [end:unbroadcast]


# -- the graph ----------------------------------------------------------------------------------


_SEQUENCE = itertools.count()  # each node's number on the tape (torch's sequence_nr)


class _Version:
    """The version counter: shared by a tensor and its views, bumped by every in-place change."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


# --8<-- [start:node]
class Node:
    """One recorded op (torch's grad_fn): edges to the inputs' nodes, saved tensors, backward.

    `backward(grad_output, *saved_values)` returns one gradient per input (None for none).
    Saved tensors are stored with their version; the values are read back at backward time,
    after checking that no in-place op changed them in between. `needs_input_grad` (torch's
    name) says which inputs want a gradient: a rule may skip the others, the node drops them.
    """

    __slots__ = (
        "__weakref__",
        "_backward",
        "_inputs",
        "_name",
        "_pre_hooks",
        "_released",
        "_retains_grad",
        "_saved",
        "_sequence_nr",
        "needs_input_grad",
        "next_functions",
    )

    def __init__(self, name, backward, inputs, saved=(), needs=None):
        self._name = name
        self._backward = backward
        self.needs_input_grad = needs = needs_input_grad(inputs) if needs is None else needs
        edges, self._inputs = [], []  # the shape and dtype each input's gradient must have
        for t, need in zip(inputs, needs):
            if need:  # (node, 0): where the gradient of input t goes
                edges.append((t.grad_fn or t._accumulate_node or t._accumulator(), 0))
                self._inputs.append((t._array.shape, t._array.dtype))
            else:
                edges.append((None, 0))
                self._inputs.append(None)
        self.next_functions = tuple(edges)
        self._saved = [(t, t._counter.value) if isinstance(t, Tensor) else (t, None) for t in saved]
        self._released = False
        self._pre_hooks = None  # {handle id: hook}, run on the summed gradient of the output
        self._retains_grad = None  # the output tensor, when it called retain_grad()
        self._sequence_nr = next(_SEQUENCE)  # after the inputs' nodes: the tape's order

    def __call__(self, grad_output):
        if self._released:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                f"graph are freed when you call .backward(); {self._name} needed them. Specify "
                "retain_graph=True if you need to backward through the graph a second time."
            )
        values = []
        for t, version in self._saved:
            if version is None:  # an array or a number, saved as it was
                values.append(t)
            elif t._counter.value == version:
                values.append(t._array)
            else:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: [{t.dtype} {list(t.shape)}], which is saved by "
                    f"{self._name}, is at version {t._version}; expected version {version} "
                    "instead."
                )
        grads = self._backward(grad_output, *values)
        if len(grads) != len(self._inputs):
            raise RuntimeError(
                f"function {self._name} returned an incorrect number of gradients (expected "
                f"{len(self._inputs)}, got {len(grads)})"
            )
        checked = []  # each gradient in its input's dtype; None where the input needs none
        for i, (grad, expected) in enumerate(zip(grads, self._inputs)):
            if grad is None or expected is None:  # a rule that computed it wasted time only
                checked.append(None)
                continue
            grad = grad if type(grad) is np.ndarray else np.asarray(grad)
            if grad.shape != expected[0]:
                raise self._wrong_shape(i, grad, expected[0])
            checked.append(grad if grad.dtype == expected[1] else grad.astype(expected[1]))
        return checked

    # --8<-- [end:node]

    def _wrong_shape(self, i, grad, shape):
        """A wrong shape is a bug in a rule: torch's message."""
        return RuntimeError(
            f"Function {self._name} returned an invalid gradient at index {i} - got "
            f"{list(grad.shape)} but expected shape compatible with {list(shape)}"
        )

    def _release(self):
        if self._saved:
            self._saved = []
            self._released = True

    def name(self):
        return self._name

    def __repr__(self):
        return f"<{self._name} object at {id(self):#x}>"


class AccumulateGrad(Node):
    """The node of a leaf that requires grad: adds the gradient that reaches it into `.grad`."""

    __slots__ = ("variable",)

    def __init__(self, variable):
        super().__init__("AccumulateGrad", None, ())
        self.variable = variable

    # --8<-- [start:accumulate]
    def __call__(self, grad):
        t = self.variable
        if t.grad is None:  # the array itself if nothing else holds it, as torch does; else a copy
            t.grad = Tensor._wrap(grad if _unshared(grad, t.dtype) else np.array(grad, t.dtype))
        else:
            t.grad._array += grad  # accumulate in place, as torch does outside create_graph
        return ()

    # --8<-- [end:accumulate]


def _unshared(grad, dtype):
    """True when `grad` may become a leaf's .grad as it is: an array of the leaf's dtype that
    owns its memory (not a view), and that nothing holds (a tensor, a list, a view, a hook's
    closure) besides the backward loop. torch's AccumulateGrad steals such a gradient too,
    rather than copying it."""
    if type(grad) is not np.ndarray or grad.dtype != dtype or grad.base is not None:
        return False
    references = sys.getrefcount(grad)
    if _PROBE:  # _references_when_unshared is measuring
        _PROBE.append(references)
        return False
    return grad.flags.writeable and _UNSHARED is not None and references <= _UNSHARED


_PROBE = []


def _references_when_unshared():
    """The count _unshared sees for a gradient that nothing else holds: a one-node graph whose
    rule returns a fresh array, run backward once. The count includes the interpreter's own
    references (the loop's variable, the call's arguments), which vary between versions."""
    leaf = Tensor(np.zeros(1), requires_grad=True)
    out = _record("Probe", np.zeros(1), (leaf,), (), lambda dY: (dY + 1.0,))
    _PROBE.append(None)
    try:
        out.backward(np.ones(1))
        return _PROBE[1]
    finally:
        _PROBE.clear()


def needs_input_grad(inputs):
    """Which of an op's inputs want a gradient (tensors that require grad), as the op's node,
    recorded now, will say: a rule built before its node can skip computing the others."""
    return tuple([isinstance(t, Tensor) and t.requires_grad for t in inputs])


def _edge(t):
    """(node, 0): where the gradient of input `t` goes; (None, 0) when it needs none."""
    if not (isinstance(t, Tensor) and t.requires_grad):
        return (None, 0)
    return (t.grad_fn if t.grad_fn is not None else t._accumulator(), 0)


class _Handle:
    """What register_hook returns: .remove() unregisters the hook."""

    def __init__(self, hooks, key):
        self._hooks, self._key = hooks, key

    def remove(self):
        self._hooks.pop(self._key, None)


def _record(name, value, inputs, saved, backward, needs=None):
    """Wrap `value` in a Tensor; when grad mode is on and an input requires grad, give it a
    Node: `backward(grad_output, *saved values)` -> one gradient per input. `needs`:
    needs_input_grad(inputs), when the caller has it already."""
    out = Tensor._wrap(value)
    needs = needs_input_grad(inputs) if needs is None else needs
    if _GRAD_ENABLED[0] and True in needs:
        out.requires_grad = True
        out.grad_fn = Node(name, backward, inputs, saved, needs)
    return out


# --8<-- [start:backward]
def _run_backward(root, grad, retain_graph):
    """Send `grad` into `root` and every node below it, each run once on its summed gradient.

    The nodes run latest-recorded first. A node's inputs' nodes were all recorded before it,
    so by the time a node runs, every node that consumes its output has sent its share.
    """
    pending = {root: grad}  # node -> the sum of the gradients that have reached it
    ready = [(-root._sequence_nr, root)]  # a heap: the latest-recorded node on top
    while ready:
        _, node = heapq.heappop(ready)
        grad = pending.pop(node)
        if node._pre_hooks or node._retains_grad is not None:
            grad = _run_hooks(node, grad)
        grads = node(grad)
        if not retain_graph:
            node._release()
        for (target, _), g in zip(node.next_functions, grads):
            if target is None or g is None:
                continue
            if target in pending:
                pending[target] = pending[target] + g  # fan-out: (1)
            else:
                pending[target] = g
                heapq.heappush(ready, (-target._sequence_nr, target))
        grad = grads = g = None  # hold no gradient: AccumulateGrad may keep one nobody holds


# --8<-- [end:backward]


def _run_hooks(node, grad):
    for hook in list((node._pre_hooks or {}).values()):
        result = hook(Tensor(grad))
        if result is not None:
            grad = _array_of(result)
    t = node._retains_grad
    if t is not None:
        if t.grad is None:
            t.grad = Tensor(np.array(grad, dtype=t.dtype))
        else:
            t.grad._array += grad
    return grad


# -- tensors ------------------------------------------------------------------------------------


def _array_of(x):
    return x._array if isinstance(x, Tensor) else x


def _operand(x, where):
    """The value of an operand: a tensor's array, or a Python number kept as it is (so that
    numpy keeps the tensor's dtype: float32 * 2.0 stays float32, as in torch)."""
    if isinstance(x, Tensor):
        return x._array
    if isinstance(x, (bool, int, float)) or (isinstance(x, np.ndarray) and x.ndim == 0):
        return x
    if isinstance(x, np.ndarray):
        return x
    raise TypeError(f"{where}: unsupported operand of type {type(x).__name__}")


def _dtype_name(d):
    return f"torch.{np.dtype(d).name}"


class Tensor:
    """An ndarray with autograd: `requires_grad`, `.grad`, `.grad_fn`, `.backward()`.

    Tensor(data, requires_grad=False); `engine.tensor(...)` is the torch-style constructor.
    """

    __array_ufunc__ = None  # ndarray (op) Tensor defers to Tensor's reflected operator
    __hash__ = object.__hash__  # __eq__ compares elementwise, identity is the hash

    def __init__(self, data, requires_grad=False):
        self._array = data._array if isinstance(data, Tensor) else np.asarray(data)
        self._counter = _Version()
        self.grad = None
        self.grad_fn = None
        self._accumulate_node = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, value, counter=None):
        t = Tensor.__new__(Tensor)
        t._array = np.asarray(value)
        t._counter = counter if counter is not None else _Version()
        t.grad = t.grad_fn = t._accumulate_node = None
        t.requires_grad = False
        return t

    def _view_of(self, value):
        """A result sharing memory with self shares its version counter (torch's views)."""
        value = np.asarray(value)
        return self._counter if np.may_share_memory(value, self._array) else None

    # -- autograd ------------------------------------------------------------------------------
    def requires_grad_(self, requires_grad=True):
        if requires_grad and self._array.dtype.kind not in "fc":
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, got "
                f"{_dtype_name(self._array.dtype)}"
            )
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError("you can only change requires_grad flags of leaf variables.")
        self.requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    def _accumulator(self):
        if self._accumulate_node is None:
            self._accumulate_node = AccumulateGrad(self)
        return self._accumulate_node

    @property
    def _version(self):
        return self._counter.value

    def _bump(self):
        self._counter.value += 1

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate d(self)/d(leaf) . gradient into every leaf's .grad (gradient: self's
        shape; omitted only for a one-element tensor, where it is 1)."""
        if create_graph or inputs is not None:
            raise NotImplementedError("backward: create_graph and inputs are not supported")
        if not self.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        if gradient is None:
            if self._array.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            grad = np.ones(self.shape, self.dtype)
        else:
            grad = np.asarray(_array_of(gradient))
            if grad.shape != self._array.shape:
                raise RuntimeError(
                    f"backward: Mismatch in shape: grad_output[0] has a shape of "
                    f"{Size(grad.shape)} and output[0] has a shape of {self.shape}."
                )
            grad = grad.astype(self.dtype, copy=False)
        root = self.grad_fn if self.grad_fn is not None else self._accumulator()
        _run_backward(root, grad, bool(retain_graph))

    def register_hook(self, hook):
        """hook(grad) -> None or a replacement, called once with the summed gradient."""
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node = self.grad_fn if self.grad_fn is not None else self._accumulator()
        key = object()
        if node._pre_hooks is None:
            node._pre_hooks = {}
        node._pre_hooks[key] = hook
        return _Handle(node._pre_hooks, key)

    def retain_grad(self):
        """Keep .grad on a non-leaf tensor too (a leaf keeps it anyway)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is not None:
            self.grad_fn._retains_grad = self

    @property
    def retains_grad(self):
        return self.grad_fn is not None and self.grad_fn._retains_grad is self

    def detach(self):
        """The same memory and version counter, outside the graph."""
        return Tensor._wrap(self._array, self._counter)

    def detach_(self):
        self.grad_fn = None
        self.requires_grad = False
        return self

    @property
    def data(self):
        """The same memory, outside the graph, with its own version counter (changes through
        .data go unnoticed by autograd, as in torch)."""
        return Tensor._wrap(self._array)

    @data.setter
    def data(self, value):
        self._array = np.asarray(_array_of(value))

    # -- conversions and facts -------------------------------------------------------------------
    @property
    def shape(self):
        return Size(self._array.shape)

    def size(self, dim=None):
        return self.shape if dim is None else self._array.shape[dim]

    @property
    def dtype(self):
        return self._array.dtype

    @property
    def ndim(self):
        return self._array.ndim

    def dim(self):
        return self._array.ndim

    def numel(self):
        return int(self._array.size)

    def numpy(self):
        if self.requires_grad:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() "
                "instead."
            )
        return self._array

    def cpu(self):
        return self

    def item(self):
        if self._array.size != 1:
            raise RuntimeError(
                f"a Tensor with {self._array.size} elements cannot be converted to Scalar"
            )
        return self._array.reshape(()).item()

    def tolist(self):
        return self._array.tolist()

    def __array__(self, dtype=None, copy=None):
        return self._array if dtype is None else self._array.astype(dtype)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self._array.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous "
                f"(shape {list(self.shape)})"
            )
        return bool(self.item())

    def __format__(self, spec):
        if self._array.ndim == 0:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __len__(self):
        if self._array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._array.shape[0]

    def __iter__(self):
        """Rows, each a recorded index: Python's sum() over a tensor works and differentiates."""
        if self._array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._array.shape[0]))

    def __repr__(self):
        prefix = "tensor("
        a = self._array
        finite = a[np.isfinite(a)] if a.dtype.kind == "f" else a
        whole = a.dtype.kind == "f" and finite.size and (finite == np.round(finite)).all()
        body = np.array2string(
            a,
            precision=4,
            floatmode="maxprec" if whole else "fixed",  # torch: 1., 2. for whole numbers
            separator=", ",
            prefix=prefix,
            max_line_width=80,
        )
        extras = []
        kind = self._array.dtype
        if kind not in (get_default_dtype(), np.int64, np.bool_):
            extras.append(f"dtype={_dtype_name(kind)}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name()}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        text = prefix + body
        for extra in extras:
            last = text.rsplit("\n", 1)[-1]
            sep = ",\n" + " " * len(prefix) if len(last) + len(extra) + 3 > 80 else ", "
            text += sep + extra
        return text + ")"

    # -- casts -------------------------------------------------------------------------------------
    def to(self, dtype):
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self
        source = self.dtype

        def backward(dY):
            return (dY.astype(source),)

        return _record("ToCopyBackward0", self._array.astype(dtype), (self,), (), backward)

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def long(self):
        return self.to(np.int64)

    def int(self):
        return self.to(np.int32)

    def bool(self):
        return self.to(np.bool_)

    def type(self, dtype):
        return self.to(dtype)

    def clone(self):
        return _record("CloneBackward0", self._array.copy(), (self,), (), lambda dY: (dY,))

    def contiguous(self):
        if self._array.flags.c_contiguous:
            return self
        return self.clone()

    def is_contiguous(self):
        return bool(self._array.flags.c_contiguous)

    # -- arithmetic ------------------------------------------------------------------------------
    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return sub(self, other)

    def __rsub__(self, other):
        return sub(other, self)

    def __mul__(self, other):
        return mul(self, other)

    def __rmul__(self, other):
        return mul(other, self)

    def __truediv__(self, other):
        return div(self, other)

    def __rtruediv__(self, other):
        return div(other, self)

    def __pow__(self, other):
        return pow(self, other)

    def __rpow__(self, other):
        return pow(other, self)

    def __matmul__(self, other):
        return matmul(self, other, where="__matmul__")

    def __rmatmul__(self, other):
        return matmul(other, self, where="__matmul__")

    def __neg__(self):
        return mul(self, -1)

    def __pos__(self):
        return self

    def exp(self):
        return exp(self)

    def log(self):
        return log(self)

    # comparisons give bool tensors, outside the graph
    def _compare(self, other, fn):
        return Tensor._wrap(fn(self._array, _operand(other, "comparison")))

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    def eq(self, other):
        return self == other

    # -- in place ----------------------------------------------------------------------------------
    def _inplace(self, name, other, outofplace, ufunc):
        """self <op>= other. Recording: the result's node becomes self's grad_fn (a leaf that
        requires grad refuses, as in torch). Always: the version counter moves."""
        recording = _GRAD_ENABLED[0] and (
            self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)
        )
        if recording:
            if self.is_leaf and self.requires_grad:
                raise RuntimeError(
                    f"{name}: a leaf Variable that requires grad is being used in an in-place "
                    "operation."
                )
            out = outofplace(self, other)
            np.copyto(self._array, out._array, casting="same_kind")
            self.grad_fn, self.requires_grad = out.grad_fn, True
        else:
            ufunc(self._array, _operand(other, name), out=self._array, casting="same_kind")
        self._bump()
        return self

    def __iadd__(self, other):
        return self._inplace("add_", other, add, np.add)

    def __isub__(self, other):
        return self._inplace("sub_", other, sub, np.subtract)

    def __imul__(self, other):
        return self._inplace("mul_", other, mul, np.multiply)

    def __itruediv__(self, other):
        return self._inplace("div_", other, div, np.true_divide)

    def add_(self, other, alpha=1):
        return self.__iadd__(other if alpha == 1 else other * alpha)

    def sub_(self, other, alpha=1):
        return self.__isub__(other if alpha == 1 else other * alpha)

    def mul_(self, other):
        return self.__imul__(other)

    def div_(self, other):
        return self.__itruediv__(other)

    def _write(self, name, value):
        if _GRAD_ENABLED[0] and self.requires_grad:
            if self.is_leaf:
                raise RuntimeError(
                    f"{name}: a leaf Variable that requires grad is being used in an in-place "
                    "operation."
                )
            raise NotImplementedError(f"{name}: the engine records no in-place write")
        np.copyto(self._array, value, casting="unsafe")
        self._bump()
        return self

    def zero_(self):
        return self._write("zero_", 0)

    def fill_(self, value):
        return self._write("fill_", _array_of(value))

    def copy_(self, src):
        return self._write("copy_", np.broadcast_to(_array_of(src), self._array.shape))

    def __setitem__(self, index, value):
        if _GRAD_ENABLED[0] and (
            self.requires_grad or (isinstance(value, Tensor) and value.requires_grad)
        ):
            self._write("__setitem__", self._array)  # raises: the leaf or the unsupported case
        self._array[_index(index)] = _array_of(value)
        self._bump()

    # -- shapes ------------------------------------------------------------------------------------
    def __getitem__(self, index):
        return getitem(self, index)

    def view(self, *shape):
        return reshape(self, *shape, where="view")

    def reshape(self, *shape):
        return reshape(self, *shape, where="reshape")

    def view_as(self, other):
        return self.view(other.shape)

    def unsqueeze(self, dim):
        shape = list(self.shape)
        shape.insert(dim if dim >= 0 else dim + len(shape) + 1, 1)
        return reshape(self, shape, where="unsqueeze")

    def squeeze(self, dim=None):
        if dim is None:
            shape = [n for n in self.shape if n != 1]
        else:
            shape = list(self.shape)
            if shape[dim] == 1:
                shape.pop(dim)
        return reshape(self, shape, where="squeeze")

    def transpose(self, dim0, dim1):
        return transpose(self, dim0, dim1)

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(
                f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D"
            )
        return transpose(self, 0, -1) if self.ndim == 2 else self

    @property
    def T(self):  # noqa: N802 (torch's name)
        return permute(self, *reversed(range(self.ndim)))

    def permute(self, *dims):
        return permute(self, *dims)

    def sum(self, dim=None, keepdim=False, dtype=None):
        out = sum(self, dim, keepdim)
        return out if dtype is None else out.to(dtype)

    def mean(self, dim=None, keepdim=False):
        total = sum(self, dim, keepdim)
        return total / max(1, self._array.size // max(1, total._array.size))

    # methods that go through nn.functional (bound in engine/__init__.py)
    def flatten(self, start_dim=0, end_dim=-1):
        from .nn import functional as F

        return F.flatten(self, start_dim, end_dim)

    def relu(self):
        from .nn import functional as F

        return F.relu(self)

    def sigmoid(self):
        from .nn import functional as F

        return F.sigmoid(self)

    def tanh(self):
        from .nn import functional as F

        return F.tanh(self)

    def softmax(self, dim):
        from .nn import functional as F

        return F.softmax(self, dim)

    def log_softmax(self, dim):
        from .nn import functional as F

        return F.log_softmax(self, dim)


# -- the engine's own rules ---------------------------------------------------------------------


def _shape(x):
    return np.shape(x)


# --8<-- [start:arithmetic]
def add(a, b):
    """a + b, broadcast; each input gets dY summed back to its shape."""
    A, B = _operand(a, "add"), _operand(b, "add")
    sa, sb = _shape(A), _shape(B)
    return _record(
        "AddBackward0", A + B, (a, b), (), lambda dY: (unbroadcast(dY, sa), unbroadcast(dY, sb))
    )


def sub(a, b):
    """a - b, broadcast."""
    A, B = _operand(a, "sub"), _operand(b, "sub")
    sa, sb = _shape(A), _shape(B)
    return _record(
        "SubBackward0", A - B, (a, b), (), lambda dY: (unbroadcast(dY, sa), unbroadcast(-dY, sb))
    )


def mul(a, b):
    """a * b, broadcast: dA = dY * B, dB = dY * A."""
    A, B = _operand(a, "mul"), _operand(b, "mul")

    def backward(dY, A, B):
        return unbroadcast(dY * B, _shape(A)), unbroadcast(dY * A, _shape(B))

    return _record("MulBackward0", A * B, (a, b), (a, b), backward)


def div(a, b):
    """a / b, broadcast: dA = dY / B, dB = -dY * A / B^2."""
    A, B = _operand(a, "div"), _operand(b, "div")

    def backward(dY, A, B):
        return unbroadcast(dY / B, _shape(A)), unbroadcast(-dY * A / (B * B), _shape(B))

    return _record("DivBackward0", A / B, (a, b), (a, b), backward)


def pow(a, b):
    """a ** b: dA = dY * b * a^(b-1); dB = dY * a^b * log(a), 0 where a = 0 and b >= 0."""
    A, B = _operand(a, "pow"), _operand(b, "pow")

    def backward(dY, A, B):
        dA = np.where(B == 0, 0.0, dY * B * A ** (B - 1))  # torch: d(a^0)/da = 0, even at 0
        with np.errstate(divide="ignore", invalid="ignore"):
            dB = dY * np.where((A == 0) & (B >= 0), 0.0, A**B * np.log(A))
        return unbroadcast(dA, _shape(A)), unbroadcast(dB, _shape(B))

    return _record("PowBackward0", A**B, (a, b), (a, b), backward)


# --8<-- [end:arithmetic]


def exp(input):
    """e^x: dX = dY * e^x."""
    Y = np.exp(input._array)
    return _record("ExpBackward0", Y, (input,), (input,), lambda dY, X: (dY * np.exp(X),))


def log(input):
    """log x: dX = dY / x."""
    return _record(
        "LogBackward0", np.log(input._array), (input,), (input,), lambda dY, X: (dY / X,)
    )


def _matmul_shapes_ok(A, B):
    if A.ndim == 0 or B.ndim == 0:
        return False
    return A.shape[-1] == B.shape[0 if B.ndim == 1 else -2]


def matmul(input, other, where="matmul"):
    """input @ other, as torch.matmul (1-D operands promoted, batch axes broadcast).

    Shapes: (*, n, k) @ (*, k, m) -> (*, n, m); dA = dY B^T, dB = A^T dY, unbroadcast.
    """
    A, B = _operand(input, where), _operand(other, where)
    A, B = np.asarray(A), np.asarray(B)
    if not _matmul_shapes_ok(A, B):
        raise RuntimeError(
            f"{where}: shapes {tuple(A.shape)} and {tuple(B.shape)} cannot be multiplied "
            f"(the last axis of the first must equal the "
            f"{'only' if B.ndim == 1 else 'second-to-last'} axis of the second)"
        )

    # --8<-- [start:matmul-backward]
    def backward(dY, A, B):
        A2 = A[None, :] if A.ndim == 1 else A  # (1, k): a row
        B2 = B[:, None] if B.ndim == 1 else B  # (k, 1): a column
        if B.ndim == 1:
            dY = np.expand_dims(dY, -1)
        if A.ndim == 1:
            dY = np.expand_dims(dY, -2)
        dA = dY @ np.swapaxes(B2, -1, -2)  # dA = dY B^T
        dB = np.swapaxes(A2, -1, -2) @ dY  # dB = A^T dY
        return (
            unbroadcast(dA, A2.shape).reshape(A.shape),
            unbroadcast(dB, B2.shape).reshape(B.shape),
        )

    # --8<-- [end:matmul-backward]

    name = "MmBackward0" if A.ndim == B.ndim == 2 else "MatmulBackward0"
    return _record(name, A @ B, (input, other), (input, other), backward)


def mm(input, mat2):
    """input @ mat2 for two matrices, as torch.mm: (n, k) @ (k, m) -> (n, m)."""
    for name, x in (("input", input), ("mat2", mat2)):
        if np.ndim(_array_of(x)) != 2:
            raise RuntimeError(f"mm: {name} must be a matrix, got shape {tuple(np.shape(x))}")
    return matmul(input, mat2, where="mm")


def sum(input, dim=None, keepdim=False):
    """Sum over `dim` (an int, a tuple, or None for all): dX = dY broadcast back."""
    X = input._array
    axes = None if dim is None else (dim if isinstance(dim, tuple | list) else (dim,))
    axes = None if axes is None else tuple(a % max(X.ndim, 1) for a in axes)
    shape = X.shape

    def backward(dY):
        if not keepdim and axes is not None and X.ndim:
            dY = np.expand_dims(dY, axes)
        return (np.broadcast_to(dY, shape),)

    value = np.asarray(X.sum(axis=axes, keepdims=keepdim))
    return _record("SumBackward1" if axes else "SumBackward0", value, (input,), (), backward)


def _index(index):
    """An index with tensors replaced by their arrays."""
    if isinstance(index, tuple):
        return tuple(_array_of(i) for i in index)
    return _array_of(index)


def getitem(input, index):
    """input[index]: dX is zero except where index read, which gets dY (summed on repeats)."""
    index = _index(index)
    X = input._array
    value = X[index]
    shape, dtype = X.shape, X.dtype

    def backward(dY):
        dX = np.zeros(shape, dtype)
        np.add.at(dX, index, dY)  # a repeated index gets the sum
        return (dX,)

    out = _record("IndexBackward0", value, (input,), (), backward)
    out._counter = input._view_of(value) or out._counter
    return out


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], tuple | list):
        shape = shape[0]
    return tuple(int(n) for n in shape)


def reshape(input, *shape, where="reshape"):
    """The same elements in a new shape (-1 inferred): dX = dY reshaped back."""
    X = input._array
    shape = _shape_arg(shape)
    known = math.prod(n for n in shape if n != -1)
    if shape.count(-1) > 1 or (
        X.size != known if -1 not in shape else (known == 0 or X.size % known)
    ):
        raise RuntimeError(f"{where}: shape '{list(shape)}' is invalid for input of size {X.size}")
    if where == "view" and not X.flags.c_contiguous and X.size > 1:
        raise RuntimeError(
            f"view: size is not compatible with input tensor's size and stride (shape "
            f"{tuple(X.shape)} is not contiguous). Use .reshape(...) instead."
        )
    source = X.shape
    value = X.reshape(shape)
    out = _record("ViewBackward0", value, (input,), (), lambda dY: (np.reshape(dY, source),))
    out._counter = input._view_of(value) or out._counter
    return out


def transpose(input, dim0, dim1):
    """Swap two axes: dX = dY with the same two axes swapped back."""
    X = input._array
    for d in (dim0, dim1):
        if not -max(X.ndim, 1) <= d < max(X.ndim, 1):
            raise IndexError(
                f"transpose: dimension {d} out of range for a tensor of shape {tuple(X.shape)}"
            )
    value = np.swapaxes(X, dim0, dim1) if X.ndim else X
    out = _record(
        "TransposeBackward0",
        value,
        (input,),
        (),
        lambda dY: (np.swapaxes(dY, dim0, dim1) if dY.ndim else dY,),
    )
    out._counter = input._counter
    return out


def permute(input, *dims):
    """Reorder the axes: dX = dY with the inverse order."""
    dims = _shape_arg(dims)
    inverse = tuple(np.argsort(dims))
    value = np.transpose(input._array, dims)
    out = _record("PermuteBackward0", value, (input,), (), lambda dY: (np.transpose(dY, inverse),))
    out._counter = input._counter
    return out


# None where reference counts do not tell (a free-threaded build): always copy
_UNSHARED = _references_when_unshared() if getattr(sys, "_is_gil_enabled", lambda: True)() else None
