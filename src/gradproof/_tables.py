"""Tables of numbers for the pages: any rows, or arrays side by side, as Markdown.

:func:`table` formats rows (numbers through :func:`fmt`, to a stated number of decimals);
:func:`compare` puts arrays side by side, one row per index value, so a thread's wrong formula
stands next to the truth. Both return :class:`Markdown`, which a notebook renders and ``print``
shows as text. :mod:`gradproof.display` re-exports every name here.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["Markdown", "compare", "fmt", "table"]


class Markdown:
    """Text shown as Markdown in a notebook and as plain text by ``print``.

    Parameters
    ----------
    markdown : str
        What the notebook renders (MyST on this site: ``$...$`` is math).
    plain : str, optional
        What ``str`` returns; defaults to `markdown`.
    """

    def __init__(self, markdown: str, plain: str | None = None) -> None:
        self.markdown = markdown
        self.plain = markdown if plain is None else plain

    def _repr_markdown_(self) -> str:
        return self.markdown

    def __str__(self) -> str:
        return self.plain

    def __repr__(self) -> str:
        return f"<Markdown, {len(self.markdown.splitlines())} lines>"


def fmt(value: Any, digits: int = 4) -> str:
    """A table cell: real numbers with `digits` decimals (never ``-0.0000``), the rest as ``str``.

    >>> fmt(-0.00001), fmt(2 / 3, 2), fmt(3), fmt("$q_i$")
    ('0.0000', '0.67', '3', '$q_i$')
    """
    if isinstance(value, numbers.Integral):  # bool included
        return str(value)
    if isinstance(value, numbers.Real):
        # + 0.0 turns a rounded -0.0 into 0.0
        return f"{round(float(value), digits) + 0.0:.{digits}f}"
    return str(value)


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, digits: int = 4) -> Markdown:
    """A Markdown table; numbers go through :func:`fmt` with `digits` decimals.

    >>> print(table(["", "value"], [["$J$", 1.23456], ["n", 3]]))
    |  | value |
    |---|---|
    | $J$ | 1.2346 |
    | n | 3 |
    """
    headers = list(headers)
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    for row in rows:
        cells = [fmt(v, digits) for v in row]
        if len(cells) != len(headers):
            msg = f"rows must have {len(headers)} cells like the headers; got {len(cells)}"
            raise ValueError(msg)
        lines.append("| " + " | ".join(cells) + " |")
    return Markdown("\n".join(lines))


def compare(
    columns: Mapping[str, ArrayLike],
    index_name: str | Sequence[str] = "i",
    *,
    digits: int = 4,
    where: Callable[..., bool] | None = None,
    title: str = "",
) -> Markdown:
    r"""Arrays side by side (a wrong formula next to the truth), one row per index value.

    Parameters
    ----------
    columns : mapping of str to array_like
        Column header to values; all arrays have one shape (scalars are repeated).
    index_name : str or sequence of str
        Name of each axis, e.g. ``"i"`` or ``("j", "i")``; indices are shown 1-based.
    digits : int
        Decimals of every value.
    where : callable, optional
        Keeps the rows where ``where(*index)`` (1-based) is true, e.g. ``lambda j, i: j != i``.
    title : str
        A line shown above the table.

    Examples
    --------
    >>> import numpy as np
    >>> jac = np.array([[0.25, -0.25], [-0.25, 0.25]])
    >>> print(compare({"truth": jac, "claim": 0.0}, ("j", "i"), where=lambda j, i: j != i))
    | j | i | truth | claim |
    |---|---|---|---|
    | 1 | 2 | -0.2500 | 0.0000 |
    | 2 | 1 | -0.2500 | 0.0000 |
    """
    if not columns:
        msg = "columns must name at least one array"
        raise ValueError(msg)
    arrays = {name: np.asarray(v, dtype=float) for name, v in columns.items()}
    shapes = {a.shape for a in arrays.values() if a.ndim}
    if len(shapes) > 1:
        msg = f"columns must all have one shape; got {sorted(shapes)}"
        raise ValueError(msg)
    shape = shapes.pop() if shapes else ()
    names = [index_name] if isinstance(index_name, str) else list(index_name)
    if len(names) != len(shape):
        msg = f"index_name must name each of the {len(shape)} axes; got {names}"
        raise ValueError(msg)
    rows = []
    for idx in np.ndindex(*shape):
        label = tuple(c + 1 for c in idx)
        if where is None or where(*label):
            rows.append([*label, *(float(a[idx] if a.ndim else a) for a in arrays.values())])
    out = table([*names, *arrays], rows, digits=digits)
    if title:
        return Markdown(f"{title}\n\n{out.markdown}", f"{title}\n{out.plain}")
    return out
