"""The theme's icons without the 1.5 MB icon library: a subset script and no icon font.

pydata-sphinx-theme loads ``scripts/fontawesome.js`` (1.56 MB: every Font Awesome icon, ~1,250
of them, and the code that swaps each ``<i class="fa-solid fa-bars">`` for an inline SVG) on
every page, and its CSS draws a few more icons (admonition titles, the search page's "hide
matches" link) with the 115 kB solid icon font. The site shows about fifteen icons.

At ``config-inited`` this extension reads the theme's own ``fontawesome.js`` and writes, into a
static folder that Sphinx copies over the theme's files (``_build/icons/static``):

- ``scripts/fontawesome.js``: the icons that the themes' templates and code and the pages name
  (any ``fa-NAME`` in them), and a few lines that swap each ``<i>``/``<span>`` icon for its SVG, as
  the library does, including icons added to the page later;
- ``gradproof-icons.css``: the library's sizing rules for those SVGs, and the icons the theme
  draws from the font, drawn instead as CSS masks of the same SVG shapes, so the font is never
  fetched.

Font Awesome Free icons are CC BY 4.0 (fontawesome.com); the generated script says so.
``tools/browser_check.py`` fails a page that shows an icon this subset lacks.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "_build" / "icons" / "static"
# One pack per style in the bundle: ``var b={"name":[w,h,[aliases],"unicode","path"],...}`` and,
# after some loader code, ``p("fas",b)`` (solid), ``p("far",b)`` (regular) or ``p("fab",b)``.
_PACK_START = re.compile(r'var (\w+)=\{"?[a-z0-9-]+"?:\[\d+,\d+,\[')
_ICON = re.compile(
    r'"?([a-z0-9-]+)"?:\[(\d+),(\d+),\[([^\]]*)\],"([0-9a-f]+)",("(?:[^"\\]|\\.)*"|\[[^\]]*\])\]'
)
_NAMED = re.compile(r"\bfa-([a-z0-9]+(?:-[a-z0-9]+)*)")
# Rules of the theme's CSS that draw an icon from the font (their content is a --pst-icon-*).
_FONT_RULE = re.compile(r"([^{}]+)\{([^{}]*font:var\(--fa-font-solid\)[^{}]*)\}")
# The minified CSS holds either the escape (\f0f3) or the private-use character itself.
_ICON_VAR = re.compile(r'--pst-icon-([a-z0-9-]+):"(\\[0-9a-f]{4}|[\ue000-\uf8ff])"')
_ICON_ALIAS = re.compile(r"--pst-icon-([a-z0-9-]+):var\(--pst-icon-([a-z0-9-]+)\)")
_CONTENT = re.compile(r"content:var\(--pst-icon-([a-z0-9-]+)\)")

SWAP_JS = """
(() => {
  const STYLE = {"fa-solid": "fas", fas: "fas", "fa-regular": "far", far: "far",
                 "fa-brands": "fab", fab: "fab"};
  const svg = (el) => {
    const classes = [...el.classList];
    const style = STYLE[classes.find((c) => c in STYLE)] || "fas";
    const name = classes.filter((c) => c.startsWith("fa-")).map((c) => c.slice(3))
      .find((n) => c_has(style, n));
    if (!name) return;
    const [w, h, d] = ICONS[style][ALIASES[name] || name];
    const out = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    // Other attributes stay: the theme shows one of three icons by their data-mode.
    for (const a of el.attributes) if (a.name !== "class") out.setAttribute(a.name, a.value);
    out.setAttribute("class", ["svg-inline--fa", ...classes.filter((c) => !(c in STYLE))].join(" "));
    out.setAttribute("viewBox", `0 0 ${w} ${h}`);
    out.setAttribute("aria-hidden", "true");
    out.setAttribute("focusable", "false");
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("fill", "currentColor");
    path.setAttribute("d", d);
    out.appendChild(path);
    if (el.title) out.setAttribute("aria-label", el.title);
    el.replaceWith(out);
  };
  const c_has = (style, n) => n in ICONS[style] || (n in ALIASES && ALIASES[n] in ICONS[style]);
  const swapAll = (root) => root.querySelectorAll("i[class*='fa-'], span[class*='fa-']")
    .forEach((el) => { if (el.classList.length) svg(el); });
  const start = () => {
    swapAll(document);
    new MutationObserver((changes) => changes.forEach((c) => c.addedNodes.forEach((n) => {
      if (n.nodeType === 1) { if (n.matches("i[class*='fa-'], span[class*='fa-']")) svg(n); else swapAll(n); }
    }))).observe(document.body, {childList: true, subtree: true});
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
"""

# The library's own sizing of an inline icon (its injected CSS, the rules the theme uses). The
# theme's CSS also draws every <i class="fa-solid fa-NAME"> with the icon font until the script
# has swapped it; drawing nothing instead keeps the font from being fetched at first paint.
SVG_CSS = """
:is(.fas, .far, .fab, .fa-solid, .fa-regular, .fa-brands, .fa-classic, .fa)::before {
  content: none !important; }
.svg-inline--fa { box-sizing: content-box; display: var(--fa-display, inline-block);
  height: 1em; overflow: visible; vertical-align: -0.125em; width: var(--fa-width, 1.25em); }
.svg-inline--fa.fa-lg { vertical-align: -0.2em; }
.fa-fw { text-align: center; width: 1.25em; }
"""


def read_packs(bundle: str) -> dict[str, dict[str, tuple[int, int, str, list[str], str]]]:
    """Every icon of the bundle: style -> name -> (width, height, path, aliases, unicode)."""
    packs: dict[str, dict[str, tuple[int, int, str, list[str], str]]] = {}
    for start in _PACK_START.finditer(bundle):
        end = re.compile(rf'\w\("(fa[srb])",{start.group(1)}\)').search(bundle, start.end())
        if end is None:
            continue
        body, style = bundle[start.start() : end.start()], end.group(1)
        icons = packs.setdefault(style, {})
        for name, w, h, aliases, code, path in _ICON.findall(body):
            d = json.loads(path)
            if isinstance(d, list):  # duotone: [secondary, primary]; draw both
                d = " ".join(p for p in d if p)
            names = [a.strip('"') for a in aliases.split(",") if a.startswith('"')]
            icons[name] = (int(w), int(h), d, names, code)
    if not {"fas", "far", "fab"} <= packs.keys():
        msg = f"could not read the icon packs of fontawesome.js (found {sorted(packs)})"
        raise ExtensionError(msg)
    return packs


def named_icons(texts: list[str]) -> set[str]:
    """Every ``fa-NAME`` token in `texts` (sizes such as ``fa-lg`` included; they match no icon)."""
    return {m for text in texts for m in _NAMED.findall(text)}


def subset_script(packs: dict[str, Any], wanted: set[str]) -> str:
    """The swap script with the icons of `wanted` (names or aliases) from each style."""
    icons: dict[str, dict[str, list[Any]]] = {}
    aliases: dict[str, str] = {}
    for style, pack in packs.items():
        for name, (w, h, d, names, _code) in pack.items():
            hit = [n for n in (name, *names) if n in wanted]
            if hit:
                icons.setdefault(style, {})[name] = [w, h, d]
                aliases |= {n: name for n in hit if n != name}
    head = (
        "/* Font Awesome Free icons (CC BY 4.0, fontawesome.com): the subset this site shows, "
        "written by conf/_ext/icons.py. */\n"
    )
    data = (
        f"const ICONS = {json.dumps(icons, separators=(',', ':'))};\n"
        f"const ALIASES = {json.dumps(aliases, separators=(',', ':'))};\n"
    )
    return head + "{\n" + data + SWAP_JS + "}\n"


def _mask(w: int, h: int, d: str) -> str:
    svg = f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}"><path d="{d}"/></svg>'
    return 'url("data:image/svg+xml,' + urllib.parse.quote(svg, safe=" /:=") + '")'


def font_free_css(theme_css: str, packs: dict[str, Any]) -> str:
    """Rules that draw the theme's font icons as masks of the same SVG shapes."""
    by_code = {code: (w, h, d) for name, (w, h, d, _n, code) in packs["fas"].items()}
    codes = {
        var: value[1:] if value.startswith("\\") else f"{ord(value):x}"
        for var, value in _ICON_VAR.findall(theme_css)
    }
    for alias, target in _ICON_ALIAS.findall(theme_css):
        if target in codes:
            codes.setdefault(alias, codes[target])
    masks = {var: _mask(*by_code[code]) for var, code in codes.items() if code in by_code}
    lines = [":root {"]
    lines += [f"  --gp-mask-{var}: {mask};" for var, mask in sorted(masks.items())]
    lines.append("}")
    for selectors, _body in _FONT_RULE.findall(theme_css):
        lines.append(
            f"{selectors.strip()} {{ font: inherit !important; content: '' !important; "
            "display: inline-block; --gp-mask: linear-gradient(transparent, transparent); "
            "width: 1em; height: 1em; background-color: currentColor; "
            "-webkit-mask: var(--gp-mask) center / contain no-repeat; "
            "mask: var(--gp-mask) center / contain no-repeat; }"
        )
    # Each rule (and each admonition type) names its icon by a --pst-icon-* content: map it to
    # the mask of that icon.
    for selectors, var in re.findall(
        r"([^{}]+)\{[^{}]*?content:var\(--pst-icon-([a-z0-9-]+)\)", theme_css
    ):
        if var in masks:
            lines.append(f"{selectors.strip()} {{ --gp-mask: var(--gp-mask-{var}); }}")
    return "\n".join(lines) + "\n"


def _theme_static() -> Path:
    import pydata_sphinx_theme  # noqa: PLC0415  (the docs build has it)

    return Path(pydata_sphinx_theme.__file__).parent / "theme" / "pydata_sphinx_theme" / "static"


def _theme_texts() -> list[str]:
    import pydata_sphinx_theme  # noqa: PLC0415
    import sphinx_book_theme  # noqa: PLC0415

    texts = []
    for package in (pydata_sphinx_theme, sphinx_book_theme):
        for path in Path(package.__file__).parent.rglob("*"):
            if path.suffix in {".html", ".py", ".js"} and "fontawesome" not in path.name:
                texts.append(path.read_text(encoding="utf-8", errors="replace"))
    for folder in (ROOT / "docs", ROOT / "conf"):
        texts += [p.read_text(encoding="utf-8") for p in folder.rglob("*.md")]
    return texts


def write_icons(app: Sphinx, config: Any) -> None:
    """Write the subset script and the CSS (before Sphinx checks its static paths)."""
    del app, config  # the config-inited signature
    static = _theme_static()
    packs = read_packs((static / "scripts" / "fontawesome.js").read_text(encoding="utf-8"))
    theme_css = (static / "styles" / "pydata-sphinx-theme.css").read_text(encoding="utf-8")
    (OUT / "scripts").mkdir(parents=True, exist_ok=True)
    script = subset_script(packs, named_icons(_theme_texts()))
    (OUT / "scripts" / "fontawesome.js").write_text(script, encoding="utf-8")
    css = SVG_CSS + font_free_css(theme_css, packs)
    (OUT / "gradproof-icons.css").write_text(css, encoding="utf-8")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", write_icons)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
