"""mkdocs hook: notebook pages in every language of mkdocs-static-i18n.

mkdocs-static-i18n builds the site once per language (English at /, Chinese at /zh/).

- Pages. In its `on_files` (priority -100, after every other plugin's) it replaces each File
  with a new one of its own, so mkdocs-jupyter's wrapper, which makes a `.py` notebook a page,
  is lost, and the notebooks came out as raw text. `on_files` here runs after it and wraps them
  again: `zero_grad.zh.py` becomes the page `zh/notebooks/zero_grad/`, and a notebook without a
  translation is the English one under `zh/` too (i18n's fallback).
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
import tokenize

from mkdocs.plugins import event_priority
from mkdocs_jupyter.plugin import NotebookFile
from nbconvert.preprocessors import ExecutePreprocessor


def code_without_comments(source):
    """The tokens of Python `source` without comments and layout: equal for two versions of
    the same code whose comments are translated. (Source that does not tokenize: its lines
    without `#` comments, white space folded.)"""
    try:
        return tuple(
            t.string
            for t in tokenize.generate_tokens(io.StringIO(source).readline)
            if t.type
            not in (
                tokenize.COMMENT,
                tokenize.NL,
                tokenize.NEWLINE,
                tokenize.INDENT,
                tokenize.DEDENT,
                tokenize.ENDMARKER,
            )
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
        files.remove(file)
        files.append(page)
    return files


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
