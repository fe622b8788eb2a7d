"""Punctuation after inline math stays on the math's line.

MathJax draws inline math as an atomic box, and a browser may break a line between such a box
and the full stop or comma that follows it, leaving the mark alone at the start of the next
line. This transform wraps each inline math node and the punctuation right after it in a
``<span class="gp-nobr">``, which ``gradproof.css`` keeps on one line.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform

PUNCTUATION = re.compile(r"^[.,;:!?)\]’”'\"]+")


def glue_punctuation(doctree: nodes.Node) -> int:
    """Wrap every inline math node followed by punctuation; return how many were wrapped."""
    count = 0
    for math in list(doctree.findall(nodes.math)):
        parent = math.parent
        if parent is None:
            continue
        index = parent.index(math)
        if index + 1 >= len(parent.children):
            continue
        after = parent[index + 1]
        if not isinstance(after, nodes.Text):
            continue
        match = PUNCTUATION.match(str(after))
        if not match:
            continue
        rest = str(after)[match.end() :]
        box = nodes.inline(classes=["gp-nobr"])
        parent.replace(math, box)
        box += math
        box += nodes.Text(match.group(0))
        if rest:
            parent.replace(after, nodes.Text(rest))
        else:
            parent.remove(after)
        count += 1
    return count


class GluePunctuation(SphinxTransform):
    """Run :func:`glue_punctuation` on every document (after MyST-NB has added its outputs)."""

    default_priority = 880

    def apply(self, **kwargs: Any) -> None:
        del kwargs
        glue_punctuation(self.document)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_post_transform(GluePunctuation)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
