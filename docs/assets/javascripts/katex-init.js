// Typeset math with the KaTeX the site serves itself.
// Markdown pages: pymdownx.arithmatex wraps each formula in its own .arithmatex element, as
// \( ... \) (inline, a span) or \[ ... \] (display, a div): render each one in place with
// katex.render. (auto-render would wrap a display formula in an inline <span> inside the div,
// and the browser then adds an empty line above and below every displayed equation.)
// Notebook pages: Jupyter markdown keeps $ and $$, found by auto-render.
const WRAPPED = /^\s*(?:\\\(([\s\S]*)\\\)|\\\[([\s\S]*)\\\]|\$\$([\s\S]*)\$\$)\s*$/;

function typesetMath() {
  const delimiters = [
    { left: "$$", right: "$$", display: true },
    { left: "\\[", right: "\\]", display: true },
    { left: "\\(", right: "\\)", display: false },
  ];
  for (const el of document.querySelectorAll(".arithmatex")) {
    if (el.querySelector(".katex, .katex-error")) continue; // already typeset
    const m = WRAPPED.exec(el.textContent);
    if (m) {
      const inline = m[1] !== undefined;
      katex.render(inline ? m[1] : (m[2] ?? m[3]), el, {
        displayMode: !inline,
        throwOnError: false,
      });
    } else {
      renderMathInElement(el, { delimiters, throwOnError: false });
    }
  }
  for (const el of document.querySelectorAll(".jupyter-wrapper .jp-MarkdownOutput")) {
    renderMathInElement(el, {
      delimiters: [...delimiters, { left: "$", right: "$", display: false }],
      throwOnError: false,
    });
  }
}

// A displayed formula wider than the column scrolls sideways (extra.css), which a phone does not
// show: its box gets the class `scrolls`, and extra.css draws a shadow on each edge that has
// more formula beyond it. Measured after typesetting and again when the width changes.
function markWideFormulas() {
  for (const el of document.querySelectorAll(".arithmatex .katex-display")) {
    el.classList.toggle("scrolls", el.scrollWidth > el.clientWidth + 1);
  }
}

function typesetPage() {
  typesetMath();
  markWideFormulas();
}

let resizeTimer;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(markWideFormulas, 100);
});

if (typeof document$ !== "undefined") {
  document$.subscribe(typesetPage); // mkdocs-material instant navigation
} else {
  document.addEventListener("DOMContentLoaded", typesetPage);
}
// the KaTeX fonts, requested once the first formula is typeset, change the formulas' widths
document.fonts?.addEventListener("loadingdone", markWideFormulas);
