"""mkdocs hooks: serve KaTeX from the npm package (no CDN), keep notebook pages offline, give
notebook cells mkdocs-material's copy button and a downloadable .ipynb, and label output blocks.

`make` runs `npm ci`, which puts the pinned KaTeX into node_modules/; this hook adds its files to
the site as `assets/vendor/katex/...`. Nothing third-party is committed.
"""

import json
import os
import re
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
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


# --- search previews: formulas as text ----------------------------------------------------------
# The search index holds each section's HTML with its formulas still in TeX (KaTeX typesets them
# only in the page), so a result's preview read `\(x P_0^\top + P_1\)`. After the search plugin
# has written search/search_index.json, every formula in it becomes a plain-text approximation
# (`x P₀ᵀ + P₁`): the commands we use become their symbols, sub- and superscripts of one digit
# or letter become Unicode ones, and the rest of the markup goes. Code is left as it is.
MATH = re.compile(r"\\\((.+?)\\\)|\\\[(.+?)\\\]|\$\$(.+?)\$\$", re.DOTALL)
CODE = re.compile(r"(<pre\b.*?</pre>|<code\b.*?</code>)", re.DOTALL)

TEX_SYMBOLS = {
    "partial": "∂",
    "nabla": "∇",
    "cdot": "·",
    "cdots": "⋯",
    "times": "×",
    "odot": "⊙",
    "otimes": "⊗",
    "circ": "∘",
    "sum": "Σ",
    "prod": "Π",
    "top": "ᵀ",
    "intercal": "ᵀ",
    "le": "≤",
    "leq": "≤",
    "ge": "≥",
    "geq": "≥",
    "ne": "≠",
    "neq": "≠",
    "approx": "≈",
    "lesssim": "≲",
    "gtrsim": "≳",
    "sim": "~",
    "equiv": "≡",
    "propto": "∝",
    "pm": "±",
    "infty": "∞",
    "in": "∈",
    "to": "→",
    "rightarrow": "→",
    "leftarrow": "←",
    "mapsto": "↦",
    "Rightarrow": "⇒",
    "Longrightarrow": "⟹",
    "implies": "⟹",
    "iff": "⟺",
    "dots": "…",
    "ldots": "…",
    "lfloor": "⌊",
    "rfloor": "⌋",
    "lceil": "⌈",
    "rceil": "⌉",
    "langle": "⟨",
    "rangle": "⟩",
    "lVert": "‖",
    "rVert": "‖",
    "Vert": "‖",
    "|": "‖",
    "mid": "|",
    "vert": "|",
    "lvert": "|",
    "rvert": "|",
    "bmod": "mod",
    "setminus": "∖",
    "alpha": "α",
    "beta": "β",
    "gamma": "γ",
    "delta": "δ",
    "epsilon": "ϵ",
    "varepsilon": "ε",
    "zeta": "ζ",
    "eta": "η",
    "theta": "θ",
    "iota": "ι",
    "kappa": "κ",
    "lambda": "λ",
    "mu": "μ",
    "nu": "ν",
    "xi": "ξ",
    "pi": "π",
    "rho": "ρ",
    "sigma": "σ",
    "tau": "τ",
    "phi": "φ",
    "varphi": "φ",
    "chi": "χ",
    "psi": "ψ",
    "omega": "ω",
    "Gamma": "Γ",
    "Delta": "Δ",
    "Theta": "Θ",
    "Lambda": "Λ",
    "Sigma": "Σ",
    "Phi": "Φ",
    "Psi": "Ψ",
    "Omega": "Ω",
    "ell": "ℓ",
    "mathbb": "",
    "quad": " ",
    "qquad": " ",
}
# sizing and spacing commands that leave nothing behind
TEX_DROPPED = re.compile(
    r"\\(?:left|right|[bB]igg?[lr]?|displaystyle|textstyle|limits|nolimits)(?![A-Za-z])|\\[,;:! ]"
)
TEX_ACCENTS = {
    "hat": "\u0302",
    "widehat": "\u0302",
    "tilde": "\u0303",
    "widetilde": "\u0303",
    "bar": "\u0304",
    "overline": "\u0304",
    "vec": "\u20d7",
    "dot": "\u0307",
}
SUPERSCRIPTS = dict(
    zip(
        "0123456789+-=()abcdefghijklmnoprstuvwxyzT",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉᶠᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵀ",
        strict=True,
    )
)
SUBSCRIPTS = dict(
    zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True)
)
GROUP = r"\{([^{}]*)\}"  # a brace group with no group inside: the loop below works inside out
# commands with arguments, rewritten in the loop; every other command becomes its symbol first
TEX_STRUCTURAL = {
    "frac",
    "dfrac",
    "tfrac",
    "sqrt",
    "text",
    "textrm",
    "textit",
    "textbf",
    "mathrm",
    "mathbf",
    "mathit",
    "mathcal",
    "mathbb",
    "operatorname",
    "substack",
    "boldsymbol",
    *TEX_ACCENTS,
}
TEX_OPERATOR = re.compile(r"[\s+\-·×/=<>≤≥,]")


def _script(mark, body, table):
    body = body.strip()
    if body and all(ch in table for ch in body):
        return "".join(table[ch] for ch in body)
    return f"{mark}{body}" if body.isalnum() else f"{mark}({body})"


def _accent(m):
    body = m.group(2).strip()
    return body + TEX_ACCENTS[m.group(1)] if len(body) == 1 else body


def _frac(m):
    a, b = (g.strip() for g in m.groups())
    return "/".join(f"({g})" if TEX_OPERATOR.search(g) else g for g in (a, b))


def _symbol(m):
    name, space = m.groups()
    if name in TEX_STRUCTURAL:
        return m.group(0)
    symbol = TEX_SYMBOLS.get(name, name)  # \max, \log, \exp: their names
    if symbol.isalpha() and symbol.isascii():  # a word: apart from a letter that follows
        after = m.string[m.end() : m.end() + 1]
        return f" {symbol} " if after.isalnum() else f" {symbol}"
    return symbol if symbol in "∂∇" else symbol + space  # ∂L, a · b


def tex_to_text(tex):
    """A plain-text reading of a TeX formula, for search previews (not a TeX parser)."""
    s = tex.replace(r"\{", "⦃").replace(r"\}", "⦄")  # literal braces, restored at the end
    s = re.sub(r"\\tag\*?" + GROUP, r" (\1)", s)
    s = re.sub(r"\\(?:begin|end)\{[^{}]*\}(?:\{[^{}]*\})?", " ", s)
    s = s.replace("\\\\", "; ").replace("&amp;", " ")  # the index is HTML: & is &amp;
    s = TEX_DROPPED.sub(" ", s)
    s = re.sub(r"\^\s*\\(?:top|intercal)\b", "ᵀ", s)
    s = re.sub(r"\\[dt]?frac\s*(\w)\s*(\w)", r"\1/\2", s)  # \tfrac12
    s = re.sub(r"\\(" + "|".join(TEX_ACCENTS) + r")\s+(\w)", r"\\\1{\2}", s)  # \hat m
    s = re.sub(r"([_^])\s*\\(?:text\w*|math\w*|operatorname)" + GROUP, r"\1{\2}", s)  # _\text{in}
    s = re.sub(r"\\([A-Za-z]+|\|)(\s*)", _symbol, s)
    s = re.sub(r"\^(\w)", lambda m: _script("^", m.group(1), SUPERSCRIPTS), s)  # x^2, one letter
    s = re.sub(r"_(\w)", lambda m: _script("_", m.group(1), SUBSCRIPTS), s)
    for _ in range(10):  # innermost groups first, until nothing changes
        before = s
        s = re.sub(r"\\[dt]?frac\s*" + GROUP + r"\s*" + GROUP, _frac, s)
        s = re.sub(r"\\sqrt\s*" + GROUP, r"√(\1)", s)
        s = re.sub(r"\\(" + "|".join(TEX_ACCENTS) + r")\s*" + GROUP, _accent, s)
        s = re.sub(r"\\(?:text\w*|math\w*|operatorname|substack|boldsymbol)\s*" + GROUP, r"\1", s)
        s = re.sub(r"\^" + GROUP, lambda m: _script("^", m.group(1), SUPERSCRIPTS), s)
        s = re.sub(r"_" + GROUP, lambda m: _script("_", m.group(1), SUBSCRIPTS), s)
        s = re.sub(r"(?<![A-Za-z}^_])" + GROUP, r"\1", s)  # a bare group, not an argument
        if s == before:
            break
    s = re.sub(r"[{}\\]", "", s).replace("⦃", "{").replace("⦄", "}")
    s = re.sub(r"\s+", " ", s).strip()
    return re.sub(r"\s+([,.;)\]ᵀ²])|([(\[])\s+", r"\1\2", s)


def _math_to_text(html):
    parts = CODE.split(html)
    for i in range(0, len(parts), 2):  # the odd parts are code
        parts[i] = MATH.sub(lambda m: tex_to_text(next(g for g in m.groups() if g)), parts[i])
    return "".join(parts)


@event_priority(-100)  # after the search plugin has written the index
def on_post_build(config):
    path = Path(config["site_dir"]) / "search" / "search_index.json"
    if not path.is_file():
        return
    index = json.loads(path.read_text(encoding="utf-8"))
    for doc in index["docs"]:
        for key in ("title", "text"):
            if key in doc:
                doc[key] = _math_to_text(doc[key])
    path.write_text(json.dumps(index, ensure_ascii=False, separators=(",", ":")), "utf-8")
