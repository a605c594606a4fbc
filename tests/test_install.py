"""Every install path takes PyTorch's CPU build on Linux, never the CUDA build.

The paths: requirements.txt (what `make` installs: its torch lines go in a pip call of their own,
the Makefile's TORCH_LINES), the `torch` extra of pyproject.toml (`pip install
"backprop-ref[torch]" --extra-index-url ...`) and the torch install line that the README (and the
CLI's hint) give for Linux. On Linux, PyPI's `torch==2.13.0` is the CUDA build: 527 MB of torch
plus 19 nvidia-*, cuda-* and triton packages, several GB in all. The CPU build (`2.13.0+cpu`) is
served by PyTorch's CPU index only.

Two kinds of check:

- static, no network: each path pins `torch==2.13.0+cpu` on Linux and names PyTorch's CPU index
  (`==2.13.0` on macOS and Windows, whose standard wheels are CPU builds);
- a real resolution: `pip install --dry-run --report` of each path with pip's own configuration
  switched off (PIP_CONFIG_FILE=/dev/null and no PIP_* variable but PIP_CERT, which only says
  which certificates to trust), so that no local wheel folder or extra index of the machine
  stands in for the real indexes. The plan must hold torch `+cpu` and no nvidia-*, cuda-* or
  triton package. Where PyTorch's index cannot be reached (as on the machines this project is
  developed on), pip stops with "No matching distribution found for torch==2.13.0+cpu": an
  explicit failure, accepted with a warning. A CUDA plan never is.

The static checks run first, so a resolution is only attempted for a pin that cannot pull the
CUDA wheels (pip 23's --dry-run downloads every wheel of the plan). Without a network (PyPI
unreachable) the resolution skips, except under CI=true, where it fails.
"""

import json
import os
import re
import socket
import subprocess
import sys
import tomllib
import warnings
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
TORCH = "2.13.0"
# The install line for torch alone, as the README and the CLI's hint give it
HINT_LINUX = f"pip install torch=={TORCH} --index-url {CPU_INDEX}"
HINT_OTHER = f"pip install torch=={TORCH}"
CUDA_PACKAGE = re.compile(r"^(nvidia-.*|cuda-.*|triton)$")
PLATFORMS = {"linux": "linux", "macos": "darwin", "windows": "win32"}
NO_CPU_BUILD = re.compile(r"No matching distribution found for (torch==\S+)")


def read_requirements(path):
    """(options, requirement strings) of a pip requirements file, comments dropped."""
    options, requirements = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if line.startswith("-"):
            options.append(line)
        elif line:
            requirements.append(line)
    return options, requirements


def makefile_variable(name):
    m = re.search(rf"^{name}\s*:?=\s*(.+?)\s*$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert m, f"Makefile defines no {name}"
    return m[1]


def torch_pins(requirements, sys_platform):
    """The torch specifiers that apply on `sys_platform`."""
    env = {**default_environment(), "sys_platform": sys_platform, "extra": "torch"}
    pins = []
    for line in requirements:
        req = Requirement(line)
        if canonicalize_name(req.name) == "torch" and (
            req.marker is None or req.marker.evaluate(env)
        ):
            pins.append(str(req.specifier))
    return pins


def extra_requirements():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return project["optional-dependencies"]["torch"]


def cuda_packages(report):
    """The nvidia-*, cuda-* and triton packages of a `pip install --report` plan."""
    names = [canonicalize_name(item["metadata"]["name"]) for item in report["install"]]
    return sorted(n for n in names if CUDA_PACKAGE.match(n))


# ---------------------------------------------------------------- static checks (no network)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_requirements_txt_pins_the_cpu_build(platform):
    options, requirements = read_requirements(ROOT / "requirements.txt")
    assert f"--extra-index-url {CPU_INDEX}" in options
    expected = f"=={TORCH}+cpu" if platform == "linux" else f"=={TORCH}"
    assert torch_pins(requirements, PLATFORMS[platform]) == [expected]


def test_requirements_in_pins_the_same_torch():
    """`make lock` resolves requirements.in: the same index and torch lines as the lock."""
    lock_options, lock = read_requirements(ROOT / "requirements.txt")
    in_options, source = read_requirements(ROOT / "requirements.in")
    assert in_options == lock_options
    for sys_platform in PLATFORMS.values():
        assert torch_pins(source, sys_platform) == torch_pins(lock, sys_platform)


def test_lock_names_no_cuda_package():
    _, requirements = read_requirements(ROOT / "requirements.txt")
    names = [canonicalize_name(Requirement(r).name) for r in requirements]
    assert not [n for n in names if CUDA_PACKAGE.match(n)]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_extra_pins_the_cpu_build(platform):
    expected = f"=={TORCH}+cpu" if platform == "linux" else f"=={TORCH}"
    assert torch_pins(extra_requirements(), PLATFORMS[platform]) == [expected]


def test_makefile_readme_and_workflows_name_the_same_index():
    assert makefile_variable("TORCH_INDEX") == CPU_INDEX
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert HINT_LINUX in readme and HINT_OTHER in readme
    assert f'pip install -e ".[torch]" --extra-index-url {CPU_INDEX}' in readme
    for workflow in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        for url in re.findall(r"https://download\.pytorch\.org/\S+", workflow.read_text()):
            assert url == CPU_INDEX, f"{workflow.name}: {url}"


def test_plan_check_sees_the_cuda_build():
    """The checker on the plan that PyPI gave for a bare torch==2.13.0 (pip 23.2, Linux)."""
    names = ["torch", "triton", "nvidia-cublas", "cuda-toolkit", "cuda-bindings", "sympy"]
    report = {"install": [{"metadata": {"name": n, "version": "1"}} for n in names]}
    assert cuda_packages(report) == ["cuda-bindings", "cuda-toolkit", "nvidia-cublas", "triton"]


def test_testing_module_needs_no_torch():
    """backprop_ref.testing's finite differences run with numpy alone (torch import is lazy)."""
    code = (
        "import sys; sys.modules['torch'] = None\n"  # `import torch` now raises ImportError
        "import numpy as np\n"
        "from backprop_ref.testing import adjoint_test, numerical_gradient\n"
        "g = numerical_gradient(lambda x: x * x, np.array([1.0, 2.0]), np.ones(2))\n"
        "assert np.allclose(g, [2.0, 4.0]), g\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# ---------------------------------------------------------------- real resolution (network)


def _pypi_reachable():
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
    except OSError as e:
        return e
    return None


def _plans():
    """(id, pip arguments, requirement lines) of each install path, for this platform."""
    options, requirements = read_requirements(ROOT / "requirements.txt")
    torch_lines = re.compile(makefile_variable("TORCH_LINES"))
    make_step = [r for r in options + requirements if torch_lines.match(r)]
    make_options = [w for o in make_step if o.startswith("-") for w in o.split()]
    return [
        ("make", make_options, [r for r in make_step if not r.startswith("-")]),
        ("extra", ["--extra-index-url", CPU_INDEX], extra_requirements()),
        (
            "readme-hint",
            ["--index-url", CPU_INDEX] if sys.platform == "linux" else [],
            [f"torch=={TORCH}"],
        ),
    ]


@pytest.mark.parametrize("path", [p[0] for p in _plans()])
def test_install_plan_has_no_cuda_package(path, tmp_path):
    # the static guard first: never resolve a pin that could download the CUDA wheels
    if sys.platform == "linux":
        test_requirements_txt_pins_the_cpu_build("linux")
        test_extra_pins_the_cpu_build("linux")
    unreachable = _pypi_reachable()
    if unreachable is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but PyPI is unreachable ({unreachable}): cannot resolve")
        pytest.skip(f"no network: pypi.org:443 unreachable ({unreachable})")

    _, options, requirements = next(p for p in _plans() if p[0] == path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k == "PIP_CERT"}
    env |= {"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    report = tmp_path / "plan.json"
    cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet"]
    cmd += ["--report", str(report), "--retries", "1", "--timeout", "30", *options, *requirements]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    output = proc.stdout + proc.stderr

    if proc.returncode != 0:
        m = NO_CPU_BUILD.search(output)
        assert m and m[1].startswith("torch=="), f"pip failed otherwise:\n{output[-3000:]}"
        assert not re.search(r"nvidia|triton|cuda-", output), output[-3000:]
        if sys.platform == "linux":
            assert CPU_INDEX in " ".join(options), options
        warnings.warn(
            f"{path}: no CPU build of torch found (PyTorch's index {CPU_INDEX} unreachable?): "
            f"pip stopped with 'No matching distribution found for {m[1]}', no CUDA plan",
            stacklevel=1,
        )
        return

    plan = json.loads(report.read_text())
    versions = {
        canonicalize_name(i["metadata"]["name"]): i["metadata"]["version"] for i in plan["install"]
    }
    assert versions.get("torch", "").startswith(TORCH), versions
    if sys.platform == "linux":
        assert versions["torch"] == f"{TORCH}+cpu", versions
    assert cuda_packages(plan) == [], versions
