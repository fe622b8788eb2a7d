"""Show an executed notebook cell inside another directive, such as a tab.

MyST-NB executes only top-level ``{code-cell}`` blocks (a notebook has no nesting), so a cell
written inside ``{tab-item}`` would be neither run nor kept. Instead the cell stays at the top
level, where it runs in order and stays in the downloadable notebook, with a tag naming it::

    ```{code-cell} python
    :tags: [code-numpy]
    ...
    ```

and the place where it is to be shown says so::

    :::{tab-item} NumPy
    ```{place-cell} code-numpy
    ```
    :::

When the page has been read, the cell (its input and its output) moves to that place. A tag
that names no cell, or more than one, fails the build.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

_PLACE = "gp-place-cell"
_logger = logging.getLogger(__name__)


class PlaceCell(SphinxDirective):
    """Mark where the cell tagged with the argument is shown."""

    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        node = nodes.container(classes=[_PLACE])
        node["gp_cell_tag"] = self.arguments[0]
        self.set_source_info(node)
        return [node]


def place_cells(app: Sphinx, doctree: nodes.document) -> None:
    """Move each tagged cell into its placeholder (connected to ``doctree-read``)."""
    del app
    places = [n for n in doctree.findall(nodes.container) if _PLACE in n["classes"]]
    for place in places:
        tag = place.attributes.pop("gp_cell_tag")
        cells = [
            n
            for n in doctree.findall(nodes.container)
            if "cell" in n["classes"] and f"tag_{tag}" in n["classes"]
        ]
        if len(cells) != 1:
            _logger.warning(
                "{place-cell} %s: expected one code cell tagged %r, found %d",
                tag,
                tag,
                len(cells),
                location=place,
            )
            place.parent.remove(place)
            continue
        cell = cells[0]
        cell.parent.remove(cell)
        place["classes"] = []  # replace_self hands the placeholder's classes to the cell
        place.replace_self(cell)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("place-cell", PlaceCell)
    app.connect("doctree-read", place_cells)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
