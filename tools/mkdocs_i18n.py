"""mkdocs hook: notebook pages in every language of mkdocs-static-i18n.

mkdocs-static-i18n builds the site once per language (English at /, Chinese at /zh/). In its
`on_files` (priority -100, after every other plugin's) it replaces each File with a new one of
its own, so mkdocs-jupyter's wrapper, which makes a `.py` notebook a page, is lost, and the
notebooks came out as raw text. This hook runs after it and wraps them again:
`zero_grad.zh.py` becomes the page `zh/notebooks/zero_grad/`, and a notebook without a
translation is the English one under `zh/` too (i18n's fallback).
"""

import posixpath

from mkdocs.plugins import event_priority
from mkdocs_jupyter.plugin import NotebookFile


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
