"""mkdocs hook: notebook pages in every language of mkdocs-static-i18n.

mkdocs-static-i18n builds the site once per language (English at /, Chinese at /zh/).

- Pages. In its `on_files` (priority -100, after every other plugin's) it replaces each File
  with a new one of its own, so mkdocs-jupyter's wrapper, which makes a `.py` notebook a page,
  is lost, and the notebooks came out as raw text. `on_files` here runs after it and wraps them
  again: `zero_grad.zh.py` becomes the page `zh/notebooks/zero_grad/`, and a notebook without a
  translation is the English one under `zh/` too (i18n's fallback).
- The language menu. i18n links each page to its twin in the other language, but a notebook,
  being a static file when i18n sees it, got no twin (the menu led to the home page): its twin
  is set here. The home pages' links are absolute (`/backprop-ref/zh/`), right only where the
  site is served at site_url; they become site-relative like every other link. And the head's
  `<link rel="alternate">` tags go: mkdocs-material's script fetches `sitemap.xml` beside
  each of them, and beside a page there is none (a failed request on every page); the menu
  does not need them.
- Notebook headings in Chinese. mkdocs-jupyter's table of contents slugifies a heading as
  Python-Markdown does, which drops every letter outside ASCII, while the page's own heading
  ids come from nbconvert: `## 1. 一批样本` became `#_1` in the contents and `id="1"` on the page
  (and the title `id=""`), so the contents led nowhere. `on_page_content` gives every heading of
  a notebook page one id, slugified with its Chinese kept, and the contents the same ids.
- One run per notebook. The two languages' notebooks have the same code (tests/
  test_translations.py checks it; only comments differ), so each is executed once per build:
  the first language's run records the outputs of its code cells, keyed on the code without
  its comments, and the other language's notebook gets them. That halves the notebooks' share
  of the build (about 40 s). The record is cleared when a build starts (`mkdocs serve`
  rebuilds after an edit to src/ run the notebooks again).
"""

import copy
import io
import posixpath
import re
import tokenize
from types import SimpleNamespace
from urllib.parse import urlsplit

from mkdocs.plugins import event_priority
from mkdocs_jupyter.plugin import NotebookFile
from nbconvert.preprocessors import ExecutePreprocessor
from pymdownx.slugs import slugify


def code_without_comments(source):
    """The tokens of Python `source` without its comments and blank lines: equal for two
    versions of the same code whose comments are translated. The block structure stays in
    (a statement moved into or out of a block changes the result). (Source that does not
    tokenize: its lines without `#` comments, white space folded.)"""
    marks = {tokenize.INDENT: "<indent>", tokenize.DEDENT: "<dedent>", tokenize.NEWLINE: "<nl>"}
    try:
        return tuple(
            marks.get(t.type, t.string)
            for t in tokenize.generate_tokens(io.StringIO(source).readline)
            if t.type not in (tokenize.COMMENT, tokenize.NL, tokenize.ENDMARKER)
        )
    except (tokenize.TokenError, IndentationError, SyntaxError):
        lines = (" ".join(line.split("#", 1)[0].split()) for line in source.splitlines())
        return tuple(line for line in lines if line)


@event_priority(-110)  # after mkdocs-static-i18n's on_files (-100)
def on_files(files, config):
    """Wrap each notebook again, in place (the Files object is i18n's, which maps the nav's
    paths to each language's files), keeping the place i18n gave it."""
    jupyter, i18n = config.plugins["mkdocs-jupyter"], config.plugins["i18n"]
    for file in list(files):
        if isinstance(file, NotebookFile) or not jupyter.should_include(file):
            continue
        page = NotebookFile(file, **config)
        page.dest_path, page.url = file.dest_path, file.url
        # an untranslated notebook in another language's build: i18n placed it as the default
        # language's static file, at the root; its page belongs under the language's folder
        if i18n.current_language != i18n.default_language and not file.localization:
            page.dest_path = posixpath.join(i18n.current_language, file.dest_path)
            page.url = posixpath.join(i18n.current_language, file.url)
        page.abs_dest_path = posixpath.normpath(posixpath.join(config.site_dir, page.dest_path))
        # its twin in every language: the same notebook's page under that language's folder
        bare = page.url.removeprefix(f"{i18n.current_language}/")
        page.alternates = {
            lang: SimpleNamespace(url=bare if lang == i18n.default_language else f"{lang}/{bare}")
            for lang in i18n.build_languages
        }
        files.remove(file)
        files.append(page)
    return files


# --- the language menu ---------------------------------------------------------------------------

HEAD_ALTERNATE = re.compile(r'\s*<link rel="alternate" href="[^"]*" hreflang="[^"]*">')


@event_priority(0)  # after i18n's on_page_context (50), which sets the menu's links
def on_page_context(context, page, config, nav):
    base = urlsplit(config.site_url or "/").path
    # i18n sets the attribute, config.extra.alternate, which the template reads (not the key)
    for alternate in getattr(config.extra, "alternate", None) or []:
        # `/backprop-ref/zh/` -> `zh/`, `/backprop-ref/` -> `./` (the url filter relates them)
        if alternate["link"].startswith(base):
            alternate["link"] = alternate["link"][len(base) :] or "./"
    return context


def on_post_page(output, page, config):
    head, sep, body = output.partition("</head>")
    return HEAD_ALTERNATE.sub("", head) + sep + body


# --- notebook headings ---------------------------------------------------------------------------

HEADING = re.compile(r'<h([1-6]) id="([^"]*)">(.*?)</h\1>', re.DOTALL)
SLUGIFY = slugify(case="lower")  # keeps Chinese, as the Markdown pages' ids would


def _anchors(toc):
    for item in toc:
        yield item
        yield from _anchors(item.children)


def on_page_content(html, page, config, files):
    if not isinstance(page.file, NotebookFile):
        return html
    ids = []

    def renamed(m):
        level, old, inner = m.groups()
        text = re.sub(r"<[^>]+>", "", inner).replace("¶", "").strip()
        new = base = SLUGIFY(text, "-") or "section"
        while new in ids:  # unique, as Python-Markdown makes them: -1, -2, ...
            new = f"{base}-{sum(i == base or i.startswith(base + '-') for i in ids)}"
        ids.append(new)
        inner = inner.replace(f'href="#{old}"', f'href="#{new}"')
        return f'<h{level} id="{new}">{inner}</h{level}>'

    html = HEADING.sub(renamed, html)
    anchors = list(_anchors(page.toc))
    if len(anchors) == len(ids):
        for anchor, new in zip(anchors, ids, strict=True):
            anchor.id = new
    return html


# --- one run per notebook ------------------------------------------------------------------------

_RUNS = {}  # the code cells' code, comments aside -> [(outputs, execution_count)] per code cell
_execute = ExecutePreprocessor.preprocess


def _code_cells(nb):
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def _preprocess_once(self, nb, resources=None, km=None):
    cells = _code_cells(nb)
    key = tuple(code_without_comments(cell.source) for cell in cells)
    if key in _RUNS:
        for cell, (outputs, count) in zip(cells, _RUNS[key], strict=True):
            cell.outputs, cell.execution_count = copy.deepcopy(outputs), count
        return nb, resources
    nb, resources = _execute(self, nb, resources, km)
    _RUNS[key] = [(copy.deepcopy(c.outputs), c.execution_count) for c in _code_cells(nb)]
    return nb, resources


def on_config(config):
    ExecutePreprocessor.preprocess = _preprocess_once  # (idempotent: `mkdocs serve` reloads)


def on_pre_build(config):
    i18n = config.plugins["i18n"]
    if i18n.current_language == i18n.default_language:  # a new build, not its next language
        _RUNS.clear()
