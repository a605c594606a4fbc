// Typeset math with the KaTeX the site serves itself.
// Markdown pages: pymdownx.arithmatex wraps formulas in .arithmatex with \( \) and \[ \].
// Notebook pages: Jupyter markdown keeps $ and $$.
function typesetMath() {
  const delimiters = [
    { left: "$$", right: "$$", display: true },
    { left: "\\[", right: "\\]", display: true },
    { left: "\\(", right: "\\)", display: false },
  ];
  for (const el of document.querySelectorAll(".arithmatex")) {
    renderMathInElement(el, { delimiters, throwOnError: false });
  }
  for (const el of document.querySelectorAll(".jupyter-wrapper .jp-MarkdownOutput")) {
    renderMathInElement(el, {
      delimiters: [...delimiters, { left: "$", right: "$", display: false }],
      throwOnError: false,
    });
  }
}

if (typeof document$ !== "undefined") {
  document$.subscribe(typesetMath); // mkdocs-material instant navigation
} else {
  document.addEventListener("DOMContentLoaded", typesetMath);
}
