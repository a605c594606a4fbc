"""The built site in a real (headless) Chromium: serve it, open a page, see what a reader sees.

Shared by tests/test_browser.py and tools/screenshots.py (one helper per concern):

- find_chromium(): the system's Chromium (Debian: `apt-get install chromium`), or $CHROMIUM;
  Playwright's own browser downloads are never used.
- launch(path): Playwright's Chromium from that binary, with the flags that keep it off the
  network; a context manager yielding the browser.
- SiteServer(folder): the folder over http on 127.0.0.1 at a free port (the search worker does
  not load from file://).
- Visit(browser, url): one page in a fresh context (or a shared one, from new_context()); its
  console errors and failed requests recorded, requests to any host but 127.0.0.1 aborted and
  recorded; open() waits for KaTeX and the fonts.
- ALL_TYPESET_JS, INSPECT_JS: the page's state, read off its DOM.
"""

import contextlib
import functools
import os
import re
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright
except ImportError:  # requirements.txt installs it; callers say what is missing
    PlaywrightTimeout = sync_playwright = None

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
# A laptop screen; mkdocs-material shows the navigation sidebar from 1220 px wide.
VIEWPORT = {"width": 1280, "height": 900}
# A phone screen (CSS px), for the checks that a page reads on one.
PHONE = {"width": 390, "height": 844}


def find_chromium():
    """Path of a Chromium/Chrome binary: $CHROMIUM, else the first candidate found, else None."""
    if os.environ.get("CHROMIUM"):
        return shutil.which(os.environ["CHROMIUM"])
    for name in BROWSER_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


@contextlib.contextmanager
def launch(chromium):
    """A Playwright browser running the Chromium binary at `chromium`."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()


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


# a URL on any host but 127.0.0.1 (matched by the browser's driver, not in Python)
FOREIGN = re.compile(r"^(?:https?|wss?)://(?!127\.0\.0\.1[:/])")


class Visit:
    """Open one page in a new tab; record every request leaving 127.0.0.1, console error and
    failed request.

    The tab opens in a fresh browser context, or in `context` (a `new_context(browser)`) when
    given: pages of one context share the HTTP cache, as a reader's tabs do, so the site's CSS,
    scripts and fonts are fetched once. Requests to any host but 127.0.0.1 are aborted (and
    recorded)."""

    def __init__(self, browser, url, viewport=None, context=None):
        self.url = url
        self.foreign, self.failed, self.console_errors = [], [], []
        self.own_context = context is None
        self.context = new_context(browser, viewport) if context is None else context
        self.page = self.context.new_page()
        # only requests leaving 127.0.0.1 are intercepted (the pattern is matched by the driver):
        # a route that sees every request costs a round trip through Python for each one
        self.page.route(FOREIGN, self._route)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda err: self.console_errors.append(f"uncaught: {err}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._response)

    def _route(self, route):
        self.foreign.append(route.request.url)
        route.abort("blockedbyclient")

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

    def open(self, timeout_ms=30_000, typeset_timeout_ms=10_000, quiet=True):
        """Load the page, wait until every formula is typeset and its fonts are loaded, and
        (`quiet`) until the network is quiet, so that late requests (the search index) are
        recorded too. Layout checks alone pass quiet=False: the wait costs 0.5 s a page.

        Formulas still untypeset after typeset_timeout_ms are left for the caller's checks
        (INSPECT_JS reports them)."""
        self.page.goto(self.url, wait_until="load", timeout=timeout_ms)
        try:
            self.page.wait_for_function(ALL_TYPESET_JS, timeout=typeset_timeout_ms)
        except PlaywrightTimeout:
            pass
        self.page.evaluate("document.fonts.ready.then(() => true)")
        if quiet:
            self.page.wait_for_load_state("networkidle", timeout=timeout_ms)
        return self

    def inspect(self):
        """The page's INSPECT_JS report (a dict)."""
        return self.page.evaluate(INSPECT_JS)

    def close(self):
        if self.own_context:
            self.context.close()
        else:
            self.page.close()


def new_context(browser, viewport=None):
    """A browser context (a private window) at `viewport`, light colour scheme."""
    return browser.new_context(viewport=viewport or VIEWPORT, color_scheme="light")


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
    // a part's title: its label, or the link to its own index page (navigation.indexes)
    nav_sections: [...document.querySelectorAll(['.md-nav--primary .md-nav__item--section > label',
      '.md-nav--primary .md-nav__item--section > .md-nav__container > a'].join(', '))]
      .map(el => el.textContent.trim()),
    // equation numbers drawn over a part of their formula
    tag_overlaps: [...document.querySelectorAll('.katex-display .tag')].filter(tag => {
      const t = tag.getBoundingClientRect();
      return [...tag.closest('.katex-html').querySelectorAll(':scope > .base')].some(base => {
        const b = base.getBoundingClientRect();
        return b.width > 0 && t.left < b.right - 0.5 && b.left < t.right - 0.5;
      });
    }).map(tag => tag.textContent),
    // code blocks (Markdown's pre > code, notebook cells' pre) whose lines are wider than
    // the block: the reader has to scroll them sideways
    code_overflow: [...document.querySelectorAll('.md-content pre > code, .jupyter-wrapper pre')]
      .filter(el => el.scrollWidth > el.clientWidth && el.checkVisibility())
      .map(el => `${el.scrollWidth} > ${el.clientWidth} px: ` + el.textContent.split('\n')
        .reduce((a, l) => (l.length > a.length ? l : a), '').trim().slice(0, 60)),
    // the page scrolls sideways: something is wider than the screen
    page_width: document.documentElement.scrollWidth,
    screen_width: window.innerWidth,
  };
}"""
