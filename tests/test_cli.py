"""`backprop-ref` / `python -m backprop_ref`: both commands, their exit status, bad arguments,
torch missing, the program name in --help."""

import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest

import backprop_ref.functional
from backprop_ref import cli

ROOT = Path(__file__).resolve().parent.parent

NAMES = [
    f"{layer}.{kind}"
    for layer in ("conv1", "conv2", "fc1", "fc2", "fc3")
    for kind in ("weight", "bias")
]


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "backprop_ref", *args], capture_output=True, text=True, timeout=300
    )


def rows(stdout):
    """name -> (max |ours - torch|, relative error) from the printed table."""
    out = {}
    for line in stdout.splitlines():
        parts = line.split()
        if line.startswith("  ") and len(parts) >= 3 and parts[-1][0].isdigit():
            out[parts[0]] = (float(parts[-2]), float(parts[-1]))
    return out


@pytest.mark.parametrize(
    ("args", "rtol"),
    [(["--batch", "1"], 1e-5), (["--batch", "3", "--dtype", "float64", "--seed", "4"], 1e-10)],
)
def test_lenet_passes(args, rtol):
    proc = run("lenet", *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = rows(proc.stdout)
    assert set(table) == {"output", "loss", *(f"{n}.grad" for n in NAMES)}
    assert all(rel <= rtol for _, rel in table.values()), proc.stdout
    assert "(6, 1, 5, 5)" in proc.stdout and "(120, 400)" in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1].startswith("PASS")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_two_layer_passes(dtype):
    proc = run("two-layer", "--steps", "20", "--seed", "1", "--dtype", dtype)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = rows(proc.stdout)
    params = ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert set(table) == {"loss", *(f"{n}.grad" for n in params), *(f"{n}" for n in params)}
    assert "20 SGD steps" in proc.stdout
    assert proc.stdout.rstrip().splitlines()[-1].startswith("PASS")


def test_classify_prints_each_epoch_beside_torch_and_passes():
    proc = run("classify", "--epochs", "2", "--batch", "64", "--lr", "0.05", "--dtype", "float64")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:3] == ["epoch", "loss", "ours"]
    for epoch, line in zip((1, 2), lines[1:3], strict=True):
        number, loss_ours, loss_torch, acc_ours, acc_torch, rel, params = line.split()
        assert int(number) == epoch and acc_ours.endswith("%") and acc_torch.endswith("%")
        assert abs(float(loss_ours) - float(loss_torch)) <= 1e-6 and float(rel) < 1e-10
        assert float(params) < 1e-10
    table = rows(proc.stdout)
    assert set(table) == {"loss,", *NAMES}  # "loss, every step": the row name's first word
    assert proc.stdout.rstrip().splitlines()[-1].startswith("PASS")


def test_same_seed_same_report():
    assert run("two-layer", "--steps", "3").stdout == run("two-layer", "--steps", "3").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lenet", "--batch", "-1"], "the batch size must be >= 1, got -1"),
        (["lenet", "--batch", "0"], "the batch size must be >= 1, got 0"),
        (["lenet", "--batch", "2.5"], "expected an integer, got '2.5'"),
        (["lenet", "--seed", "abc"], "expected an integer, got 'abc'"),
        (["lenet", "--seed", "-3"], "the seed must be >= 0"),
        (["lenet", "--dtype", "float16"], "invalid choice: 'float16'"),
        (["two-layer", "--steps", "0"], "the number of steps must be >= 1"),
        (["two-layer", "--batch", "2"], "unrecognized arguments: --batch 2"),
        (["classify", "--epochs", "0"], "the number of epochs must be >= 1, got 0"),
        (["classify", "--lr", "-0.1"], "the learning rate must be > 0 and finite, got -0.1"),
        (["classify", "--lr", "fast"], "expected a number, got 'fast'"),
        (["three-layer"], "invalid choice: 'three-layer'"),
        ([], "the following arguments are required: COMMAND"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(args, message):
    proc = run(*args)
    assert proc.returncode == cli.EXIT_USAGE == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize(
    "args", [["--help"], ["lenet", "--help"], ["two-layer", "--help"], ["classify", "--help"]]
)
def test_help_explains_each_command(args):
    proc = run(*args)
    assert proc.returncode == 0
    text = " ".join(proc.stdout.split())  # argparse wraps lines anywhere
    for word in {
        "--help": ["lenet", "two-layer", "classify", "rtol 1e-10, atol 1e-12", "atol 1e-5"],
        "lenet": ["--batch", "--seed", "--dtype", "MSELoss", "(N, 1, 32, 32)"],
        "two-layer": ["--steps", "--seed", "--dtype", "reduction sum", "1e-4", "500"],
        "classify": ["--epochs", "--batch", "--lr", "--dtype", "momentum 0.9", "judges the first"],
    }[args[0]]:
        assert word in text, (word, proc.stdout)
    if args == ["--help"]:
        assert " ".join(cli.exit_status_help("all match", "a mismatch").split()) in text
        assert "3 torch is not installed" in text


def test_help_names_the_program_as_it_was_invoked():
    assert run("--help").stdout.startswith("usage: python -m backprop_ref ")
    script = Path(sys.executable).parent / "backprop-ref"  # the console script of pip install
    if not script.exists():
        pytest.skip(f"{script} is not installed (pip install -e .)")
    proc = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: backprop-ref ")
    assert "backprop-ref lenet --batch 8" in proc.stdout  # the examples too
    assert "python -m" not in proc.stdout


@pytest.mark.parametrize(
    ("argv0", "prog"),
    [
        ("/venv/bin/backprop-ref", "backprop-ref"),
        (r"C:\venv\Scripts\backprop-ref.exe", "backprop-ref"),
        ("/src/backprop_ref/__main__.py", "python -m backprop_ref"),
        ("-c", "python -m backprop_ref"),
        ("", "python -m backprop_ref"),
    ],
)
def test_prog_name(argv0, prog):
    assert cli.prog_name(argv0.replace("\\", "/")) == prog


def torch_hidden(call):
    """Run `call` (Python source using main) with torch hidden: sys.modules["torch"] = None makes
    `import torch` raise ImportError, as if it were not installed."""
    code = f"import sys; sys.modules['torch'] = None; from backprop_ref.cli import main; {call}"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


def test_torch_missing_exits_3_with_the_install_command():
    proc = torch_hidden("sys.exit(main(['two-layer', '--steps', '1']))")
    assert proc.returncode == cli.EXIT_MISSING == 3
    assert "torch is not installed" in proc.stderr and cli.install_hint() in proc.stderr
    assert ".[torch]" not in proc.stderr  # means nothing to someone who installed the wheel
    assert "Traceback" not in proc.stderr and proc.stdout == ""


def test_bad_arguments_still_exit_2_without_torch():
    proc = torch_hidden("sys.exit(main(['lenet', '--batch', '0']))")
    assert proc.returncode == cli.EXIT_USAGE == 2


def test_install_hint_per_platform():
    linux = cli.install_hint("linux")
    assert linux == (
        f"pip install {cli.TORCH_REQUIREMENT} --index-url https://download.pytorch.org/whl/cpu"
    )
    assert cli.install_hint("darwin") == cli.install_hint("win32") == "pip install torch==2.13.0"


def test_torch_requirement_is_pyprojects_pin():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = project["optional-dependencies"]["torch"]  # the CPU build on Linux, else standard
    assert {pin.split(";")[0].strip().split("+")[0] for pin in pins} == {cli.TORCH_REQUIREMENT}


def test_help_works_without_torch():
    proc = torch_hidden("main(['--help'])")
    assert proc.returncode == 0 and "two-layer" in proc.stdout


def test_a_wrong_gradient_fails_with_exit_1(monkeypatch, capsys):
    """In process: a loss gradient off by 1e-4 (relative) must turn the report into FAIL."""
    right = backprop_ref.functional.mse_loss_backward

    def slightly_wrong(*args, **kwargs):
        dX, dT = right(*args, **kwargs)
        return dX * (1 + 1e-4), dT

    monkeypatch.setattr(backprop_ref.functional, "mse_loss_backward", slightly_wrong)
    status = cli.main(["two-layer", "--steps", "2", "--dtype", "float64"])
    out = capsys.readouterr().out
    assert status == cli.EXIT_MISMATCH == 1
    assert out.rstrip().splitlines()[-1].startswith("FAIL")
    assert "beyond tolerance (values differ)" in out


def test_report_uses_the_precision_policy():
    """The report compares through backprop_ref.precision.compare: its tolerance per dtype."""
    r64 = cli.Report("float64")
    r64.compare("a", np.array([1.0 + 5e-11]), np.array([1.0]))
    r64.compare("b", np.array([1.0 + 5e-10]), np.array([1.0]))
    assert [c.ok for _, c in r64.rows.values()] == [True, False]
    r32 = cli.Report("float32")
    one = np.float32(1.0)
    r32.compare("a", np.array([one + np.float32(1e-5)]), np.array([one]))  # within rtol + atol
    r32.compare("b", np.array([one + np.float32(3e-5)]), np.array([one]))
    r32.compare("c", np.zeros((2, 3), np.float32), np.zeros((3, 2), np.float32))  # wrong shape
    r32.compare("d", np.zeros(2, np.float64), np.zeros(2, np.float32))  # wrong dtype
    assert [c.ok for _, c in r32.rows.values()] == [True, False, False, False]


def test_report_folds_steps_into_the_worst():
    r = cli.Report("float64")
    r.compare("g", np.array([1.0 + 1e-13]), np.array([1.0]))
    r.compare("g", np.array([1.0 + 1e-9]), np.array([1.0]))
    r.compare("g", np.array([1.0]), np.array([1.0]))
    shape, c = r.rows["g"]
    assert shape == (1,) and not c.ok and c.max_abs == pytest.approx(1e-9, rel=1e-3)
