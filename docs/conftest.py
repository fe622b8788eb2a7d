"""Collect the ``{doctest}`` blocks of the MyST pages as pytest items (Sybil).

``nox -s doctest`` runs ``pytest docs`` (plus ``--doctest-modules src/gradproof``),
so every ``>>>`` check on a page runs without building the HTML site. Each page
gets its own namespace: a block imports what it uses, as in the built site,
where ``sphinx.ext.doctest`` blocks do not share the notebook kernel either.

Only ``{doctest}`` blocks are collected; ``{code-cell}`` cells are executed by
the site build. ``{testcode}``/``{testoutput}`` blocks are not supported (a
test in ``tests/test_doctest_wiring.py`` keeps them out of the pages).
"""

from sybil import Sybil
from sybil.parsers.myst import ClearNamespaceParser, DocTestDirectiveParser, SkipParser

pytest_collect_file = Sybil(
    parsers=[DocTestDirectiveParser(), SkipParser(), ClearNamespaceParser()],
    patterns=["*.md"],
    excludes=["_build/*"],
).pytest()
