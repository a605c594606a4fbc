"""The second seed note's script (two_layer_note.txt, verbatim: a Linear-ReLU-Linear net trained
500 steps, with the author's manual gradients regx2, rex4, res next to every param.grad), run
twice: on torch, and on the engine with only its import line changed. Both start from the same
numbers (torch's randn draws and Linear inits, recorded and replayed) in float64, and every
value the script prints, at every step, is compared under the float64 precision policy."""

from pathlib import Path

import numpy as np
import pytest
import torch as real_torch

import backprop_ref.engine as engine
from backprop_ref.precision import assert_close

SCRIPT = (Path(__file__).parent / "two_layer_note.txt").read_text()
IMPORT = "import torch\n"
assert SCRIPT.count(IMPORT) == 1


def _plain(value):
    """A printed argument as plain data: tensors (torch's or ours) as numpy copies."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, engine.Tensor):
        return value.detach().numpy().copy()
    if isinstance(value, real_torch.Tensor):
        return value.detach().numpy().copy()
    return value


def run(script):
    """exec the script with print recording its arguments (and printing nothing)."""
    printed = []
    namespace = {"__name__": "note", "print": lambda *args: printed.append(_plain(args))}
    exec(compile(script, "two_layer_note.txt", "exec"), namespace)
    return printed


@pytest.fixture(scope="module")
def runs():
    draws, inits = [], []
    mp = pytest.MonkeyPatch()
    torch_randn, TorchLinear = real_torch.randn, real_torch.nn.Linear

    def recording_randn(*size, **kwargs):
        t = torch_randn(*size, **kwargs)
        draws.append(t.numpy().copy())
        return t

    class RecordingLinear(TorchLinear):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            inits.append({k: v.numpy().copy() for k, v in self.state_dict().items()})

    def replaying_randn(*size, **kwargs):
        return engine.tensor(draws.pop(0))

    class ReplayingLinear(engine.nn.Linear):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.load_state_dict(inits.pop(0))

    old_dtype = real_torch.get_default_dtype()
    try:
        real_torch.set_default_dtype(real_torch.float64)
        engine.set_default_dtype(engine.float64)
        mp.setattr(real_torch, "randn", recording_randn)
        mp.setattr(real_torch.nn, "Linear", RecordingLinear)
        mp.setattr(engine, "randn", replaying_randn)
        mp.setattr(engine.nn, "Linear", ReplayingLinear)
        theirs = run(SCRIPT)
        ours = run(SCRIPT.replace(IMPORT, "import backprop_ref.engine as torch\n"))
    finally:
        mp.undo()
        real_torch.set_default_dtype(old_dtype)
        engine.set_default_dtype(engine.float32)
    assert not draws and not inits  # every recorded number was replayed
    return ours, theirs


def _same(ours, theirs, where):
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            _same(a, b, f"{where}[{i}]")
    elif isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray), f"{where}: {type(ours).__name__}"
        assert_close(ours, theirs, where)
    elif isinstance(theirs, float):
        assert_close(np.asarray(ours), np.asarray(theirs), where)
    else:
        assert ours == theirs, where


def test_every_printed_value_equals_torch(runs):
    ours, theirs = runs
    assert len(ours) == len(theirs) == 4 + 500 * 16
    for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        _same(a, b, f"print #{i} {b[0] if isinstance(b[0], str) else ''}")


def test_the_manual_gradients_are_compared(runs):
    """The named intermediates are there at every step, in float64. (They are not equal to
    pgrad: the note computes them from the parameters after the update; the comparison with
    torch's run above is what checks them.)"""
    ours, _ = runs
    labelled = [args for args in ours if args and isinstance(args[0], str)]
    labels = [args[0] for args in labelled]
    for name in ("-----regx2 ", "-----rex4 ", "-----res ", "--pgrad[0]: ", "--pgrad[3]: "):
        assert labels.count(name) == 500, name
    steps = [args for args in labelled if args[0] in ("-----regx2 ", "--pgrad[0]: ")]
    for manual, autograd in zip(steps[0::2], steps[1::2], strict=True):
        assert manual[1].dtype == autograd[1].dtype == np.float64
        assert manual[1].shape == autograd[1].shape == (4, 3)
