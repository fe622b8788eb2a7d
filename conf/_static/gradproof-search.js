/* Search result snippets show what a page says, not its interface: Sphinx takes each
   snippet from the page's text, which also holds the buttons of folded code cells ("Show code
   cell source"), the hidden code itself, the derivations' legend and the labels written for
   screen readers. They are removed from the page before Sphinx reads its text. */
(() => {
  const NOT_TEXT = [
    "details.hide > summary",      // "Show code cell source" / "Hide code cell source"
    ".cell_input",                 // code a reader sees only after unfolding it
    ".gp-legend",                  // the key to the marks, on every page with a derivation
    ".gp-sr",                      // "verified" / "false" for screen readers
    // The page's contents list, its printed copy and buttons ("Contents").
    ".bd-toc", "#jb-print-docs-body", "nav", "button",
  ].join(", ");
  // Math is TeX source in the page's HTML (MathJax typesets it in the browser): show it as
  // readable text, the way the page's meta description does (conf/_ext/page_head.py).
  const WORDS = {partial: "∂", sum: "Σ", prod: "Π", ne: "≠", neq: "≠", le: "≤", ge: "≥",
    cdot: "·", times: "×", nabla: "∇", delta: "δ", sigma: "σ", theta: "θ", alpha: "α",
    to: "→", in: "∈", infty: "∞", dots: "…", ldots: "…", cdots: "⋯"};
  const texToText = (tex) => tex
    .replace(/\\[()\[\]]/g, "")
    .replace(/\\(?:left|right|big|Big|displaystyle|textstyle|quad|qquad|[,;!])/g, "")
    .replace(/([_^])\{([^{}]*)\}/g, "$1$2")
    .replace(/\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, "$1/$2")
    .replace(/\\(?:operatorname|mathrm|text|mathbf|boldsymbol)\s*\{([^{}]*)\}/g, "$1")
    .replace(/\\([A-Za-z]+)(\s?)/g, (_, word, space) => WORDS[word] || word + space)
    .replace(/[{}]/g, "")
    .replace(/\s+/g, " ").trim();
  document.addEventListener("DOMContentLoaded", () => {
    if (typeof Search === "undefined" || typeof Search.htmlToText !== "function") return;
    const toText = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => {
      const doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll(NOT_TEXT).forEach((el) => el.remove());
      doc.querySelectorAll(".math").forEach((el) => { el.textContent = texToText(el.textContent); });
      return toText(doc.documentElement.outerHTML, anchor);
    };
  });
})();
