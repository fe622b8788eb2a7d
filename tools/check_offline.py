"""Fail if any page of a built site loads a script or stylesheet from another host.

The site must work with no network: MathJax, the theme's fonts and scripts all
ship in ``_static``. ``nox -s docs`` runs this on ``_build/html`` after every
build; ``tests/test_build.py`` runs it on a throw-away site and on a planted
CDN link.

Usage::

    python tools/check_offline.py _build/html
"""

from __future__ import annotations

import sys
from html.parser import HTMLParser
from pathlib import Path

REMOTE_PREFIXES = ("http:", "https:", "//")
# <link> relations that make the browser fetch the target while loading the page.
FETCHING_RELS = {"stylesheet", "preload", "modulepreload"}


class AssetCollector(HTMLParser):
    """Collect the URLs of the scripts and fetched ``<link>`` targets of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.urls.append(a["src"] or "")
        rel = set((a.get("rel") or "").lower().split())
        if tag == "link" and rel & FETCHING_RELS:
            self.urls.append(a.get("href") or "")


def page_assets(page: Path) -> list[str]:
    """Return the script and stylesheet URLs of one HTML page, in document order."""
    collector = AssetCollector()
    collector.feed(page.read_text(encoding="utf-8"))
    return collector.urls


def remote_assets(html_dir: Path) -> dict[str, list[str]]:
    """Map each page under ``html_dir`` to the assets it loads from another host."""
    found: dict[str, list[str]] = {}
    for page in sorted(html_dir.rglob("*.html")):
        remote = [u for u in page_assets(page) if u.lower().startswith(REMOTE_PREFIXES)]
        if remote:
            found[page.relative_to(html_dir).as_posix()] = remote
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python tools/check_offline.py <built html dir>", file=sys.stderr)
        return 2
    html_dir = Path(args[0])
    pages = sorted(html_dir.rglob("*.html"))
    if not pages:
        print(f"no HTML pages under {html_dir}", file=sys.stderr)
        return 1
    found = remote_assets(html_dir)
    for page, urls in found.items():
        for url in urls:
            print(f"{page}: loads {url}", file=sys.stderr)
    if found:
        return 1
    print(f"{len(pages)} pages load no script or stylesheet from the network")
    return 0


if __name__ == "__main__":
    sys.exit(main())
