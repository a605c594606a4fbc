"""Every piece of Python shown in the docs is either executed by the test suite or included
from src/ (and so tested through tests/).

pytest-codeblocks runs only fences whose info string is exactly `python`; a `py`, `python3` or
`python title=...` fence is silently ignored. This test makes that rule visible: it fails on a
Python-looking fence that holds hand-written code and is not run, on a `--8<--` include inside a
`python` fence (it would run as code), on a skip without a written reason, and on any `python`
fence that pytest-codeblocks does not collect.
"""

import re
from pathlib import Path

import pytest
from pytest_codeblocks.main import extract_from_file

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
FENCE = re.compile(r"^(?P<indent>\s*)(?P<ticks>`{3,}|~{3,})\s*(?P<info>[^`]*?)\s*$")
PYTHONISH = re.compile(r"^\{?\.?(py|python3?|pycon|ipython3?)\b", re.IGNORECASE)
SKIP = re.compile(r"<!--\s*pytest\.mark\.(skip|skipif|xfail)\b(?P<args>.*)-->")
CONT = "<!--pytest-codeblocks:cont-->"
SNIPPET = re.compile(r'^\s*--8<--\s+"src/[^"]+"\s*$')


def fences(path):
    """(line, info, body lines, previous non-blank line) for each fenced block."""
    lines = path.read_text(encoding="utf-8").splitlines()
    i, before = 0, ""
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            before = lines[i].strip() or before
            i += 1
            continue
        ticks, start, body = m["ticks"], i + 1, []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(ticks):
            body.append(lines[i])
            i += 1
        yield start, m["info"], body, before
        before = ""
        i += 1


def test_docs_have_pages():
    assert len(PAGES) >= 5


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(DOCS)))
def test_python_shown_is_run_or_included(page):
    problems = []
    python_fences = []
    for line, info, body, before in fences(page):
        where = f"{page.relative_to(DOCS.parent)}:{line}"
        code = [b for b in body if b.strip()]
        lang = info.split()[0] if info else ""
        if info == "python":
            python_fences.append((line, before))
            if any("--8<--" in b for b in body):
                problems.append(f"{where}: a --8<-- include inside a `python` fence runs as code")
            m = SKIP.search(before)
            if m and "reason" not in m["args"] and m[1] != "xfail":
                problems.append(f"{where}: skipped without a written reason")
        elif PYTHONISH.match(lang) or PYTHONISH.match(info):
            if not code or not all(SNIPPET.match(b) for b in code):
                problems.append(
                    f"{where}: Python in a ```{info} fence is never run: make it ```python, or "
                    "include it from src/ with --8<--"
                )
    # pytest-codeblocks must collect every `python` fence: as a block of its own, or chained
    collected = {b.lineno for b in extract_from_file(page) if b.syntax == "python"}
    for line, before in python_fences:
        if line not in collected and before != CONT:
            problems.append(f"{page.relative_to(DOCS.parent)}:{line}: not collected by pytest")
    assert not problems, "\n".join(problems)


def test_snippet_includes_name_existing_sections():
    """Each `--8<-- "src/...:section"` names a file and a section that exist (mkdocs --strict
    checks it too; this reports it without building the site)."""
    missing = []
    for page in PAGES:
        for m in re.finditer(r'--8<--\s+"(src/[^":]+)(?::([a-z][-_0-9a-z]*))?"', page.read_text()):
            src = DOCS.parent / m[1]
            if not src.is_file():
                missing.append(f"{page.name}: {m[1]} does not exist")
            elif m[2] and f"[start:{m[2]}]" not in src.read_text():
                missing.append(f"{page.name}: {m[1]} has no section {m[2]}")
    assert not missing, "\n".join(missing)
