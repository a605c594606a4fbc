"""Make a failing doc block say where it is: the Markdown file and line, and the traceback.

pytest-codeblocks 0.18 reports only the block's first line and `str(exception)` (a bare `assert`
shows nothing). This replaces its failure report with the real traceback, each frame of the block
mapped back to the line of the Markdown file it came from.
"""

import os
import re
import traceback

# One thread per process, for torch, numpy's BLAS and OpenMP, in this process and in the ones the
# tests start (the CLI, the copyable blocks, the examples, Chromium's neighbours): on 2 cores the
# thread pools of torch and OpenBLAS, and of two processes, fight over the cores, and small ops
# get many times slower. The thread count changes at most the summation order, i.e. rounding,
# which the tolerances absorb. Set before numpy and torch load.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import torch  # noqa: E402
from pytest_codeblocks.plugin import TestBlock  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

torch.set_num_threads(1)
threadpool_limits(1)  # numpy's BLAS too, should a plugin have loaded numpy before this file

_FENCE = re.compile(r"^\s*(`{3,})(.*)$")


def _fence_bodies(path):
    """Yield (first_body_line, n_lines, info) for every fenced block of a Markdown file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        ticks, info, start = m[1], m[2].strip(), i + 2  # 1-based line of the first body line
        i += 1
        while i < len(lines) and not lines[i].lstrip().startswith(ticks):
            i += 1
        yield start, i + 1 - start, info
        i += 1


def _markdown_line(path, block_lineno, code_line):
    """Markdown line of line `code_line` (1-based) of a block, following `cont` chains."""
    segments = [f for f in _fence_bodies(path) if f[0] - 1 >= block_lineno and f[2] == "python"]
    for first, n, _ in segments:
        if code_line <= n:
            return first + code_line - 1
        code_line -= n
    return block_lineno


def _repr_failure(self, excinfo):
    err = excinfo.value
    cause = err.__cause__ or err.__context__
    if self.obj.syntax != "python" or cause is None:
        return str(err)
    where = f"{self.path}:{self.obj.lineno}"
    frames = []
    for fs in traceback.extract_tb(cause.__traceback__):
        if fs.filename == "<string>":
            md = _markdown_line(self.path, self.obj.lineno, fs.lineno)
            code = self.obj.code.splitlines()[fs.lineno - 1].strip()
            frames.append(f"  {self.path}:{md}, in the doc block\n    {code}\n")
            where = f"{self.path}:{md}"
        elif "pytest_codeblocks" not in fs.filename:
            frames.append("".join(traceback.format_list([fs])))
    message = "".join(traceback.format_exception_only(cause)).strip()
    return (
        f"doc block failed at {where}\n"
        "Traceback (most recent call last):\n" + "".join(frames) + message
    )


TestBlock.repr_failure = _repr_failure
