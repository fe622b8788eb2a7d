"""Open every page of the built site in headless Chromium and check what a reader sees.

``nox -s browser`` runs this on ``_build/html`` after ``nox -s docs``. The site is served by
Python's ``http.server`` on 127.0.0.1 (a free port, in a thread) and driven with Playwright
against the system Chromium (Debian package ``chromium``; never ``playwright install``). Every
request that is not for 127.0.0.1 is blocked and recorded, so a page that needs the network
fails here even on a machine that has one.

For every page it asserts:

- math is typeset: every ``.math`` element holds MathJax output (``mjx-container``), and pages
  other than the indexes have some; no raw ``$$``, ``\\begin{``, ``\\(`` ... in visible prose;
- no cell output shows an error or a traceback (cells tagged ``raises-exception`` may) and no
  output went to stderr;
- every image loaded (``naturalWidth > 0``), no response was an HTTP error, no request left
  127.0.0.1, the console logged no error and no script threw;
- the article column does not scroll sideways (wide derivations scroll inside their own box);
- the page has a favicon that loads, a meta description and OpenGraph tags (title, description,
  type); a page with a derivation shows the legend of its marks before the first one; every
  theme icon was drawn (none is missing from the site's subset of the icon library);
- every download link of the page (``.ipynb``, ``.md``) resolves, and a page with code cells
  offers its executed ``.ipynb``;
- a thread page (``seeds/``) shows its answer (an admonition titled "The answer") on the first
  screen, without a click.

Every page is opened twice: on a desktop (1400 px wide) and on a phone (390 × 844). On the phone
the document must be no wider than the screen, and every mark and every reason of every
derivation must lie within it (not past the right edge, not cut off by a box that scrolls).
Each page's weight is reported: the bytes of the page and everything it loaded, as served
(uncompressed) and gzip-compressed as a web server would send them; a page above
``WEIGHT_BUDGET`` fails.

The checker page ``check.html`` is then used as a reader uses it (``tools/checker_browser.py``:
the verdicts of every example, a parse error, shared links). Then ``search.html?q=softmax`` must
list results, and the execution statistics table must list
every page that has code cells, with its run time. With ``--screenshots DIR`` it saves the landing
page and some thread and theory pages, desktop and phone, light and dark, for review.

Usage::

    python tools/browser_check.py _build/html [--screenshots _build/screenshots]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import http.server
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import checker_browser  # beside this script, so on the path when it runs

CHROMIUM = "/usr/bin/chromium"
# The flags of FACTS.md: without the background-networking ones Chromium keeps trying to reach
# its update and sync services.
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
)
VIEWPORTS = {"desktop": {"width": 1400, "height": 900}, "phone": {"width": 390, "height": 844}}
VIEWPORT = VIEWPORTS["desktop"]
# Everything a page loads (HTML, CSS, scripts, fonts, images), uncompressed. Pages with math
# weigh 2.1-2.5 MB (MathJax alone 1.2 MB), the others 0.8 MB; 3.8-4.1 MB while the theme's
# whole icon library (1.56 MB) and icon font loaded on every page.
WEIGHT_BUDGET = 3_000_000
TIMEOUT_MS = 30_000
# Sphinx fills the result list within a second of loading searchindex.js.
SEARCH_TIMEOUT_MS = 10_000
# Generated index pages carry no mathematics of their own.
MATH_OPTIONAL = {"genindex.html", "py-modindex.html", "search.html", "execution.html"}
# Thread pages open with their answer, which a reader must see without clicking or scrolling.
VERDICT_PAGES = re.compile(r"^seeds/.+\.html$")
ANSWER_TITLES = ("The answer",)
SCREENSHOT_PAGES = {
    "index.html": "index",
    "seeds/000-goodfellow-cross-entropy.html": "seed-000",
    "seeds/001-derivative-of-softmax-loss.html": "seed-001",
    "seeds/002-cross-entropy-logits.html": "seed-002",
    "theory/softmax-jacobian.html": "theory-jacobian",  # the heat map, in both themes
    "api.html": "api",
}
SEARCH_QUERY = "softmax"

# Collect what a reader would see as raw TeX: text outside code, scripts and MathJax output.
_VISIBLE_TEXT_JS = """() => {
  const skip = new Set(['PRE', 'CODE', 'SCRIPT', 'STYLE', 'TEXTAREA', 'NOSCRIPT',
                        'MJX-CONTAINER', 'MJX-ASSISTIVE-MML']);
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      for (let el = node.parentElement; el; el = el.parentElement) {
        if (skip.has(el.tagName)) return NodeFilter.FILTER_REJECT;
      }
      return NodeFilter.FILTER_ACCEPT;
    }
  });
  while (walker.nextNode()) out.push(walker.currentNode.nodeValue);
  return out.join(' ');
}"""

_SETTLE_JS = """async () => {
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)));
  await document.fonts.ready;
}"""

_FACTS_JS = """async (answerTitles) => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  // CHTML draws glyphs with web fonts: until they load, typeset math paints blank.
  await document.fonts.ready;
  await Promise.all([...document.images].map(img => img.complete ? null :
    new Promise(done => { img.addEventListener('load', done); img.addEventListener('error', done); })));
  const inCell = (el, tag) => el.closest('.cell') && el.closest('.cell').classList.contains(tag);
  const outputs = [...document.querySelectorAll('.cell_output, .output')];
  const errorOutputs = outputs.filter(el => !inCell(el, 'tag_raises-exception') && (
      el.matches('.traceback, .output.error') ||
      /Traceback \\(most recent call last\\)/.test(el.innerText)))
    .map(el => el.innerText.slice(0, 200));
  const stderr = [...document.querySelectorAll('.output.stderr')]
    .filter(el => !inCell(el, 'tag_raises-exception')).map(el => el.innerText.slice(0, 200));
  const math = [...document.querySelectorAll('.math')];
  const article = document.querySelector('.bd-article') || document.body;
  // A derivation's marks and reasons must be on screen: inside the viewport and not cut off by
  // an ancestor that scrolls or clips (a long line may scroll; its mark and reason may not).
  const viewportWidth = document.documentElement.clientWidth;
  const clippedBy = el => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return null;  // not displayed (e.g. an empty reason)
    if (r.left < -1 || r.right > viewportWidth + 1) return `the screen (${Math.round(r.left)}..${Math.round(r.right)} px of ${viewportWidth})`;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.overflowX === 'visible') continue;
      const box = a.getBoundingClientRect();
      if (r.left < box.left - 1 || r.right > box.right + 1) return `a box that scrolls (${a.tagName.toLowerCase()}.${[...a.classList].join('.')})`;
    }
    return null;
  };
  const derivationParts = [
    ...document.querySelectorAll('.gp-derivation .gp-mark, .gp-derivation .gp-why'),
    // Marks set inside MathJax (\\class{gp-ok}, Derivation.to_latex()) count too.
    ...document.querySelectorAll('mjx-container[display="true"] .gp-ok, mjx-container[display="true"] .gp-false'),
  ].filter(el => !el.closest('mjx-assistive-mml'));  // MathJax's hidden copy for screen readers
  const offscreen = derivationParts.map(el => {
    const where = clippedBy(el);
    return where && `${el.classList.contains('gp-why') ? 'reason' : 'mark'} ${JSON.stringify(el.textContent.trim().slice(0, 40))} is cut off by ${where}`;
  }).filter(Boolean);
  const firstDerivation = document.querySelector(
    '.gp-derivation, mjx-container[display="true"] .gp-ok, mjx-container[display="true"] .gp-false');
  const legend = document.querySelector('.gp-legend');
  const meta = name => {
    const el = document.querySelector(`meta[name="${name}"], meta[property="${name}"]`);
    return el ? el.getAttribute('content') : null;
  };
  const icon = document.querySelector('link[rel~="icon"]');
  // The icon script swaps each <i class="fa-solid fa-NAME"> for an SVG; one left is an icon
  // the site's subset of the library lacks (conf/_ext/icons.py), shown as nothing.
  const missingIcons = [...document.querySelectorAll("i[class*='fa-'], span[class*='fa-']")]
    .map(el => el.className);
  const resources = performance.getEntriesByType('resource');
  const nav = performance.getEntriesByType('navigation')[0];
  return {
    title: document.title,
    mjx: document.querySelectorAll('mjx-container').length,
    math: math.length,
    untypeset: math.filter(el => !el.querySelector('mjx-container'))
      .map(el => el.textContent.slice(0, 80)),
    texErrors: [...document.querySelectorAll('mjx-merror')]
      .map(el => (el.getAttribute('data-mjx-error') || el.textContent).slice(0, 120)),
    brokenImages: [...document.images].filter(img => !(img.complete && img.naturalWidth > 0))
      .map(img => img.getAttribute('src')),
    images: document.images.length,
    errorOutputs,
    stderr,
    overflow: article.scrollWidth - article.clientWidth,
    downloads: [...document.querySelectorAll('.dropdown-download-buttons a[href]')]
      .map(a => a.href),
    cells: document.querySelectorAll('div.cell').length,
    verdictVisible: [...document.querySelectorAll('.admonition')]
      .filter(a => answerTitles.includes((a.querySelector('.admonition-title') || {}).textContent))
      .some(a => a.checkVisibility() && !a.closest('details:not([open])')
                 && a.getBoundingClientRect().top + window.scrollY < window.innerHeight),
    wideMath: [...document.querySelectorAll("mjx-container[display='true'], .gp-rhs")]
      .filter(m => m.scrollWidth > m.clientWidth + 1).length,
    docWidth: document.documentElement.scrollWidth,
    viewportWidth,
    offscreen,
    derivations: document.querySelectorAll('.gp-derivation').length,
    legendMissing: !!firstDerivation && !(legend && legend.checkVisibility() &&
      (legend.compareDocumentPosition(firstDerivation) & Node.DOCUMENT_POSITION_FOLLOWING)),
    meta: Object.fromEntries(['description', 'og:title', 'og:description', 'og:type']
      .map(k => [k, meta(k)])),
    icon: icon ? icon.href : null,
    missingIcons,
    loaded: [document.location.href, ...resources.map(e => e.name)],
    bytes: (nav ? nav.encodedBodySize : 0) +
      resources.reduce((total, e) => total + (e.encodedBodySize || 0), 0),
  };
}"""

_STATUS_JS = """async (urls) => Promise.all(urls.map(async u => {
  try { return (await fetch(u, {cache: 'no-store'})).status; } catch (e) { return 0; }
}))"""

# Raw TeX a reader must never see in prose.
RAW_TEX = re.compile(r"\$\$|\\begin\{|\\end\{|\\\(|\\\)|\\\[|\\frac|\$[^$\n]*\\[A-Za-z]+[^$\n]*\$")


@dataclass
class PageResult:
    """What one page showed in the browser, and the problems found."""

    path: str
    title: str = ""
    mjx: int = 0
    images: int = 0
    wide_math: int = 0  # displayed equations wider than the column (they scroll in their box)
    cells: int = 0  # executed code cells (MyST-NB)
    viewport: str = "desktop"
    doc_width: int = 0  # the document's width in px (at most the viewport's on a phone)
    bytes: int = 0  # the page and everything it loaded, uncompressed
    gzip_bytes: int = 0  # the same, each file gzip-compressed as a server would send it
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass

    def handle(self) -> None:
        # A page closed while its checker was still downloading Pyodide: not the site's fault.
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            super().handle()


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 at a free port in a thread; yield the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in {"data", "blob", "about"}:
        return True
    return parts.scheme == "http" and parts.hostname == "127.0.0.1"


def page_paths(html_dir: Path) -> list[str]:
    """Every HTML page of the site, relative to ``html_dir``, sorted."""
    # _static holds the themes' template fragments, not pages.
    pages = (p.relative_to(html_dir).as_posix() for p in html_dir.rglob("*.html"))
    return sorted(p for p in pages if not p.startswith(("_static/", "_sources/", "_images/")))


class Browser:
    """A headless Chromium with a fresh profile, every request outside 127.0.0.1 blocked."""

    def __init__(self, playwright: Any, profile: Path, executable: str = CHROMIUM) -> None:
        self.offsite: list[str] = []
        self.context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=executable,
            headless=True,
            args=list(CHROMIUM_ARGS),
            viewport=VIEWPORT,
            service_workers="block",
        )
        self.context.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        url = route.request.url
        if _is_local(url):
            route.continue_()
        else:
            self.offsite.append(url)
            route.abort("blockedbyclient")

    def close(self) -> None:
        self.context.close()


def gzip_size(html_dir: Path, base: str, urls: list[str]) -> int:
    """The bytes of the files behind ``urls`` (each once) when gzip-compressed (level 6)."""
    total = 0
    for url in dict.fromkeys(u.split("#")[0].split("?")[0] for u in urls):
        if not url.startswith(base):
            continue
        rel = unquote(url[len(base) :]) or "index.html"
        file = html_dir / rel
        if file.is_dir():
            file = file / "index.html"
        if file.is_file():
            total += len(gzip.compress(file.read_bytes(), compresslevel=6, mtime=0))
    return total


def check_page(
    browser: Browser,
    base: str,
    path: str,
    *,
    dark: bool = False,
    viewport: str = "desktop",
    html_dir: Path | None = None,
) -> PageResult:
    """Load one page at ``viewport`` and return what it showed and what is wrong with it."""
    result = PageResult(
        path if viewport == "desktop" else f"{path} ({viewport})", viewport=viewport
    )
    page = browser.context.new_page()
    page.set_viewport_size(VIEWPORTS[viewport])
    console: list[str] = []
    http_errors: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(f"uncaught: {e}"))
    page.on(
        "response", lambda r: http_errors.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    if dark:
        page.add_init_script("localStorage.setItem('mode', 'dark')")
    offsite_before = len(browser.offsite)
    page.goto(base + path, wait_until="load", timeout=TIMEOUT_MS)
    facts = page.evaluate(_FACTS_JS, list(ANSWER_TITLES))
    text = page.evaluate(_VISIBLE_TEXT_JS)
    statuses = page.evaluate(_STATUS_JS, facts["downloads"])
    result.title, result.mjx, result.images = facts["title"], facts["mjx"], facts["images"]
    p = result.problems
    if path not in MATH_OPTIONAL and facts["mjx"] == 0:
        p.append("no typeset math (no mjx-container)")
    p += [f"math not typeset: {t!r}" for t in facts["untypeset"]]
    p += [f"MathJax error: {t!r}" for t in facts["texErrors"]]
    p += [f"raw TeX in the text: {m.group(0)!r}" for m in RAW_TEX.finditer(text)]
    p += [f"error shown in a cell output: {t!r}" for t in facts["errorOutputs"]]
    p += [f"stderr in a cell output: {t!r}" for t in facts["stderr"]]
    p += [f"image did not load: {src}" for src in facts["brokenImages"]]
    p += [f"HTTP error: {e}" for e in http_errors]
    p += [f"request left 127.0.0.1: {u}" for u in browser.offsite[offsite_before:]]
    p += [f"console error: {c}" for c in console]
    if facts["overflow"] > 1:
        p.append(f"the article is {facts['overflow']} px wider than its column")
    if facts["docWidth"] > facts["viewportWidth"]:
        p.append(
            f"the document is {facts['docWidth']} px wide on a {facts['viewportWidth']} px screen"
        )
    p += facts["offscreen"]
    if facts["legendMissing"]:
        p.append("a derivation without the legend of its marks before it")
    p += [f"no {key} meta tag" for key, value in facts["meta"].items() if not value]
    p += [f"icon not drawn (not in the icon subset?): {c}" for c in facts["missingIcons"]]
    if facts["icon"] is None:
        p.append("no favicon link")
    else:
        (icon_status,) = page.evaluate(_STATUS_JS, [facts["icon"]])
        if icon_status != 200:
            p.append(f"favicon {facts['icon']} gave HTTP {icon_status}")
    result.bytes = facts["bytes"]
    if html_dir is not None:
        result.gzip_bytes = gzip_size(html_dir, base, facts["loaded"])
    if result.bytes > WEIGHT_BUDGET:
        p.append(f"the page weighs {result.bytes:,} bytes, over the budget of {WEIGHT_BUDGET:,}")
    for url, status in zip(facts["downloads"], statuses, strict=True):
        if status != 200:
            p.append(f"download link {url} gave HTTP {status}")
    if facts["cells"] and not any(u.endswith(".ipynb") for u in facts["downloads"]):
        p.append("executed page without a .ipynb download")
    if VERDICT_PAGES.match(path) and not facts["verdictVisible"]:
        p.append("no answer on the first screen (an open admonition titled 'The answer')")
    result.wide_math, result.cells = facts["wideMath"], facts["cells"]
    result.doc_width = facts["docWidth"]
    page.close()
    return result


def check_search(browser: Browser, base: str, query: str = SEARCH_QUERY) -> PageResult:
    """Search the site the way a reader does; the result list must fill."""
    result = PageResult(f"search.html?q={query}")
    page = browser.context.new_page()
    page.goto(f"{base}search.html?q={query}", wait_until="load", timeout=TIMEOUT_MS)
    try:
        page.wait_for_selector("ul.search li", timeout=SEARCH_TIMEOUT_MS)
    except Exception:  # noqa: BLE001  (Playwright's TimeoutError: report it, don't crash)
        result.problems.append(f"search for {query!r} listed no results")
    hits = page.locator("ul.search li").count()
    result.title = f"{hits} results"
    page.close()
    return result


def check_execution_table(
    browser: Browser, base: str, executed: list[str], path: str = "execution.html"
) -> PageResult:
    """The execution statistics table must list every page that has cells, each with a time."""
    result = PageResult(f"{path} (table)")
    page = browser.context.new_page()
    page.goto(base + path, wait_until="load", timeout=TIMEOUT_MS)
    rows = page.evaluate(
        """() => [...document.querySelectorAll('table tbody tr')]
             .map(tr => [...tr.querySelectorAll('td')].map(td => td.innerText.trim()))"""
    )
    page.close()
    listed = {row[0]: row for row in rows if row}
    for doc in executed:
        row = listed.get(doc)
        if row is None:
            result.problems.append(f"{doc} is executed but missing from the table")
        elif not re.fullmatch(r"\d+(\.\d+)?", row[3] if len(row) > 3 else ""):
            result.problems.append(f"{doc} has no run time in the table: {row}")
    result.title = f"{len(listed)} executed pages listed"
    return result


def screenshot(
    browser: Browser,
    base: str,
    path: str,
    out: Path,
    *,
    dark: bool = False,
    viewport: str = "desktop",
) -> None:
    """Save the top of a page, and its first figure and first derivation or equation if any."""
    page = browser.context.new_page()
    page.set_viewport_size(VIEWPORTS[viewport])
    # The profile is shared, so the mode stored by a dark screenshot would carry over: set both.
    page.add_init_script(f"localStorage.setItem('mode', '{'dark' if dark else 'light'}')")
    page.goto(base + path, wait_until="load", timeout=TIMEOUT_MS)
    page.evaluate(_FACTS_JS, list(ANSWER_TITLES))  # waits for MathJax and images
    page.screenshot(path=str(out.with_suffix(".png")))
    for suffix, selector in [
        ("figure", ".cell_output img"),
        ("math", ".gp-derivation, div.math"),
        ("signature", "dl.py.function > dt"),
    ]:
        target = page.locator(selector).first
        if target.count():
            target.scroll_into_view_if_needed()
            page.evaluate("window.scrollBy(0, -120)")
            # Glyph fonts are fetched as math scrolls into view: wait two frames, then for them.
            page.evaluate(_SETTLE_JS)
            page.screenshot(path=str(out.with_name(f"{out.name}-{suffix}.png")))
    page.close()


def check_site(
    html_dir: Path, *, screenshots: Path | None = None, executable: str = CHROMIUM
) -> list[PageResult]:
    """Check every page under ``html_dir`` and the search; return one result per page."""
    from playwright.sync_api import sync_playwright  # noqa: PLC0415  (browser group only)

    paths = page_paths(html_dir)
    if not paths:
        msg = f"html_dir has no HTML pages: {html_dir}"
        raise ValueError(msg)
    profile = Path(tempfile.mkdtemp(prefix="gradproof-chromium-"))
    try:
        with serve(html_dir) as base, sync_playwright() as pw:
            browser = Browser(pw, profile, executable)
            try:
                results = [
                    check_page(browser, base, path, viewport=viewport, html_dir=html_dir)
                    for path in paths
                    for viewport in VIEWPORTS
                ]
                if "execution.html" in paths:
                    executed = [
                        r.path.removesuffix(".html")
                        for r in results
                        if r.cells and r.viewport == "desktop"
                    ]
                    results.append(check_execution_table(browser, base, executed))
                if "search.html" in paths:
                    results.append(check_search(browser, base))
                if checker_browser.PAGE in paths:  # verdicts, a parse error, shared links
                    for name, title, problems in checker_browser.check_checker_page(
                        browser, base, screenshots
                    ):
                        results.append(PageResult(name, title=title, problems=problems))
                if screenshots is not None:
                    screenshots.mkdir(parents=True, exist_ok=True)
                    for name in SCREENSHOT_PAGES.values():
                        for old in screenshots.glob(f"{name}*.png"):
                            old.unlink()  # a figure a page no longer has must not linger
                    for path, name in SCREENSHOT_PAGES.items():
                        if path not in paths:
                            continue
                        for viewport in VIEWPORTS:
                            for dark in (False, True):
                                label = name + ("-phone" if viewport == "phone" else "")
                                label += "-dark" if dark else ""
                                screenshot(
                                    browser,
                                    base,
                                    path,
                                    screenshots / label,
                                    dark=dark,
                                    viewport=viewport,
                                )
            finally:
                browser.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return results


def page_weights(html_dir: Path, *, executable: str = CHROMIUM) -> dict[str, tuple[int, int]]:
    """Each page's weight at the desktop width: (bytes as served, bytes gzip-compressed).

    ``benchmarks/page_weight.py`` reports these; the pages are loaded as :func:`check_page`
    loads them.
    """
    from playwright.sync_api import sync_playwright  # noqa: PLC0415  (browser group only)

    profile = Path(tempfile.mkdtemp(prefix="gradproof-chromium-"))
    try:
        with serve(html_dir) as base, sync_playwright() as pw:
            browser = Browser(pw, profile, executable)
            try:
                out = {}
                for path in page_paths(html_dir):
                    result = check_page(browser, base, path, html_dir=html_dir)
                    out[path] = (result.bytes, result.gzip_bytes)
            finally:
                browser.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html_dir", type=Path)
    parser.add_argument("--screenshots", type=Path, help="save screenshots into this directory")
    parser.add_argument("--chromium", default=CHROMIUM, help="Chromium executable")
    args = parser.parse_args(argv)
    results = check_site(args.html_dir, screenshots=args.screenshots, executable=args.chromium)
    for r in results:
        status = "ok  " if r.ok else "FAIL"
        weight = f"{r.bytes / 1e6:.2f} MB ({r.gzip_bytes / 1e6:.2f} gzip)" if r.bytes else ""
        print(
            f"{status} {r.path:<53} math={r.mjx:<4} scrolling={r.wide_math:<3} "
            f"images={r.images:<3} width={r.doc_width:<5} {weight:<22} {r.title}"
        )
        for problem in r.problems:
            print(f"       - {problem}")
    failed = [r for r in results if not r.ok]
    print(f"{len(results) - len(failed)} of {len(results)} checks passed in headless Chromium")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
