"""Screenshots of the main pages for the README, as a reader sees them (light theme, 1280x900).

    python tools/screenshots.py                 # builds the site (mkdocs --strict) first
    python tools/screenshots.py --site site/    # or takes a site already built

Serves the site on 127.0.0.1, opens each page in headless Chromium (tools/browser.py: the same
browser, flags and request blocking as tests/test_browser.py), waits until every formula is
typeset and the network is quiet, and writes docs/assets/screenshots/<name>.png. Reports
anything the page did wrong (console errors, failed or non-local requests, raw TeX) without
stopping.
"""

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from browser import SiteServer, Visit, find_chromium, launch, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "assets" / "screenshots"
# name -> (page, element to scroll into view first, or None for the top of the page)
PAGES = {
    "home": ("", None),
    "linear": ("layers/linear/", None),
    "two_layer": ("walkthroughs/two_layer/", None),
    # the notebook's first plot rather than its imports
    "two_layer_training": ("notebooks/two_layer_training/", ".jp-OutputArea-output img"),
}


def build(out):
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    cmd = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.exit(f"mkdocs build --strict failed:\n{proc.stderr[-4000:]}")


def shoot(site, out_dir):
    chromium = find_chromium()
    if chromium is None:
        sys.exit("no Chromium found: apt-get install chromium, or set CHROMIUM=/path/to/chrome")
    if sync_playwright is None:
        sys.exit("the Python package playwright is not installed (see requirements.txt)")
    out_dir.mkdir(parents=True, exist_ok=True)
    problems = 0
    with SiteServer(site) as server, launch(chromium) as browser:
        for name, (url, scroll_to) in PAGES.items():
            visit = Visit(browser, server.url + url)
            try:
                visit.open()
                if scroll_to and visit.page.locator(scroll_to).count():
                    visit.page.locator(scroll_to).first.evaluate(
                        "el => el.scrollIntoView({block: 'center'})"
                    )
                    visit.page.wait_for_timeout(800)  # the header's title slides in on scroll
                visit.page.evaluate("document.fonts.ready.then(() => true)")
                dom = visit.inspect()
                path = out_dir / f"{name}.png"
                visit.page.screenshot(path=path)
            finally:
                visit.close()
            issues = [
                *(f"non-local request (blocked): {u}" for u in visit.foreign),
                *(f"failed request: {u}" for u in visit.failed),
                *(f"console: {m}" for m in visit.console_errors),
                *(f"raw TeX: {t}" for t in dom["raw_tex"] + dom["notebook_dollars"]),
                *(f"KaTeX error: {t}" for t in dom["katex_errors"]),
            ]
            problems += len(issues)
            print(
                f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  /{url}  "
                f"formulas={dom['arithmatex']} "
                f"katex={dom['katex']} code={dom['code_blocks']} images={len(dom['images'])}"
            )
            for issue in issues:
                print(f"    ! {issue}")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build one now)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"default: {OUT.relative_to(ROOT)}")
    args = parser.parse_args()
    if args.site:
        problems = shoot(args.site.resolve(), args.out)
    else:
        with tempfile.TemporaryDirectory(prefix="backprop-ref-site-") as tmp:
            build(tmp)
            problems = shoot(Path(tmp), args.out)
    print(f"{len(PAGES)} screenshots, {problems} problem(s) seen")


if __name__ == "__main__":
    main()
