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
    "button",
  ].join(", ");
  document.addEventListener("DOMContentLoaded", () => {
    if (typeof Search === "undefined" || typeof Search.htmlToText !== "function") return;
    const toText = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => {
      const doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll(NOT_TEXT).forEach((el) => el.remove());
      return toText(doc.documentElement.outerHTML, anchor);
    };
  });
})();
