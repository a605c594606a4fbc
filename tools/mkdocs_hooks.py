"""mkdocs hooks: serve KaTeX from the npm package (no CDN), keep notebook pages offline, give
notebook cells mkdocs-material's copy button and a downloadable .ipynb, and label output blocks.

`make` runs `npm ci`, which puts the pinned KaTeX into node_modules/; this hook adds its files to
the site as `assets/vendor/katex/...`. Nothing third-party is committed.
"""

import os
import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

ROOT = Path(__file__).resolve().parent.parent
KATEX = ROOT / "node_modules" / "katex" / "dist"
KATEX_FILES = ["katex.min.js", "katex.min.css", "contrib/auto-render.min.js"]

# The notebooks' kernels inherit this process's environment. Their matrices are small (LeNet at
# batch 4), where a second BLAS/OpenMP thread costs more than it gains: one epoch of the
# classifier took 6.2 s with one thread and 8.3 s with two, on 2 cores. A reader's own setting wins.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

# mkdocs-jupyter's template loads MathJax (from a CDN, or from src="" when no URL is set, which
# re-requests the page). KaTeX typesets notebook pages instead, so that tag goes.
NOTEBOOK_MATHJAX = re.compile(
    r"<!-- Load mathjax -->\s*<script src=\"[^\"]*\">\s*</script>", re.IGNORECASE
)


# A fence after pytest-codeblocks' expected-output marker shows what the block above printed
# (`<!-- output -->` marks one pytest does not compare). On the page it is labelled "Output",
# with the title bar pymdownx.highlight gives a fence's `title="..."`, and gets the class
# `output` (extra.css).
OUTPUT_BLOCK = re.compile(
    r"(<!--\s*(?:pytest-codeblocks:expected-output|output)\s*-->\s*)"
    r'<div class="([^"]*\bhighlight\b[^"]*)">'
)


# mkdocs-jupyter writes a code cell as <pre> without <code>, plus a <clipboard-copy> button whose
# script it never loads (the button does nothing) and a hidden copy of the source for it.
# mkdocs-material gives every `pre > code` its own working copy button: the cell's code goes into
# a <code>, and the dead button and the hidden copy go.
NOTEBOOK_CELL = re.compile(r'(<div class="highlight-ipynb[^"]*"><pre>)(.*?)(</pre>)', re.DOTALL)
NOTEBOOK_DEAD_COPY = re.compile(
    r'<div class="zeroclipboard-container">.*?</clipboard-copy>\s*</div>'
    r'|<div class="clipboard-copy-txt" id="cell-\d+">[^<]*</div>',
    re.DOTALL,
)


def _label_output(m):
    return f'{m.group(1)}<div class="{m.group(2)} output"><span class="filename">Output</span>'


def on_files(files, config):
    if not (KATEX / "katex.min.js").is_file():
        raise PluginError(
            f"KaTeX not found in {KATEX}: run `npm ci` (or `make serve`) to install it from the "
            "npm registry"
        )
    names = KATEX_FILES + [f"fonts/{p.name}" for p in sorted((KATEX / "fonts").glob("*.woff2"))]
    for name in names:
        files.append(
            File.generated(config, f"assets/vendor/katex/{name}", abs_src_path=str(KATEX / name))
        )
    return files


def on_page_content(html, page, config, files):
    html = NOTEBOOK_MATHJAX.sub("", html)
    if "jupyter-wrapper" in html:
        html = NOTEBOOK_DEAD_COPY.sub("", html)
        html = NOTEBOOK_CELL.sub(r"\1<code>\2</code>\3", html)
    return OUTPUT_BLOCK.sub(_label_output, html)


def on_post_page(output, page, config):
    """Beside a notebook page's .py (mkdocs-jupyter's include_source), the same notebook as an
    .ipynb without outputs (jupytext), for the download button in overrides/main.html."""
    if getattr(page, "nb_url", None):
        import jupytext

        src = Path(page.file.abs_src_path)
        dest = Path(page.file.abs_dest_path).parent / f"{src.stem}.ipynb"
        dest.parent.mkdir(parents=True, exist_ok=True)
        jupytext.write(jupytext.read(src), dest, fmt="ipynb")
    return output
