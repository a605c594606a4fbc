"""Where each source under docs/ lands in the built site, in both languages.

mkdocs-static-i18n (suffix structure): `layers/linear.md` is the English page `layers/linear/`
and `layers/linear.zh.md` the Chinese one, `zh/layers/linear/`; notebooks likewise
(`notebooks/zero_grad.zh.py` -> `zh/notebooks/zero_grad/`). English, the default, is at the root.
"""

from pathlib import Path, PurePosixPath

LANGUAGES = ("zh",)  # the translations; English is the default


def language(src):
    """'zh' for `page.zh.md`, None for an English page."""
    stem = Path(src).stem
    suffix = stem.rsplit(".", 1)[-1] if "." in stem else None
    return suffix if suffix in LANGUAGES else None


def page_dir(src, docs):
    """The page's folder in the site, e.g. PurePosixPath('zh/layers/linear') ('.' for home)."""
    rel = PurePosixPath(Path(src).relative_to(docs).as_posix())
    lang = language(src)
    name = rel.stem.removesuffix(f".{lang}") if lang else rel.stem
    parts = rel.parent.parts if name in ("index", "README") else (*rel.parent.parts, name)
    return PurePosixPath(*([lang] if lang else []), *parts)


def page_url(src, docs):
    """Site-relative URL: 'zh/layers/linear/', '' for the English home page."""
    folder = str(page_dir(src, docs))
    return "" if folder == "." else f"{folder}/"


def url_language(url):
    """'zh' for a page under zh/, None for an English page."""
    first = url.split("/", 1)[0]
    return first if first in LANGUAGES else None
