"""Fixtures shared by the tests."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parent.parent


def build_site(out):
    """`mkdocs build --strict` into `out`; None, or what went wrong."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )
    if proc.returncode != 0:
        return f"mkdocs build --strict failed:\n{proc.stderr[-6000:]}"
    # mkdocs' own warnings ("WARNING -  ..."); the Jupyter kernel's log lines are not mkdocs'
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("WARNING")]
    return "\n".join(warnings) or None


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The site, built once per test run with `mkdocs build --strict`; its folder.

    The run's workers (pytest-xdist, `-n`) share one build: the first to need it builds it
    under a lock, in the folder the workers' temporary folders share; the others wait, then
    read the same result."""
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # basetemp/popen-gw0 -> basetemp, common to the workers
    out, result = shared / "site", shared / "site-build.json"
    with FileLock(shared / "site-build.lock"):
        if not result.is_file():
            result.write_text(json.dumps({"problem": build_site(out)}), encoding="utf-8")
    problem = json.loads(result.read_text(encoding="utf-8"))["problem"]
    assert problem is None, problem
    return out


# --- pytest-xdist: the tests that share a costly session fixture run on one worker ------------
# (`--dist loadgroup` in pyproject.toml sends each group to a single worker.) The browser tests
# of one language share its page visits (test_browser's `visited`), and the copyable-blocks
# tests share one pool of page runs; the other tests spread over the workers.


def pytest_collection_modifyitems(config, items):
    from site_pages import url_language

    for item in items:
        module = item.path.name
        if module == "test_browser.py":
            url = getattr(item, "callspec", None) and item.callspec.params.get("url")
            group = f"browser-{url_language(url) or 'en'}" if url is not None else "browser-zh"
        elif module == "test_copyable_blocks.py":
            group = "copyable"
        else:
            continue
        item.add_marker(pytest.mark.xdist_group(group))


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
