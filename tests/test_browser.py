"""The site as a reader sees it: every page opened in a real (headless) Chromium.

The built site is served over http on 127.0.0.1 (the search worker does not load from file://)
and every page, in English and in Chinese (every .md and notebook under docs/, `.zh` ones under
zh/; a test checks that this is every page built), is checked for: no console error, no failed
request, no request leaving 127.0.0.1 (such requests are aborted and reported), every formula
typeset by KaTeX and no TeX left in the text, a copy button on every code block, the navigation
sidebar with the book's parts, and on notebook pages their outputs and plots. Then: the search
box finds a chapter by its title and `linear_backward` in layers/linear/, and a Chinese word
finds its Chinese chapter; the language menu leads to the same page in the other language; and
on the page with the most formulas KaTeX finishes and renders every formula (no test asserts a
time: timeouts only guard against a page that never finishes).

The server and browser helpers live in tools/browser.py, shared with tools/screenshots.py.
The browser is the system's Chromium (Debian: `apt-get install chromium`; `make test` installs it
through tools/install_browser.sh), driven by Playwright's Python package; Playwright's own browser
downloads are never used. Set CHROMIUM=/path/to/chrome to use another binary. Without a browser
these tests skip, except under CI=true, where they fail.
"""

import os
import re
import sys
import time
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest
from site_pages import page_url, url_language

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT / "tools"))  # tools/ is not a package

from browser import (  # noqa: E402  the harness shared with tools/screenshots.py
    ALL_TYPESET_JS,
    BROWSER_CANDIDATES,
    PHONE,
    PlaywrightTimeout,
    SiteServer,
    Visit,
    find_chromium,
    launch,
    new_context,
    sync_playwright,
)


def mkdocs_config():
    """mkdocs.yml as data (mkdocs' own tags, such as !relative, read as None)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    return yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)


def notebook_sources(docs=DOCS):
    """The .py files mkdocs-jupyter turns into pages: its `include` patterns in mkdocs.yml."""
    plugins = [p for p in mkdocs_config()["plugins"] if isinstance(p, dict)]
    (jupyter,) = [p["mkdocs-jupyter"] for p in plugins if "mkdocs-jupyter" in p]
    return sorted({src for pattern in jupyter["include"] for src in docs.glob(pattern)})


def page_sources(docs=DOCS):
    """Site-relative URL (directory URLs) -> source, for every page mkdocs builds from docs/,
    in both languages."""
    sources = sorted(docs.rglob("*.md")) + notebook_sources(docs)
    return {page_url(src, docs): src for src in sources}


SOURCES = page_sources()
PAGES = list(SOURCES)


def _no_browser(message):
    """Skip, or fail under CI=true, where a browser test that cannot run must not pass."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {message}")
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium():
    path = find_chromium()
    if path is None:
        _no_browser(
            "no Chromium found (looked for $CHROMIUM, " + ", ".join(BROWSER_CANDIDATES) + "): "
            "install Debian's with `apt-get install chromium` (`make test` does it as root)"
        )
    return path


@pytest.fixture(scope="session")
def browser(chromium):
    if sync_playwright is None:
        _no_browser("the Python package playwright is not installed (see requirements.txt)")
    with launch(chromium) as b:
        yield b


@pytest.fixture(scope="session")
def server(site):
    with SiteServer(site) as s:
        yield s


class Seen(NamedTuple):
    """One page as loaded: its Visit, and the DOM report at 1280 px and at a phone's 390 px."""

    visit: Visit
    desktop: dict
    phone: dict


# The pages whose visit also waits until the network is quiet, so that requests made after the
# page has loaded are recorded too: every page runs the same theme scripts, and the notebook
# pages mkdocs-jupyter's template besides; one of each per language stands for them all (the
# 0.5 s wait, on every page, took a minute). Every other request is recorded on every page.
QUIET = {"", "notebooks/zero_grad/", "zh/", "zh/notebooks/zero_grad/"}

# the page laid out again at the new width: two animation frames after the resize
NEXT_LAYOUT_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


@pytest.fixture(scope="session")
def visited(browser, server):
    """page URL -> Seen. Each page is loaded once, at 1280 px, in a new tab of one browser
    context (so the site's assets are fetched once), then the window narrows to a phone's width
    (tools/browser.py's PHONE) and the page is measured again: the layout checks read CSS
    layout, which the narrower window recomputes as a phone would."""
    cache = {}
    context = new_context(browser)

    def get(url):
        if url not in cache:
            visit = Visit(browser, server.url + url, context=context)
            try:
                visit.open(quiet=url in QUIET)
                desktop = visit.inspect()
                visit.page.set_viewport_size(PHONE)
                visit.page.evaluate(NEXT_LAYOUT_JS)
                cache[url] = Seen(visit, desktop, visit.inspect())
            finally:
                visit.close()
        return cache[url]

    yield get
    context.close()


@pytest.mark.site
@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("screen", ["desktop", "phone"])
def test_equation_numbers_clear_of_formulas_and_page_fits(visited, url, screen):
    """At 1280 px and at 390 px: no equation number drawn over its formula (a wide formula
    scrolls with its number), and nothing makes the page wider than the screen."""
    dom = getattr(visited(url), screen)
    assert not dom["tag_overlaps"], f"{url} ({screen}): numbers on formulas: {dom['tag_overlaps']}"
    assert dom["page_width"] <= dom["screen_width"], (
        f"{url} ({screen}): the page is {dom['page_width']} px wide on a "
        f"{dom['screen_width']} px screen"
    )


@pytest.mark.site
@pytest.mark.parametrize("url", PAGES)
def test_code_fits_its_block_at_desktop_width(visited, url):
    """At 1280 px a 100-column line (src/'s line length) fits its code block, in Markdown pages
    and notebook cells alike: no block scrolls sideways."""
    dom = visited(url).desktop
    assert not dom["code_overflow"], f"{url}: code wider than its block at 1280 px:\n" + (
        "\n".join(dom["code_overflow"])
    )


@pytest.mark.site
def test_every_built_page_is_checked(site):
    built = {
        str(p.parent.relative_to(site)) + "/"
        for p in site.rglob("index.html")
        if p.parent.relative_to(site).parts[:1] not in (("assets",), ("search",))
    }
    built = {"" if u == "./" else u for u in built}
    assert built == set(PAGES), f"built but not checked: {sorted(built - set(PAGES))}"


@pytest.mark.site
@pytest.mark.parametrize("url", PAGES)
def test_page_loads_cleanly(visited, url):
    visit = visited(url).visit
    assert not visit.foreign, (
        f"{url} requested hosts other than 127.0.0.1 (aborted):\n" + "\n".join(visit.foreign)
    )
    assert not visit.failed, f"{url}: failed requests:\n" + "\n".join(visit.failed)
    assert not visit.console_errors, f"{url}: console errors:\n" + "\n".join(visit.console_errors)


@pytest.mark.site
@pytest.mark.parametrize("url", PAGES)
def test_math_is_typeset(visited, url):
    dom = visited(url).desktop
    assert not dom["katex_errors"], f"{url}: KaTeX could not parse:\n" + "\n".join(
        dom["katex_errors"]
    )
    assert not dom["raw_tex"], f"{url}: formulas left as raw TeX:\n" + "\n".join(dom["raw_tex"])
    assert not dom["stray_tex"], f"{url}: TeX delimiters left in the text:\n" + "\n".join(
        dom["stray_tex"]
    )
    assert not dom["notebook_dollars"], f"{url}: $...$ left in notebook markdown:\n" + "\n".join(
        dom["notebook_dollars"]
    )
    assert dom["katex"] >= dom["arithmatex"], f"{url}: fewer KaTeX renderings than formulas"


@pytest.mark.site
@pytest.mark.parametrize("url", PAGES)
def test_code_blocks_have_copy_button(visited, url):
    dom = visited(url).desktop
    assert not dom["code_without_copy"], f"{url}: code blocks without a copy button:\n" + (
        "\n".join(dom["code_without_copy"])
    )


def nav_sections(lang=None):
    """Titles of mkdocs.yml's top-level nav sections (the book's parts), in English or, for
    `lang`, as its nav_translations give them."""
    titles = [
        title
        for item in mkdocs_config()["nav"]
        for title, value in item.items()
        if isinstance(value, list)
    ]
    if lang is None:
        return titles
    plugins = [p for p in mkdocs_config()["plugins"] if isinstance(p, dict)]
    (i18n,) = [p["i18n"] for p in plugins if "i18n" in p]
    (config,) = [c for c in i18n["languages"] if c["locale"] == lang]
    return [config["nav_translations"].get(t, t) for t in titles]


@pytest.mark.site
@pytest.mark.parametrize("url", PAGES)
def test_sidebar_shows_the_books_parts(visited, url):
    dom = visited(url).desktop
    assert dom["sidebar_visible"], f"{url}: the navigation sidebar is hidden at 1280x900"
    assert dom["nav_sections"] == nav_sections(url_language(url))


# the notebooks executed at build (the exercises are shown, not run)
NOTEBOOKS = [u for u, src in SOURCES.items() if src.parent == DOCS / "notebooks"]


@pytest.mark.site
@pytest.mark.parametrize("url", NOTEBOOKS)
def test_notebook_shows_its_outputs(visited, url):
    source = SOURCES[url].read_text(encoding="utf-8")
    dom = visited(url).desktop
    assert dom["outputs"] > 0, f"{url}: the executed notebook shows no output"
    if re.search(r"\bplt\.|matplotlib", source):
        shown = [img for img in dom["images"] if img["width"] > 0]
        assert shown, f"{url} plots with matplotlib but shows no image: {dom['images']}"


def _search(browser, server, query, timeout_s=20, start=""):
    """Type `query` into the search box of the home page (`start`: another page); the paths
    the results link to.

    A query typed before the search worker has built its index is answered with nothing (the
    box keeps "Type to start searching"), as for a reader who types too early: retype until
    results come, within `timeout_s`."""
    visit = Visit(browser, server.url + start)
    try:
        visit.open()
        box = visit.page.locator("input.md-search__input")
        links = visit.page.locator(".md-search-result__list a.md-search-result__link")
        deadline = time.monotonic() + timeout_s
        while True:
            box.fill("")
            box.press_sequentially(query)
            # Playwright types a character that has no key (Chinese) as inserted text, without
            # the keyup that the search box listens to; an input method sends one when it
            # commits the word. End, which changes nothing, stands in for it.
            box.press("End")
            try:
                links.first.wait_for(state="attached", timeout=1_000)
                break
            except PlaywrightTimeout:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"no search result for {query!r} after {timeout_s} s: "
                        + visit.page.locator(".md-search-result__meta").inner_text()
                    ) from None
        # the worker may still be answering a prefix of the query (typed a key at a time, on a
        # loaded machine): read until two reads half a second apart agree
        hrefs, previous = None, links.evaluate_all("els => els.map(a => a.href)")
        for _ in range(20):
            visit.page.wait_for_timeout(500)
            hrefs = links.evaluate_all("els => els.map(a => a.href)")
            if hrefs == previous:
                break
            previous = hrefs
        return [urlsplit(h).path for h in hrefs]
    finally:
        visit.close()


@pytest.mark.site
def test_search_finds_a_page_by_its_title(browser, server):
    """The search worker loads (it needs http) and answers."""
    paths = _search(browser, server, "Linear")
    assert "/layers/linear/" in paths, paths


@pytest.mark.site
def test_search_finds_linear_backward(site, browser, server):
    """An identifier from the code, split by the search separator, finds its chapter."""
    if "linear_backward" not in (site / "layers/linear/index.html").read_text(encoding="utf-8"):
        pytest.skip("layers/linear.md does not mention linear_backward yet")
    paths = _search(browser, server, "linear_backward")
    assert "/layers/linear/" in paths, paths


def heaviest_math_page(site):
    counts = {
        url: (site / url / "index.html").read_text(encoding="utf-8").count('class="arithmatex"')
        for url in PAGES
    }
    url = max(counts, key=counts.get)
    return url, counts[url]


# Only a guard against a page that never finishes; the test asserts what was rendered, never
# how long it took (the machine is shared: a time budget would fail on load, not on a bug).
TYPESET_GUARD_MS = 120_000


@pytest.mark.site
def test_heaviest_page_typesets_every_formula(site, browser, server):
    """The page with the most formulas, on a fresh load: KaTeX finishes and renders each one."""
    url, n = heaviest_math_page(site)
    if n == 0:
        pytest.skip("no page has formulas yet")
    visit = Visit(browser, server.url + url)
    try:
        visit.page.goto(visit.url, wait_until="load", timeout=TYPESET_GUARD_MS)
        try:
            visit.page.wait_for_function(ALL_TYPESET_JS, timeout=TYPESET_GUARD_MS)
        except PlaywrightTimeout:
            pytest.fail(f"{url}: KaTeX had not typeset all {n} formulas after the guard timeout")
        dom = visit.inspect()
    finally:
        visit.close()
    assert dom["arithmatex"] == n, f"{url}: {dom['arithmatex']} formulas in the DOM, {n} built"
    assert not dom["katex_errors"], dom["katex_errors"]
    assert not dom["raw_tex"], dom["raw_tex"]
    assert dom["katex"] >= n, f"{url}: {dom['katex']} KaTeX renderings for {n} formulas"
    assert not visit.console_errors, visit.console_errors


@pytest.mark.site
@pytest.mark.parametrize(("start", "other"), [("layers/conv2d/", "zh/layers/conv2d/")])
def test_language_switch_leads_to_the_same_page(browser, server, start, other):
    """The header's language menu links each page to its twin in the other language, and the
    Chinese page says it is Chinese (its lang attribute) and is."""
    for here, there in ((start, other), (other, start)):
        visit = Visit(browser, server.url + here)
        try:
            visit.open()
            links = visit.page.locator(".md-select__link").evaluate_all(
                "els => els.map(a => [a.getAttribute('hreflang'), a.href])"
            )
            targets = [urlsplit(href).path for _, href in links]
            assert "/" + there in targets, (here, links)
        finally:
            visit.close()
    visit = Visit(browser, server.url + other)
    try:
        visit.open()
        assert visit.page.locator("html").get_attribute("lang").startswith("zh")
        title = visit.page.locator("article h1").inner_text()
        assert re.search(r"[\u4e00-\u9fff]", title), title
    finally:
        visit.close()


@pytest.mark.site
@pytest.mark.parametrize(
    ("query", "chapter"),
    [("梯度", None), ("反向传播", None), ("卷积", "/zh/layers/conv2d/")],
)
def test_chinese_search_finds_the_chapter(site, browser, server, query, chapter):
    """jieba segments the Chinese text at build time (mkdocs-material's search), and the
    separator splits at the zero-width spaces it inserts: a Chinese word finds Chinese pages
    that contain it (梯度 and 反向传播 are on nearly every page; 卷积 has its chapter)."""
    paths = _search(browser, server, query, start="zh/")
    assert paths[0].startswith("/zh/"), paths
    for path in set(paths):
        html = (site / path.lstrip("/") / "index.html").read_text(encoding="utf-8")
        assert query in html, f"{path} does not contain {query}"
    if chapter:
        assert chapter in paths, paths


# What mkdocs-material's copy button copies from a code block: the block's innerText while it
# carries `data-md-copying` (the CSS hides what must not be copied), with trailing space trimmed.
COPY_TEXT_JS = """code => {
  code.setAttribute('data-md-copying', '');
  const text = code.innerText;
  code.removeAttribute('data-md-copying');
  return text.trimEnd();
}"""


@pytest.mark.site
def test_console_copy_leaves_out_prompts_and_output(browser, server):
    """A console block copies as commands a shell can run: no `$ ` prompt (which cannot be
    selected either) and no output lines; a console block without a prompt is copied whole."""
    visit = Visit(browser, server.url + "run/")
    try:
        visit.open()
        blocks = visit.page.locator(".language-console pre > code")
        copies = [block.evaluate(COPY_TEXT_JS) for block in blocks.all()]
        prompted = [
            (c, t)
            for c, t in zip(copies, blocks.all_inner_texts(), strict=True)
            if t.startswith("$ ")
        ]
        assert prompted, "run/ has no console block with a `$ ` prompt"
        for copied, shown in prompted:
            assert copied and not any(line.startswith("$") for line in copied.splitlines()), copied
            assert "PASS" not in copied, f"output copied along with the command:\n{copied}"
            assert copied.split()[0] == shown.removeprefix("$ ").split()[0], (copied, shown)
        assert any(c.startswith("make serve") for c in copies), copies  # no prompt: copied whole
        selectable = visit.page.locator(".language-console .gp").first.evaluate(
            "el => getComputedStyle(el).userSelect"
        )
        assert selectable == "none"
    finally:
        visit.close()


@pytest.mark.site
def test_wide_formulas_show_that_they_scroll_on_a_phone(browser, server):
    """At 390 px the formulas wider than the column are marked (katex-init.js) and drawn with a
    shadow on their overflowing edge (extra.css); the formulas that fit are not."""
    visit = Visit(browser, server.url + "layers/conv2d/", viewport=PHONE)
    try:
        visit.open()
        boxes = visit.page.locator(".arithmatex .katex-display").evaluate_all(
            """els => els.map(el => ({wide: el.scrollWidth > el.clientWidth + 1,
                marked: el.classList.contains('scrolls'),
                shadow: getComputedStyle(el).backgroundImage.includes('gradient')}))"""
        )
    finally:
        visit.close()
    assert any(b["wide"] for b in boxes), "no formula of conv2d is wider than a phone"
    assert all(b["marked"] == b["wide"] == b["shadow"] for b in boxes), boxes
