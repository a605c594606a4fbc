"""Every copyable Python block of the built site runs as a reader would paste it.

pytest-codeblocks runs the ```python fences of the Markdown sources, all in one process that
has the test suite's sys.path, and it chains blocks with `<!--pytest-codeblocks:cont-->`, an
HTML comment no reader sees. This test reads what a reader gets instead: the text that
mkdocs-material's copy button puts on the clipboard, taken from the BUILT HTML.

What the button copies (mkdocs-material 9, `content.code.copy`): clipboard.js with the target
`#__code_N > code`, whose text is the `<code>` element's `innerText` with `.md-annotation`
markers hidden (`[data-md-copying] .md-annotation {display: none}`), then `trimEnd()`. The line
anchors of `anchor_linenums` are empty `<a>` elements and line numbers are drawn outside
`<code>`, so neither reaches the clipboard. Here: the text of `<pre><code>`, annotation markers
removed, trailing whitespace stripped.

Which blocks run: those whose language is Python (the `language-python` / `language-py` class
that `pygments_lang_class` puts on the block), except source excerpts labelled with their file
name (`py title="src/..."`: included from src/ and tested through tests/) and blocks labelled
Output. `text`, `console` and every other language are not Python and are not run. Notebook
cells have no copy button (mkdocs-jupyter renders them without `<code>`) and run at build time.

How they run: all the blocks of one page in one fresh process, in an empty temporary folder as
the working directory, with the venv's Python and nothing on its path but the package (this
checkout's src/, what the site was built from) and the installed requirements: no tests/, no
conftest. Each block runs in a namespace of its own, as if pasted into a new interpreter, unless
its first line is a comment saying that it continues an earlier block (`# continues the block
above`): then it runs in the namespace of the block before it, and a chain of such blocks
shares one namespace. The pages' processes run in parallel, one per core.

The Chinese pages (`<page>.zh.md`) are not run a second time: their copied blocks are checked
to be the English page's, comments aside, chained the same way, so they run as those do.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import pytest
from site_pages import language, page_dir

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT / "tools"))
from mkdocs_i18n import code_without_comments  # noqa: E402  (comments aside, the same code)

PYTHON_LANGUAGES = {"python", "py", "python3"}
# a first-line comment declaring the block a continuation of the one before it
# (in the Chinese edition: `# 接上一个代码块`)
CONTINUES = re.compile(
    r"^#\s*(?:this block\s+)?(?:continu(?:es|ed|ing)\b|接(?:着|续)?上)", re.IGNORECASE
)
# a title naming a file (`src/backprop_ref/functional/linear.py`), or an output block's label
FILE_TITLE = re.compile(r"(^|/)[\w.-]+\.\w+$")
OUTPUT_TITLE = re.compile(r"^\s*output\b", re.IGNORECASE)
# the annotation markers mkdocs-material turns into `.md-annotation` when a list follows
ANNOTATION = re.compile(r"\s*\(\d+\)!?")
PAGE_TIMEOUT = 600  # seconds; guards against a block that never finishes, not a speed test


def page_sources(docs=DOCS):
    """Every Markdown page under docs/ (both languages), as (docs-relative source, built HTML
    path)."""
    return [
        (str(src.relative_to(docs)), Path(page_dir(src, docs), "index.html"))
        for src in sorted(docs.rglob("*.md"))
    ]


PAGES = page_sources()


class CodeBlocks(HTMLParser):
    """The code blocks of a page, in order: language, title, copied text, annotated."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks = []
        self.stack = []  # (tag, classes) of the open elements
        self.block = None  # the block whose <div class="... highlight"> is open
        self.title = None  # collecting the text of <span class="filename">
        self.title_depth = None
        self.code_depth = None  # depth of the open <pre><code>
        self.skip_depth = None  # depth of an open .md-annotation (hidden while copying)
        self.comment_depth = None  # depth of an open comment span
        self.after_block = False  # the last thing closed was a code block's div

    VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "source", "area", "col"})

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if self.after_block and tag == "ol" and self.blocks:
            self.blocks[-1]["annotated"] = True  # mkdocs-material's code annotations
        if tag not in ("p",):
            self.after_block = False
        if tag in self.VOID:
            return
        self.stack.append((tag, classes))
        depth = len(self.stack)
        if tag == "div" and "highlight" in classes and self.block is None:
            langs = [c.removeprefix("language-") for c in classes if c.startswith("language-")]
            self.block = {
                "language": langs[0] if langs else "",
                "title": "",
                "text": "",
                "annotated": False,
                "depth": depth,
                "has_code": False,
            }
        elif self.block is not None:
            if tag == "span" and "filename" in classes and self.code_depth is None:
                self.title, self.title_depth = "", depth
            elif tag == "code" and self.stack[-2][0] == "pre" and self.code_depth is None:
                self.code_depth = depth
                self.block["has_code"] = True
            elif self.code_depth is not None:
                if "md-annotation" in classes and self.skip_depth is None:
                    self.skip_depth = depth
                if tag == "span" and classes and classes[0] in ("c", "c1", "ch", "cm", "cs"):
                    self.comment_depth = depth

    def handle_endtag(self, tag):
        if tag in self.VOID or not self.stack:
            return
        # close up to the matching open tag (tolerates unclosed children)
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                break
        else:
            return
        while len(self.stack) > i:
            depth = len(self.stack)
            self.stack.pop()
            if self.skip_depth == depth:
                self.skip_depth = None
            if self.comment_depth == depth:
                self.comment_depth = None
            if self.code_depth == depth:
                self.code_depth = None
            if self.title_depth == depth:
                self.block["title"] = self.title.strip()
                self.title, self.title_depth = None, None
            if self.block is not None and self.block["depth"] == depth:
                if self.block["has_code"]:
                    self.blocks.append(self.block)
                    self.after_block = True
                self.block = None

    def handle_data(self, data):
        if self.title is not None and self.code_depth is None:
            self.title += data
        if self.code_depth is not None and self.skip_depth is None:
            if self.comment_depth is not None:
                data = "\x00" + data + "\x01"  # marks comment text (annotation markers)
            self.block["text"] += data


def copied_text(block):
    """What the copy button puts on the clipboard: innerText without markers, trimEnd()."""
    text = block["text"]
    if block["annotated"]:  # the markers become .md-annotation, hidden while copying
        text = re.sub("\x00([^\x01]*)\x01", lambda m: ANNOTATION.sub("", m[1]), text)
    return text.replace("\x00", "").replace("\x01", "").rstrip()


def page_blocks(html):
    """The page's runnable blocks: [(index on the page, language, code)]; and the exempt count."""
    parser = CodeBlocks()
    parser.feed(html)
    parser.close()
    runnable = []
    for number, block in enumerate(parser.blocks, start=1):
        title = block["title"]
        if block["language"] not in PYTHON_LANGUAGES:
            continue  # text, console, ...: not Python
        if title and (FILE_TITLE.search(title) or OUTPUT_TITLE.match(title)):
            continue  # a source excerpt labelled with its file, or an output
        runnable.append({"number": number, "code": copied_text(block)})
    return runnable


# The program each page's process runs: reads the blocks (JSON on stdin), runs them, and writes
# one JSON result per block to the file named by argv[1] (stdout is the blocks' own).
RUNNER = r"""
import contextlib, io, json, linecache, re, sys, traceback
CONTINUES = re.compile(sys.argv[2], re.IGNORECASE)
page, blocks = json.load(sys.stdin)
results, namespace, chain_failed = [], None, False
for block in blocks:
    code, number = block["code"], block["number"]
    first = next((line.strip() for line in code.splitlines() if line.strip()), "")
    continues = bool(CONTINUES.match(first))
    if continues and namespace is None:
        results.append({"number": number, "status": "orphan"})
        namespace, chain_failed = {"__name__": "__main__"}, False
    elif not continues:
        namespace, chain_failed = {"__name__": "__main__"}, False
    if chain_failed:
        results.append({"number": number, "status": "not run"})
        continue
    filename = f"<{page}, block {number}>"
    lines = [line + "\n" for line in code.splitlines()]
    linecache.cache[filename] = (len(code), None, lines, filename)
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(code + "\n", filename, "exec"), namespace)
    except BaseException:
        chain_failed = True
        results.append({"number": number, "status": "failed", "continues": continues,
                        "traceback": traceback.format_exc(), "stdout": out.getvalue()[-2000:]})
    else:
        results.append({"number": number, "status": "ok", "continues": continues})
with open(sys.argv[1], "w", encoding="utf-8") as f:
    json.dump(results, f)
"""


def child_env():
    """The environment of a reader's shell: this checkout's package, no tests/ on the path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PYTEST"))}
    env["PYTHONPATH"] = str(ROOT / "src")  # the package the site was built from
    env["MPLBACKEND"] = "Agg"
    return env


def run_page(source, blocks):
    """Run one page's blocks in a fresh process in an empty folder; (results, stderr)."""
    with tempfile.TemporaryDirectory(prefix="copyable-") as cwd:
        out = Path(cwd) / ".results.json"
        proc = subprocess.run(
            [sys.executable, "-s", "-c", RUNNER, str(out), CONTINUES.pattern],
            input=json.dumps([source, blocks]),
            cwd=cwd,
            env=child_env(),
            capture_output=True,
            text=True,
            timeout=PAGE_TIMEOUT,
        )
        if not out.is_file():
            return None, f"exit status {proc.returncode}\n{proc.stderr[-4000:]}"
        return json.loads(out.read_text(encoding="utf-8")), proc.stderr


def built_blocks(site, html):
    """The runnable blocks of a built page, None when the page was not built."""
    path = site / html
    return page_blocks(path.read_text(encoding="utf-8")) if path.is_file() else None


@pytest.fixture(scope="session")
def copyable_runs(site):
    """source -> (blocks, future of (results, stderr)) for every English page; every page
    starts at once, one per core."""
    pool = ThreadPoolExecutor(max_workers=max(1, min(len(os.sched_getaffinity(0)), 4)))
    runs = {}
    for source, html in PAGES:
        if language(source):
            continue  # a translation: test_translated_blocks_copy_as_the_english_ones
        blocks = built_blocks(site, html)
        future = pool.submit(run_page, source, blocks) if blocks else None
        runs[source] = None if blocks is None else (blocks, future)
    yield runs
    pool.shutdown(cancel_futures=True)


def continues(code):
    first = next((line.strip() for line in code.splitlines() if line.strip()), "")
    return bool(CONTINUES.match(first))


TRANSLATED = [(s, h) for s, h in PAGES if language(s)]


@pytest.mark.site
@pytest.mark.parametrize(("source", "html"), TRANSLATED, ids=[s for s, _ in TRANSLATED])
def test_translated_blocks_copy_as_the_english_ones(site, source, html):
    """A translated page's copyable blocks are its English page's, but for their comments,
    chained the same way: they run as the English ones do (test_copyable_blocks_run), without
    a second run."""
    english = source.replace(f".{language(source)}.", ".")
    (english_html,) = [h for s, h in PAGES if s == english]
    blocks, theirs = built_blocks(site, html), built_blocks(site, english_html)
    assert blocks is not None, f"docs/{source}: no built page at {html}"
    assert len(blocks) == len(theirs), f"docs/{source}: {len(blocks)} blocks, English {len(theirs)}"
    for ours, en in zip(blocks, theirs, strict=True):
        where = f"docs/{source}, code block {ours['number']} of the page"
        assert code_without_comments(ours["code"]) == code_without_comments(en["code"]), (
            f"{where} differs from the English page's:\n{head(ours['code'])}"
        )
        assert continues(ours["code"]) == continues(en["code"]), (
            f"{where}: continues an earlier block in one language and not in the other"
        )


def head(code, n=3):
    lines = code.splitlines()
    shown = "\n".join(f"    | {line}" for line in lines[:n])
    return shown + (f"\n    | ... ({len(lines) - n} more lines)" if len(lines) > n else "")


ENGLISH = [(s, h) for s, h in PAGES if not language(s)]


@pytest.mark.site
@pytest.mark.parametrize(("source", "html"), ENGLISH, ids=[s for s, _ in ENGLISH])
def test_copyable_blocks_run(copyable_runs, source, html):
    run = copyable_runs[source]
    assert run is not None, f"docs/{source}: no built page at {html}"
    blocks, future = run
    if future is None:
        return  # no Python block to copy on this page
    results, stderr = future.result()
    assert results is not None, f"docs/{source} ({html}): the blocks' process died: {stderr}"
    code = {b["number"]: b["code"] for b in blocks}
    problems = []
    for r in results:
        where = f"docs/{source} ({html}), code block {r['number']} of the page"
        if r["status"] == "failed":
            how = "continuing the block before it" if r["continues"] else "pasted alone"
            problems.append(
                f"{where}, {how}, fails:\n{head(code[r['number']])}\n{r['traceback']}"
                + (f"its output before the error:\n{r['stdout']}" if r["stdout"] else "")
            )
        elif r["status"] == "orphan":
            problems.append(
                f"{where} says it continues a block, but no Python block comes before it:\n"
                f"{head(code[r['number']])}"
            )
        elif r["status"] == "not run":
            problems.append(f"{where}: not run, the block it continues failed")
    assert len(results) == len(blocks), f"docs/{source}: {len(results)} of {len(blocks)} ran"
    assert not problems, "\n\n".join(problems)


def test_copied_text_is_the_code_elements_text():
    """The extraction on a block shaped like mkdocs-material's: anchors, a title, an annotation."""
    html = (
        '<div class="language-python highlight"><pre><span></span><code>'
        '<a id="__codelineno-0-1" name="__codelineno-0-1" href="#__codelineno-0-1"></a>'
        '<span class="n">x</span> <span class="o">=</span> <span class="mi">1</span>  '
        '<span class="c1"># (1)</span>\n'
        '<a id="__codelineno-0-2" href="#__codelineno-0-2"></a>print(x &lt; 2)\n\n'
        "</code></pre></div>\n<ol><li>an annotation</li></ol>\n"
        '<div class="language-py highlight"><span class="filename">src/backprop_ref/x.py</span>'
        "<pre><span></span><code>secret()\n</code></pre></div>\n"
        '<div class="language-text highlight"><pre><span></span><code>True\n</code></pre></div>\n'
        '<div class="language-python highlight"><pre><span></span><code># continues the block '
        "above\nprint(x)  # (1)\n</code></pre></div>\n"
    )
    blocks = page_blocks(html)
    assert [b["number"] for b in blocks] == [1, 4]
    assert blocks[0]["code"] == "x = 1  #\nprint(x < 2)"
    assert blocks[1]["code"] == "# continues the block above\nprint(x)  # (1)"  # no list: kept
    assert CONTINUES.match(blocks[1]["code"])
