r"""The threads' own derivations, and a correct one, with what the checker finds in them.

The data is ``examples.toml`` beside this module: one source for the tests, the "Check your
derivation" page (its one-click examples) and the benchmarks. Each :class:`Example` holds the
LaTeX as its thread wrote it, the notation that reads it in the thread's letters, and the
verdicts the checker must give (or the error it must raise).

Examples
--------
>>> from gradproof.latex.examples import example
>>> ex = example("001-asker")
>>> ex.thread, ex.who, ex.verdicts
('001', 'the asker', ('false', 'true', 'true'))
>>> [line["verdict"] for line in ex.check()["lines"]] == list(ex.verdicts)
True
>>> ex.form()["roles"]
{'logits': 'o', 'targets': 'y', 'softmax': 'p', 'loss': 'L'}
>>> ex.form()["notation"]
'upstream_loss=F'
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any

from gradproof.latex.notation import ROLES

__all__ = ["FORM_ROLES", "Example", "example", "examples"]

#: The roles the checker page asks for in fields of their own; the rest go in one notation line.
FORM_ROLES = ("logits", "targets", "softmax", "loss")
_VERDICTS = {"true", "false"}


@dataclass(frozen=True)
class Example:
    """One derivation with its notation and the verdicts the checker must give."""

    id: str
    thread: str
    who: str
    latex: str
    page: bool = False
    notation: dict[str, Any] = field(default_factory=dict)
    assume: tuple[str, ...] = ()
    where: tuple[str, ...] = ()
    define: tuple[str, ...] = ()
    verdicts: tuple[str, ...] = ()
    error: dict[str, Any] | None = None

    @property
    def label(self) -> str:
        """``001: the asker``, or what it is when it is not a thread's."""
        return f"{self.thread}: {self.who}" if self.thread else self.who

    def options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`gradproof.latex.check_source` for this example."""
        return {
            "assume": list(self.assume),
            "where": list(self.where),
            "define": list(self.define),
            **self.notation,
        }

    def check(self) -> dict[str, Any]:
        """Read and verify the example (:func:`gradproof.latex.check_source`)."""
        from gradproof.latex.checking import check_source  # noqa: PLC0415  (it imports the engine)

        return check_source(self.latex, **self.options())

    def form(self) -> dict[str, Any]:
        """The example as the checker page's form holds it (and its shared links say it).

        ``roles`` gives the letters of :data:`FORM_ROLES` (every one, defaults included);
        ``notation`` the other keys as one ``key=value, switch`` line; ``assume``, ``where``
        and ``define`` each as one line with ``;`` between entries.
        """
        roles = {role: str(self.notation.get(role, ROLES[role])) for role in FORM_ROLES}
        rest = []
        for key, value in self.notation.items():
            if key in FORM_ROLES:
                continue
            rest.append(key if value is True else f"{key}={value}")
        return {
            "id": self.id,
            "label": self.label,
            "latex": self.latex,
            "roles": roles,
            "notation": ", ".join(rest),
            "assume": "; ".join(self.assume),
            "where": "; ".join(self.where),
            "define": "; ".join(self.define),
        }


def _example(entry: dict[str, Any]) -> Example:
    verdicts = tuple(entry.pop("verdicts", ()))
    error = entry.pop("error", None)
    if bool(verdicts) == (error is not None) or not set(verdicts) <= _VERDICTS:
        msg = f"example {entry.get('id')!r}: give either verdicts (true/false per step) or error"
        raise ValueError(msg)
    lists = {key: tuple(entry.pop(key, ())) for key in ("assume", "where", "define")}
    return Example(**entry, **lists, verdicts=verdicts, error=error)


@cache
def examples() -> tuple[Example, ...]:
    """Every example of ``examples.toml``, in the file's order."""
    data = tomllib.loads((files(__package__) / "examples.toml").read_text(encoding="utf-8"))
    out = tuple(_example(dict(entry)) for entry in data["example"])
    ids = [ex.id for ex in out]
    if len(set(ids)) != len(ids):
        msg = f"examples.toml repeats an id: {sorted({i for i in ids if ids.count(i) > 1})}"
        raise ValueError(msg)
    return out


def example(name: str) -> Example:
    """The example with id `name` (a KeyError names the ids there are)."""
    for ex in examples():
        if ex.id == name:
            return ex
    msg = f"no example {name!r}; the examples are {', '.join(ex.id for ex in examples())}"
    raise KeyError(msg)
