"""Execute a page's code cells as the docs build does; the exit status says how it went.

MyST-NB's own reader and nbclient with the ``python3`` kernel, the pair the build uses, in the
page's folder: a cell that fails here fails ``nox -s docs``. Cells tagged ``raises-exception``
may fail, as in the build. The mutation registry (``tools/mutants``) runs a page with a wrong
formula put in this way.

Exit status: 0 when every cell ran; 1 when a check in a cell rejected something (the cell
raised ``AssertionError`` or ``GradientCheckError``; the first line printed is then
``REJECTED by GradientCheckError in page.md``); 3 when a cell failed in any other way (a
``NameError``, say: ``BROKEN by NameError in page.md``): the page broke without a check saying
so.

Usage::

    python tools/run_page.py docs/seeds/000-goodfellow-cross-entropy.md
"""

from __future__ import annotations

import sys
from pathlib import Path

# What a page's checks raise; GradientCheckError is an AssertionError, named for the report.
REJECTIONS = frozenset({"AssertionError", "GradientCheckError"})


def run_page(text: str, folder: Path, *, timeout: int = 300) -> None:
    """Execute every code cell of the MyST-NB page `text` in `folder`.

    Raises ``nbclient.exceptions.CellExecutionError`` at the first cell that fails unexpectedly.
    """
    import nbclient  # noqa: PLC0415  (the notebook stack is imported only when a page runs)
    from myst_nb.core.read import read_myst_markdown_notebook  # noqa: PLC0415

    notebook = read_myst_markdown_notebook(text)
    client = nbclient.NotebookClient(
        notebook, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": folder}}
    )
    client.execute()


def main(argv: list[str] | None = None) -> int:
    import nbclient.exceptions  # noqa: PLC0415

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    page = Path(args[0]).resolve()
    try:
        run_page(page.read_text(encoding="utf-8"), page.parent)
    except nbclient.exceptions.CellExecutionError as exc:
        rejected = exc.ename in REJECTIONS
        print(f"{'REJECTED' if rejected else 'BROKEN'} by {exc.ename} in {page.name}\n{exc}")
        return 1 if rejected else 3
    print(f"every cell of {page.name} ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
