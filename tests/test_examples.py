"""examples/*.py are standalone: numpy only, no backprop_ref, runnable from any folder.

Each is run as a reader would run it, with the venv's python from an empty temporary folder,
and must say that its gradients agree with torch's; run again with torch hidden, it must still
print its gradients and exit cleanly.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.py"))
HIDE_TORCH = (  # `import torch` then raises ImportError, as on a machine without torch
    "import runpy, sys; sys.modules['torch'] = None; "
    "runpy.run_path(sys.argv[1], run_name='__main__')"
)


def test_the_two_examples_exist():
    assert {p.name for p in EXAMPLES} >= {"two_layer.py", "lenet.py"}


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_imports_only_numpy_and_optionally_torch(script):
    imported = set()
    for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert "backprop_ref" not in imported
    assert imported <= {"numpy", "torch"}, imported


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_agrees_with_torch_from_an_empty_folder(script, tmp_path):
    run = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "ours and torch agree" in run.stdout, run.stdout
    assert "MISMATCH" not in run.stdout


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_runs_without_torch(script, tmp_path):
    run = subprocess.run(
        [sys.executable, "-c", HIDE_TORCH, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "torch is not installed" in run.stdout
    assert "weight" in run.stdout and "loss" in run.stdout
