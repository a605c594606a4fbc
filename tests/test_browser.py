"""The site as a reader sees it: every page opened in a real (headless) Chromium.

The built site is served over http on 127.0.0.1 (the search worker does not load from file://)
and every page (every .md and notebook under docs/; a test checks that this is every page built)
is checked for: no console error, no failed request, no request leaving 127.0.0.1 (such requests
are aborted and reported), every formula typeset by KaTeX and no TeX left in the text, a copy
button on every code block, the navigation sidebar with the book's parts, and on notebook pages
their outputs and plots. Then: the search box finds a chapter by its title and `linear_backward`
in layers/linear/; a formula page reached by mkdocs-material's instant navigation is typeset
too; and the page with the most formulas is typeset within a measured time budget.

The browser is the system's Chromium (Debian: `apt-get install chromium`; `make test` installs it
through tools/install_browser.sh), driven by Playwright's Python package; Playwright's own browser
downloads are never used. Set CHROMIUM=/path/to/chrome to use another binary. Without a browser
these tests skip, except under CI=true, where they fail.
"""

import functools
import os
import re
import shutil
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright
except ImportError:  # requirements.txt installs it; without it the browser tests cannot run
    sync_playwright = None

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

# Without the background-networking flags Chromium calls Google hosts on start.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
BROWSER_CANDIDATES = [
    "/usr/bin/chromium",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
]


def find_chromium():
    """Path of a Chromium/Chrome binary: $CHROMIUM, else the first candidate found, else None."""
    if os.environ.get("CHROMIUM"):
        return shutil.which(os.environ["CHROMIUM"])
    for name in BROWSER_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


def page_urls(docs=DOCS):
    """Site-relative URL of every page mkdocs builds from docs/ (directory URLs)."""
    sources = sorted(docs.rglob("*.md")) + sorted((docs / "notebooks").glob("*.py"))
    urls = []
    for src in sources:
        rel = src.relative_to(docs).with_suffix("")
        parts = rel.parts[:-1] if rel.name in ("index", "README") else rel.parts
        urls.append("".join(f"{p}/" for p in parts))
    return urls


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # the browser closing a connection early is not our concern


class SiteServer:
    """Serve a folder on 127.0.0.1 at a free port, from a thread of this process."""

    def __init__(self, folder):
        handler = functools.partial(_QuietHandler, directory=str(folder))
        self.httpd = _QuietServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


# True once every `.arithmatex` holds KaTeX output (or a KaTeX error, reported separately).
ALL_TYPESET_JS = """() => [...document.querySelectorAll('.arithmatex')]
    .every(el => el.querySelector('.katex, .katex-error'))"""


# A laptop screen; mkdocs-material shows the navigation sidebar from 1220 px wide.
VIEWPORT = {"width": 1280, "height": 900}


class Visit:
    """Open one page in a fresh browser context; record every request, console error, failure.

    Requests to any host but 127.0.0.1 are aborted (and recorded)."""

    def __init__(self, browser, url, viewport=None):
        self.url = url
        self.requests, self.foreign, self.failed, self.console_errors = [], [], [], []
        self.context = browser.new_context(viewport=viewport or VIEWPORT, color_scheme="light")
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda err: self.console_errors.append(f"uncaught: {err}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._response)

    def _route(self, route):
        url = route.request.url
        self.requests.append(url)
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and (
            urlsplit(url).hostname != "127.0.0.1"
        ):
            self.foreign.append(url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def _console(self, msg):
        if msg.type == "error":
            where = msg.location.get("url", "")
            self.console_errors.append(f"{msg.text} ({where})")

    def _failed(self, request):
        if request.url not in self.foreign:
            self.failed.append(f"{request.url}: {request.failure}")

    def _response(self, response):
        if response.status >= 400:
            self.failed.append(f"{response.url}: HTTP {response.status}")

    def open(self, timeout_ms=30_000):
        """Load the page, wait until every formula is typeset and the network is quiet."""
        self.page.goto(self.url, wait_until="load", timeout=timeout_ms)
        try:
            self.page.wait_for_function(ALL_TYPESET_JS, timeout=min(timeout_ms, 10_000))
        except PlaywrightTimeout:
            pass  # the checks report the formulas left untypeset
        self.page.wait_for_load_state("networkidle", timeout=timeout_ms)
        return self

    def close(self):
        self.context.close()


# What a reader would see as broken, gathered in one pass over the page's DOM.
INSPECT_JS = r"""() => {
  // text of `root` outside rendered math and code (KaTeX keeps the TeX source in its MathML)
  const prose = root => {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode: n => n.parentElement.closest('.katex, code, pre, script, style')
        ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT,
    });
    let text = '';
    while (walker.nextNode()) text += walker.currentNode.nodeValue;
    return text;
  };
  const math = [...document.querySelectorAll('.arithmatex')];
  const md = [...document.querySelectorAll('.jp-MarkdownOutput')];
  const codes = [...document.querySelectorAll('.md-content pre > code')];
  const images = [...document.querySelectorAll('.jp-OutputArea-output img')];
  return {
    arithmatex: math.length,
    katex: document.querySelectorAll('.katex').length,
    raw_tex: math.filter(el => !el.querySelector('.katex') || /\\\(|\\\[|\$\$/.test(prose(el)))
      .map(el => el.textContent.trim().slice(0, 100)),
    katex_errors: [...document.querySelectorAll('.katex-error')]
      .map(el => `${el.textContent.slice(0, 80)} -- ${el.title}`),
    // TeX delimiters anywhere in the page's prose, inside an .arithmatex or not
    stray_tex: [...prose(document.querySelector('.md-content') || document.body)
      .matchAll(/.{0,40}(?:\\\(|\\\[|\$\$).{0,40}/g)].map(m => m[0]),
    notebook_dollars: md.flatMap(el => prose(el).match(/\$\$?[^$]+\$\$?/g) || [])
      .map(s => s.slice(0, 100)),
    notebook_markdown: md.length,
    code_blocks: codes.length,
    // mkdocs-material 9.8: nav.md-code__nav > button[data-md-type=copy]; before: .md-clipboard
    code_without_copy: codes.filter(c => !c.parentElement.querySelector(
        ':scope > .md-clipboard, :scope > .md-code__nav > [data-md-type="copy"]'))
      .map(c => c.textContent.trim().split('\n')[0].slice(0, 80)),
    outputs: document.querySelectorAll('.jp-OutputArea-output').length,
    images: images.map(img => ({src: img.src.slice(0, 40), width: img.naturalWidth})),
    sidebar_visible: !!document.querySelector('.md-sidebar--primary')?.checkVisibility(),
    nav_sections: [...document.querySelectorAll('.md-nav--primary .md-nav__item--section > label')]
      .map(el => el.textContent.trim()),
  };
}"""


PAGES = page_urls()


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
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def server(site):
    with SiteServer(site) as s:
        yield s


@pytest.fixture(scope="session")
def visited(browser, server):
    """One visit per page, shared by the checks below: page URL -> (Visit, DOM report)."""
    cache = {}

    def get(url):
        if url not in cache:
            visit = Visit(browser, server.url + url)
            try:
                visit.open()
                cache[url] = visit, visit.page.evaluate(INSPECT_JS)
            finally:
                visit.close()
        return cache[url]

    return get


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
    visit, _ = visited(url)
    assert not visit.foreign, (
        f"{url} requested hosts other than 127.0.0.1 (aborted):\n" + "\n".join(visit.foreign)
    )
    assert not visit.failed, f"{url}: failed requests:\n" + "\n".join(visit.failed)
    assert not visit.console_errors, f"{url}: console errors:\n" + "\n".join(visit.console_errors)


@pytest.mark.site
@pytest.mark.parametrize("url", PAGES)
def test_math_is_typeset(visited, url):
    _, dom = visited(url)
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
    _, dom = visited(url)
    assert not dom["code_without_copy"], f"{url}: code blocks without a copy button:\n" + (
        "\n".join(dom["code_without_copy"])
    )


def nav_sections():
    """Titles of mkdocs.yml's top-level nav sections (the book's parts)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)  # mkdocs' !relative
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)
    return [
        title for item in config["nav"] for title, value in item.items() if isinstance(value, list)
    ]


@pytest.mark.site
@pytest.mark.parametrize("url", PAGES)
def test_sidebar_shows_the_books_parts(visited, url):
    _, dom = visited(url)
    assert dom["sidebar_visible"], f"{url}: the navigation sidebar is hidden at 1280x900"
    assert dom["nav_sections"] == nav_sections()


NOTEBOOKS = [u for u in PAGES if u.startswith("notebooks/")]


@pytest.mark.site
@pytest.mark.parametrize("url", NOTEBOOKS)
def test_notebook_shows_its_outputs(visited, url):
    source = (DOCS / url.rstrip("/")).with_suffix(".py").read_text(encoding="utf-8")
    _, dom = visited(url)
    assert dom["outputs"] > 0, f"{url}: the executed notebook shows no output"
    if re.search(r"\bplt\.|matplotlib", source):
        shown = [img for img in dom["images"] if img["width"] > 0]
        assert shown, f"{url} plots with matplotlib but shows no image: {dom['images']}"


def _search(browser, server, query, timeout_s=20):
    """Type `query` into the search box of the home page; the paths the results link to.

    A query typed before the search worker has built its index is answered with nothing (the
    box keeps "Type to start searching"), as for a reader who types too early: retype until
    results come, within `timeout_s`."""
    visit = Visit(browser, server.url)
    try:
        visit.open()
        box = visit.page.locator("input.md-search__input")
        links = visit.page.locator(".md-search-result__list a.md-search-result__link")
        deadline = time.monotonic() + timeout_s
        while True:
            box.fill("")
            box.press_sequentially(query)
            try:
                links.first.wait_for(state="attached", timeout=1_000)
                break
            except PlaywrightTimeout:
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"no search result for {query!r} after {timeout_s} s: "
                        + visit.page.locator(".md-search-result__meta").inner_text()
                    ) from None
        hrefs = links.evaluate_all("els => els.map(a => a.href)")
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


# Typesetting budget for the page with the most formulas: from navigation start until KaTeX has
# rendered every formula. Measured on this project's 2-core machine (Chromium 156 headless,
# KaTeX 0.16.47, Playwright 1.65; load average about 8 from parallel builds), best of runs:
#   layers/conv2d/ (224 formulas, the heaviest page then)          1.1-1.4 s
#   a synthetic page of 400 chapter-like formulas (sums, fractions,
#   bmatrix, tags), for pages still to come                       1.5-3.1 s
#   a page without math (page load and scripts alone)              0.4-0.8 s
# The budget is about 4x the heaviest real page: a chapter twice as heavy still fits on a loaded
# machine, while a regression (a typesetting loop, a page that re-renders, MathJax) does not.
TYPESET_BUDGET_S = 5.0

# Injected before the page's own scripts: note when every formula is typeset. A timer, not
# requestAnimationFrame, which headless Chromium does not run before the first paint.
TYPESET_CLOCK_JS = f"""window.__typesetAt = null;
const __clock = setInterval(() => {{
  if (document.readyState !== 'loading' && ({ALL_TYPESET_JS})()) {{
    window.__typesetAt = performance.now();
    clearInterval(__clock);
  }}
}}, 5);"""


def heaviest_math_page(site):
    counts = {
        url: (site / url / "index.html").read_text(encoding="utf-8").count('class="arithmatex"')
        for url in PAGES
    }
    url = max(counts, key=counts.get)
    return url, counts[url]


@pytest.mark.site
def test_heaviest_page_typesets_within_budget(site, browser, server):
    url, n = heaviest_math_page(site)
    if n == 0:
        pytest.skip("no page has formulas yet")
    timings = []
    for _ in range(3):  # the first visit warms the caches; keep the best of the others
        visit = Visit(browser, server.url + url)
        try:
            visit.page.add_init_script(TYPESET_CLOCK_JS)
            visit.page.goto(visit.url, wait_until="commit")
            visit.page.wait_for_function("window.__typesetAt !== null", timeout=60_000)
            timings.append(visit.page.evaluate("window.__typesetAt") / 1000)
        finally:
            visit.close()
    took = min(timings[1:])
    print(f"\n{url}: {n} formulas typeset {took:.2f} s after navigation start")
    assert took < TYPESET_BUDGET_S, (
        f"{url} ({n} formulas) took {took:.2f} s to typeset (budget {TYPESET_BUDGET_S} s)"
    )


@pytest.mark.site
def test_math_is_typeset_after_instant_navigation(site, browser, server):
    """navigation.instant swaps the page without reloading it: katex-init.js must run again."""
    url, n = heaviest_math_page(site)
    if n == 0:
        pytest.skip("no page has formulas yet")
    visit = Visit(browser, server.url)
    try:
        visit.open()
        # a click event on the sidebar's link, as a reader's click (the sidebar may need scrolling)
        link = visit.page.locator(f'.md-nav--primary a.md-nav__link[href$="/{url}"]').first
        link.dispatch_event("click")
        visit.page.wait_for_url(server.url + url)
        arrived = f"document.querySelectorAll('.arithmatex').length === {n}"
        visit.page.wait_for_function(f"() => {arrived} && ({ALL_TYPESET_JS})()", timeout=30_000)
        dom = visit.page.evaluate(INSPECT_JS)
        assert not dom["raw_tex"], dom["raw_tex"]
        assert not visit.console_errors, visit.console_errors
    finally:
        visit.close()
