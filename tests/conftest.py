"""Fixtures shared by the tests."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The site, built once per test session with `mkdocs build --strict`; its folder."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stderr[-6000:]}"
    # mkdocs' own warnings ("WARNING -  ..."); the Jupyter kernel's log lines are not mkdocs'
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("WARNING")]
    assert not warnings, "\n".join(warnings)
    return out


# --- hypothesis profiles (tests/test_properties.py) -------------------------------------------
# "ci", the default: 200 examples per test, derandomized, so every run (and CI) draws the same
# cases and a failure reproduces. "thorough": thousands of fresh random cases, for a local run:
#     pytest tests/test_properties.py --hypothesis-profile=thorough
# (the hypothesis pytest plugin loads the named profile after this file has registered it).
from hypothesis import settings  # noqa: E402

settings.register_profile(
    "ci", max_examples=200, deadline=None, derandomize=True, database=None, print_blob=True
)
settings.register_profile("thorough", max_examples=5000, deadline=None, print_blob=True)
settings.load_profile("ci")
