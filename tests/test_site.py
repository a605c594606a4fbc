"""The site builds with `mkdocs build --strict` (notebooks executed) and needs nothing from
outside 127.0.0.1 (no CDN, no web fonts)."""

import re
from urllib.parse import unquote, urlsplit

import pytest


@pytest.mark.site
def test_every_page_built(site):
    assert (site / "index.html").is_file()
    assert (site / "assets/vendor/katex/katex.min.js").is_file()
    assert list((site / "assets/vendor/katex/fonts").glob("*.woff2"))


# tags whose URL the browser fetches (a canonical <link> or an <a> is not fetched)
FETCHED = re.compile(
    r"""<(?:script|img|iframe|source)\b[^>]*\bsrc=["']?([^"'\s>]*)"""
    r"""|<link\b(?![^>]*rel=["']?canonical)[^>]*\bhref=["']?([^"'\s>]*)""",
    re.IGNORECASE,
)


@pytest.mark.site
def test_no_request_leaves_the_site(site):
    offenders = []
    for page in site.rglob("*.html"):
        for m in FETCHED.finditer(page.read_text(encoding="utf-8")):
            url = m.group(1) if m.group(1) is not None else m.group(2)
            if url == "" or url.startswith(("http:", "https:", "//")):
                offenders.append(f"{page.relative_to(site)}: {m.group(0)}")
    assert not offenders, "\n".join(offenders[:20])
    css = [p for p in site.rglob("*.css") if "fonts.googleapis" in p.read_text(encoding="utf-8")]
    assert not css, css


HREF = re.compile(r"""<a\b[^>]*\bhref=["']([^"']+)["']""", re.IGNORECASE)


@pytest.mark.site
def test_internal_links_resolve(site):
    """Every relative link of every built page reaches a file, and its #anchor an id there.

    mkdocs --strict validates links in Markdown pages, but not in notebook pages, whose links
    mkdocs-jupyter passes through untouched: this checks the HTML itself.
    """
    broken = []
    pages = sorted(site.rglob("*.html"))
    ids_cache = {}
    for page in pages:
        if page.name == "404.html":
            continue
        for href in HREF.findall(page.read_text(encoding="utf-8")):
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith(("mailto:", "javascript:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page.relative_to(site)}: {href}")
                continue
            if parts.fragment and target.suffix == ".html":
                if target not in ids_cache:
                    text = target.read_text(encoding="utf-8")
                    ids_cache[target] = set(re.findall(r"""\bid=["']([^"']+)["']""", text))
                if unquote(parts.fragment) not in ids_cache[target]:
                    broken.append(f"{page.relative_to(site)}: {href} (no such anchor)")
    assert not broken, "\n".join(broken[:30])


@pytest.mark.site
def test_search_previews_show_no_tex(site):
    """A search result's preview is the section's text from search_index.json: its formulas
    read as text (tools/mkdocs_hooks.py), not as `\\(x P_0^\\top + P_1\\)`."""
    import json

    index = json.loads((site / "search/search_index.json").read_text(encoding="utf-8"))
    offenders = [
        f"{doc['location']}: ...{doc[key][max(0, i - 40) : i + 60]}..."
        for doc in index["docs"]
        for key in ("title", "text")
        for tex in ("\\(", "\\[", "\\begin", "$$")
        if (i := doc.get(key, "").find(tex)) >= 0
    ]
    assert not offenders, "\n".join(offenders[:20])
    # the formulas are still there, as text: linear.md's (3) reads dW = dYᵀ X
    linear = " ".join(
        d["text"] for d in index["docs"] if d["location"].startswith("layers/linear/")
    )
    assert "dW = dYᵀ X" in linear, linear[:300]
