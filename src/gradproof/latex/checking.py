r"""Read and verify a derivation in one call; the verdicts as JSON-ready data.

:func:`check_source` is what ``gradproof check --json`` prints and what the browser checker
shows: per step the LaTeX as written, the verdict (``"true"``, ``"false"``), the scope of a ✓
as the engine's report states it, and for a ✗ the counterexample (setting, point, both values);
or, when the text cannot be read, the error with its line and column (and when it cannot be
checked as asked, the engine's reason).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sympy as sp

from gradproof import derive
from gradproof.derive import PROVED_HOW
from gradproof.latex.document import ParsedDerivation, read_align
from gradproof.latex.errors import LatexError
from gradproof.latex.examples import FORM_ROLES
from gradproof.latex.notation import Notation

__all__ = ["check_parsed", "check_request", "check_source", "engine_error", "step_scope"]


def step_scope(
    report: Any, number: int, *, markdown: bool = False, definitions: Sequence[str] = ()
) -> str:
    """What a ✓ on step `number` (1-based) means, from the engine's report.

    "for every n, proved by expansion" (or "with the sums over the other classes kept
    symbolic") when the step was proved for every n; else the sizes it was checked at and how
    (the step's ``scope_text``: exactly, or numerically with digits, points and domain); then
    the free indices, the restrictions, assumptions and the author's `definitions` in force
    (as ``$...$`` math with ``markdown=True``).

    This is the one scope of a block's step: :func:`check_parsed` passes the report with the
    indices in the block's letters (an input index written ``e`` is not called ``d``). It
    differs from the step's ``scope_text`` on purpose: that sentence is the step's alone (no
    index, no assumption, the whole argument of a proof for every n), while a ✓ on a page needs
    the conditions it holds under and only the few words of how, as the report's ``checked``
    says them.
    """
    show = (lambda r: f"${_rel(r)}$") if markdown else _rel
    step = report.steps[number - 1]
    if step.status == "false":
        return "false"
    if step.status == "proved for all n":
        scope = f"for every n, proved {PROVED_HOW[step.proof]}"
    else:
        scope = step.scope_text
    if report.free:
        scope += f"; at every {', '.join(report.free)}"
    extras = []
    if report.where:
        extras.append("with " + ", ".join(show(w) for w in report.where))
    if report.linear_layer:
        extras.append("logits z = W x")
    if report.assume:
        extras.append("assuming " + ", ".join(show(a) for a in report.assume))
    if definitions:
        tex = (lambda t: f"${t}$") if markdown else (lambda t: t)
        extras.append("defining " + ", ".join(tex(t) for t in definitions))
    return "; ".join([scope, *extras])


def _in_block_letters(report: Any, derivation: Any, notation: Notation) -> Any:
    """The engine's `report` with its indices named as the block writes them.

    The reader keeps the block's index letters, save one: the index over the inputs
    (``input_index``) is the engine's ``d``, whatever the block calls it. The free indices,
    the restrictions and the counterexample's setting name it by the block's letter again; a
    block's own ``d`` (a class index, a symbol of its own) keeps its name.
    """
    if notation.input_index == derive.d.name:
        return report
    names = {derive.d: sp.Symbol(notation.input_index, integer=True, positive=True)}
    free = tuple(sorted(names.get(f, f).name for f in derivation.free))
    cx = report.counterexample
    if cx is not None:
        setting = {names.get(k, k): v for k, v in cx["setting"].items()}
        dims = [k for k in setting if k.name in ("n", "D")]
        ordered = dims + sorted((k for k in setting if k not in dims), key=lambda k: k.name)
        cx = cx | {"setting": {k: setting[k] for k in ordered}}
    where = tuple(w.xreplace(names) for w in report.where)
    # summary="": the report writes its summary anew, in these letters
    return dataclasses.replace(report, free=free, where=where, counterexample=cx, summary="")


def _dps() -> int:
    from gradproof.derive import DPS  # noqa: PLC0415

    return DPS


def _rel(rel: Any) -> str:
    from gradproof.derive import latex  # noqa: PLC0415

    op = {"==": "=", "!=": r"\ne"}.get(rel.rel_op, rel.rel_op)
    return f"{latex(rel.lhs)} {op} {latex(rel.rhs)}"


def _counterexample(report: Any) -> dict[str, Any] | None:
    cx = report.counterexample
    if cx is None:
        return None
    return {
        "setting": {str(k): int(v) for k, v in cx["setting"].items()},
        "point": {str(k): _floats(v) for k, v in cx["point"].items()},
        "previous_line": float(report.lhs_value),
        "this_line": float(report.rhs_value),
        # the engine's values as text, to as many digits as show that they differ
        "previous_text": cx.get("previous", ""),
        "this_text": cx.get("this", ""),
        "difference": cx.get("difference", ""),
    }


def _floats(values: Any) -> Any:
    if isinstance(values, list | tuple):
        return [_floats(v) for v in values]
    return float(values)


def describe_counterexample(cx: dict[str, Any]) -> str:
    """``at n = 2, i = 1, z = (0.1, -2.3): previous line = 0.25, this line = 0.5``."""
    setting = ", ".join(f"{k} = {v}" for k, v in cx["setting"].items())
    point = ", ".join(f"{k} = {_tuple(v)}" for k, v in cx["point"].items())
    before = cx.get("previous_text") or f"{cx['previous_line']:.6g}"
    after = cx.get("this_text") or f"{cx['this_line']:.6g}"
    diff = f" (difference {cx['difference']})" if cx.get("difference") else ""
    return f"at {setting}{', ' if point else ''}{point}: previous line = {before}, this line = {after}{diff}"


def _tuple(v: Any) -> str:
    if isinstance(v, list):
        return "(" + ", ".join(_tuple(x) for x in v) + ")"
    return f"{v:.6g}"


def check_parsed(
    parsed: ParsedDerivation, *, markdown: bool = False, **options: Any
) -> dict[str, Any]:
    """Verify a read derivation; the result of :func:`check_source` (without a parse error).

    With ``markdown=True`` the scopes and the summary write relations as ``$...$`` math.
    """
    derivation = parsed.derivation(**options)
    report = _in_block_letters(derivation.verify(), derivation, parsed.notation)
    lines = []
    for line in parsed.steps:
        res = report.steps[line.number - 1]
        entry: dict[str, Any] = {
            "step": line.number,
            "line": line.line,
            "column": line.column,
            "latex": line.latex,
            "reason": line.reason,
            "verdict": "true" if res.ok else "false",
            "status": res.status,
            "label": res.scope,  # the short label by the mark: "every n", "n = 2…5", ...
            "scope": (
                step_scope(report, line.number, markdown=markdown, definitions=parsed.definitions)
                if res.ok
                else ""
            ),
            "counterexample": None,
        }
        if not res.ok:
            cx = _step_counterexample(derivation, report, line.number, parsed.notation)
            entry["counterexample"] = _in_letters(cx, parsed.notation)
        lines.append(entry)
    return {
        "ok": report.ok,
        "verdict": "true" if report.ok else "false",
        "lhs": parsed.lines[0].latex,
        "lines": lines,
        "first_false": report.first_false,
        "summary": report.describe(markdown=markdown),
        "checked": report.checked(markdown=markdown),
        "notation": parsed.notation.describe(),
        "linear_layer": parsed.linear_layer,
        "error": None,
    }


# The engine's name of each quantity a counterexample lists, and the role whose letter shows it.
_ENGINE_NAMES = {
    "z": "logits",
    "p": "targets",
    "g": "upstream",
    "x": "inputs",
    "W": "weights",
    "n": "classes",
    "D": "input_size",
}


def _in_letters(cx: dict[str, Any] | None, notation: Notation) -> dict[str, Any] | None:
    """The counterexample with each quantity named by the block's letter (``\theta``, not z)."""
    if cx is None:
        return None

    def letter(name: str) -> str:
        if name == "q":  # the one base named q: the free probabilities
            softmax = notation.letter("softmax")
            return f"\\tilde{{{softmax}}}" if softmax else name
        role = _ENGINE_NAMES.get(name)
        return (notation.letter(role) or name) if role else name

    # In the setting only the sizes are quantities; the rest are indices, named as written.
    return cx | {
        "setting": {(letter(k) if k in ("n", "D") else k): v for k, v in cx["setting"].items()},
        "point": {letter(k): v for k, v in cx["point"].items()},
    }


def _step_counterexample(
    derivation: Any, report: Any, number: int, notation: Notation
) -> dict[str, Any] | None:
    """The report's counterexample for the first false step; a one-step check for later ones."""
    if number == report.first_false:
        return _counterexample(report)
    single = derivation.replace(
        lhs=derivation.exprs[number - 1], steps=[derivation.steps[number - 1]]
    )
    return _counterexample(_in_block_letters(single.verify(), single, notation))


def check_source(
    text: str,
    *,
    assume: Iterable[str] = (),
    where: Iterable[str] = (),
    define: Iterable[str] = (),
    notation: Notation | str | None = None,
    markdown: bool = False,
    **roles: Any,
) -> dict[str, Any]:
    r"""Read `text` (an align body) and verify every step; JSON-ready verdicts.

    Parameters
    ----------
    text : str
        The derivation, e.g. ``\frac{\partial J}{\partial z_i} &= q_i - p_i``.
    assume, where, define : iterable of str
        As for :func:`gradproof.latex.read_align`.
    notation : Notation or str, optional
        The notation; or give its roles and options as keywords (``logits="x"``).
    markdown : bool
        Write the relations in scopes and the summary as ``$...$`` math (for a page).

    Returns
    -------
    dict
        ``ok`` (bool), ``verdict`` (``"true"``, ``"false"`` or ``"error"``), ``lines`` (per
        step: ``step``, ``line``, ``column``, ``latex``, ``reason``, ``verdict``, ``status``,
        ``label`` (the short scope by the mark), ``scope``, ``counterexample``),
        ``first_false``, ``summary``, ``checked`` (what ran), and ``error`` (None, or
        the parse error's ``type``, ``message``, ``line``, ``column``, ``width``,
        ``suggestion``, ``text``). A text that was read but cannot be checked as asked (an
        index on an axis of another dimension, an assumption that no point satisfies) gives
        verdict ``"error"`` too, with the engine's reason and ``line`` None.

    Examples
    --------
    >>> out = check_source(r"\frac{\partial J}{\partial z_i} &= -p_i + p_i q_i")
    >>> out["verdict"], out["lines"][0]["counterexample"]["setting"]
    ('false', {'n': 2, 'i': 1})
    >>> check_source(r"q_i &= \frac{e^{z_i}}{\sum_k e^{z_k}}")["lines"][0]["scope"]
    'for every n, proved by expansion; at every i'
    >>> check_source(r"q_i &= \foo")["error"]["message"]
    'unknown macro \\foo'
    """
    assume, where = list(assume), list(where)
    parsed = None
    try:
        if isinstance(notation, str):
            nt = Notation.parse(notation)
        else:
            nt = notation if notation is not None else Notation.make(**roles)
        parsed = read_align(text, nt, assume=assume, where=where, define=define)
        return check_parsed(parsed, markdown=markdown)
    except LatexError as exc:
        return {"ok": False, "verdict": "error", "lines": [], "error": exc.to_dict()}
    except (ValueError, TypeError) as exc:
        # The text was read, but the engine cannot check it as asked (an index on the wrong
        # axis, an assumption no point satisfies, a line undefined everywhere): an error with
        # the engine's reason, never an exception out of the checker.
        error = engine_error(exc)
        if parsed is not None:
            _in_block_words(error, parsed, assume, where)
        return {"ok": False, "verdict": "error", "lines": [], "error": error}


def _in_block_words(
    error: dict[str, Any], parsed: ParsedDerivation, assume: list[str], where: list[str]
) -> None:
    """The engine's reason with each assumption and condition as the block wrote it (its
    LaTeX and its number), not sympy's ``Eq(...)``."""
    message = error["message"]
    for kind, exprs, texts in (
        ("assumption", parsed.assume, assume),
        ("condition", parsed.where, where),
    ):
        for number, (expr, text) in enumerate(zip(exprs, texts, strict=False), start=1):
            shown = f"{kind} {number}, {text.strip()},"
            message = message.replace(f"{kind} {expr}", shown).replace(str(expr), shown)
    error["message"] = message
    error["text"] = f"cannot check: {message}"


def engine_error(exc: Exception) -> dict[str, Any]:
    """A ValueError or TypeError of the engine as the ``error`` of :func:`check_source`.

    It has the keys of a reader's error; ``line`` and ``column`` are None, since the reason
    concerns the derivation as a whole rather than one place in the text.

    >>> engine_error(ValueError("no point satisfies the assumptions"))["text"]
    'cannot check: no point satisfies the assumptions'
    """
    message = str(exc)
    return {
        "type": type(exc).__name__,
        "message": message,
        "line": None,
        "column": None,
        "width": 0,
        "source_line": "",
        "suggestion": "",
        "text": f"cannot check: {message}",
    }


#: The fields of a :func:`check_request`: the derivation, four letters, and three ``;`` lists.
REQUEST_FIELDS = ("latex", *FORM_ROLES, "notation", "assume", "where", "define")


def check_request(request: Mapping[str, str]) -> dict[str, Any]:
    r"""Check what the browser checker's form holds; :func:`check_source`'s result.

    `request` maps :data:`REQUEST_FIELDS` to strings, as the form and its shared links hold
    them: ``latex``; the letters of ``logits``, ``targets``, ``softmax`` and ``loss`` (empty for
    the site's letter); ``notation``, the rest of the map as ``key=value`` entries
    (``upstream_loss=F, exp_power``); and ``assume``, ``where`` and ``define``, entries separated
    by ``;``. Options that cannot be read give a result with verdict ``"error"`` whose error
    has ``type`` ``"OptionError"``, the field, and no position in the text. Scopes write their
    relations as ``$...$`` math, which the page typesets.

    Examples
    --------
    >>> out = check_request({"latex": r"\frac{\partial L}{\partial o_i} &= p_i - y_i",
    ...                      "logits": "o", "targets": "y", "softmax": "p", "loss": "L",
    ...                      "notation": "upstream_loss=F", "assume": r"\sum_k y_k = 1"})
    >>> out["verdict"], out["lines"][0]["label"]
    ('true', 'every n')
    >>> check_request({"latex": "q_i &= q_i", "logits": "q", "softmax": "q"})["error"]["message"]
    'notation gives the letter q to both logits and softmax'
    """
    from gradproof.latex.markdown import split_list  # noqa: PLC0415

    unknown = sorted(set(request) - set(REQUEST_FIELDS))
    if unknown:
        return _option_error(
            "request", f"unknown fields {unknown}; the fields are {', '.join(REQUEST_FIELDS)}"
        )
    roles = [f"{r}={request[r].strip()}" for r in FORM_ROLES if request.get(r, "").strip()]
    spec = ", ".join([*roles, request.get("notation", "")])
    try:
        notation = Notation.parse(spec)
    except (TypeError, ValueError) as exc:
        return _option_error("notation", str(exc))
    lists = {key: split_list(request.get(key)) for key in ("assume", "where", "define")}
    return check_source(request.get("latex", ""), notation=notation, markdown=True, **lists)


def _option_error(field: str, message: str) -> dict[str, Any]:
    # An error of the form's options, shaped like the engine's, naming the field.
    error = engine_error(ValueError(message))
    error |= {"type": "OptionError", "field": field, "text": message}
    return {"ok": False, "verdict": "error", "lines": [], "error": error}
