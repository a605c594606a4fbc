"""The Chinese edition (`<page>.zh.md`, `<notebook>.zh.py`, served under /zh/) is the English
one, translated: every English page has its Chinese page, and each pair has

- the same code: the same fenced blocks in the same order, with the same info strings, whose
  statements are identical (comments may be translated; Python is compared token by token
  without its comments, other blocks line by line without `#` comments);
- the same math: the same equation tags, in the same order;
- the same anchors: every heading of the Chinese page carries the id of the English heading
  (`## 反向传播 {#the-backward-pass}`), so that a link `page.md#anchor` works in both;
- no English prose left: a line of running text with several English words and no Chinese
  character is an untranslated line.

pytest-codeblocks runs the `python` blocks of both languages (testpaths: docs), and the browser
test opens every page of both (tests/test_browser.py).
"""

import re
import sys
from functools import cache
from pathlib import Path

import jupytext
import markdown
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT / "tools"))
from mkdocs_i18n import code_without_comments  # noqa: E402  the build's own comparison

LANG = "zh"
NOTEBOOK_FOLDERS = ("notebooks", "exercises")

ENGLISH_PAGES = sorted(p for p in DOCS.rglob("*.md") if not p.name.endswith(f".{LANG}.md"))
ENGLISH_NOTEBOOKS = sorted(
    p
    for folder in NOTEBOOK_FOLDERS
    for p in (DOCS / folder).glob("*.py")
    if not p.name.endswith(f".{LANG}.py")
)


def chinese(path):
    """docs/layers/linear.md -> docs/layers/linear.zh.md (likewise for a notebook's .py)."""
    return path.with_name(f"{path.stem}.{LANG}{path.suffix}")


def rel(path):
    return str(path.relative_to(DOCS))


CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<ticks>`{3,}|~{3,})(?P<info>[^\n`]*)$")
TAG = re.compile(r"\\tag\{([^}]*)\}")


def fences(text):
    """[(info string, body lines)] of the fenced blocks of a Markdown text, and the text's other
    lines (the prose), in order."""
    blocks, prose = [], []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            prose.append(lines[i])
            i += 1
            continue
        ticks, indent, body = m["ticks"], len(m["indent"]), []
        i += 1
        while i < len(lines) and not lines[i].strip().startswith(ticks):
            body.append(lines[i][indent:])
            i += 1
        blocks.append((m["info"].strip(), body))
        i += 1
    return blocks, prose


def statements(info, body):
    """A block's code without its comments: Python token by token, anything else line by line
    without `#` comments and with white space folded (the build's key for running a notebook
    once for both languages, tools/mkdocs_i18n.py)."""
    source = "\n".join(body) + "\n"
    if re.match(r"^(python|py)\b", info) and "--8<--" not in source:
        return code_without_comments(source)
    lines = (" ".join(re.sub(r"(^|\s)#.*$", "", line).split()) for line in body)
    return tuple(line for line in lines if line)


@cache
def _markdown_config():
    """mkdocs.yml's Markdown extensions and their settings, as mkdocs passes them."""
    from mkdocs.config import load_config

    config = load_config(str(ROOT / "mkdocs.yml"))
    return config["markdown_extensions"], config["mdx_configs"]


def heading_ids(text):
    """The ids of a page's headings, in order, as mkdocs gives them."""
    extensions, configs = _markdown_config()
    md = markdown.Markdown(extensions=extensions, extension_configs=configs)
    md.convert(text)
    ids = []

    def walk(tokens):
        for t in tokens:
            ids.append(t["id"])
            walk(t["children"])

    walk(md.toc_tokens)
    return ids


def _blank(m):
    """The match as spaces, its line breaks kept (so that line numbers stay)."""
    return re.sub(r"[^\n]", " ", m.group(0))


def untranslated(prose_lines):
    """Lines of running text that are English: 5 or more English words and no Chinese.

    Not prose, and blanked first (even where they span lines): display math, inline code,
    HTML comments and <style> blocks."""
    text = "\n".join(prose_lines)
    for span in (r"\$\$.*?\$\$", r"(`+)(?!`).*?(?<!`)\1(?!`)", r"<!--.*?-->", r"<style.*?</style>"):
        text = re.sub(span, _blank, text, flags=re.DOTALL)
    flagged = []
    for line in text.splitlines():
        text = re.sub(r"\$[^$]*\$", " ", line)  # inline math
        text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
        text = re.sub(r"<[^>]+>|\{[#.][^}]*\}|https?://\S+", " ", text)  # HTML, attributes, URLs
        if CJK.search(text):
            continue
        words = re.findall(r"\b[A-Za-z]{2,}\b", text)
        if len(words) >= 5:
            flagged.append(line.strip())
    return flagged


def notebook_parts(path):
    """(code cells' statements, markdown cells' text) of a jupytext py:percent notebook."""
    nb = jupytext.read(path)
    code = [statements("python", c.source.splitlines()) for c in nb.cells if c.cell_type == "code"]
    prose = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return code, prose


@pytest.mark.parametrize("page", ENGLISH_PAGES + ENGLISH_NOTEBOOKS, ids=rel)
def test_every_english_page_has_its_chinese_page(page):
    assert chinese(page).is_file(), f"{rel(page)} has no Chinese page {rel(chinese(page))}"


def _pair(page):
    zh = chinese(page)
    if not zh.is_file():
        pytest.skip(f"{rel(zh)} does not exist (test_every_english_page_has_its_chinese_page)")
    return page.read_text(encoding="utf-8"), zh.read_text(encoding="utf-8")


@pytest.mark.parametrize("page", ENGLISH_PAGES, ids=rel)
def test_same_code_blocks(page):
    en, zh = _pair(page)
    en_blocks, _ = fences(en)
    zh_blocks, _ = fences(zh)
    assert [info for info, _ in zh_blocks] == [info for info, _ in en_blocks], (
        f"{rel(chinese(page))}: the fenced blocks' info strings differ from {rel(page)}'s"
    )
    for n, ((info, a), (_, b)) in enumerate(zip(en_blocks, zh_blocks, strict=True), 1):
        assert statements(info, b) == statements(info, a), (
            f"{rel(chinese(page))}: block {n} ({info}) differs from the English one "
            "(only comments may change)"
        )


@pytest.mark.parametrize("page", ENGLISH_PAGES, ids=rel)
def test_same_equation_tags(page):
    en, zh = _pair(page)
    assert TAG.findall(zh) == TAG.findall(en)


@pytest.mark.parametrize("page", ENGLISH_PAGES, ids=rel)
def test_same_heading_ids(page):
    en, zh = _pair(page)
    assert heading_ids(zh) == heading_ids(en), (
        f"{rel(chinese(page))}: give each heading the English heading's id, "
        "e.g. `## 反向传播 {#the-backward-pass}`"
    )


@pytest.mark.parametrize("page", ENGLISH_PAGES, ids=rel)
def test_no_english_prose_left(page):
    _, zh = _pair(page)
    _, prose = fences(zh)
    left = untranslated(prose)
    assert not left, f"{rel(chinese(page))}: English lines left:\n" + "\n".join(left)


@pytest.mark.parametrize("notebook", ENGLISH_NOTEBOOKS, ids=rel)
def test_notebook_translated(notebook):
    if not chinese(notebook).is_file():
        pytest.skip(f"{rel(chinese(notebook))} does not exist")
    en_code, en_prose = notebook_parts(notebook)
    zh_code, zh_prose = notebook_parts(chinese(notebook))
    assert zh_code == en_code, f"{rel(chinese(notebook))}: code cells differ (only comments may)"
    assert TAG.findall(zh_prose) == TAG.findall(en_prose)
    _, prose = fences(zh_prose)
    left = untranslated(prose)
    assert not left, f"{rel(chinese(notebook))}: English lines left:\n" + "\n".join(left)
