r"""The notation map: which letter of a derivation is which quantity of the engine.

A derivation is read in its author's letters. :class:`Notation` says, for each quantity that
:mod:`gradproof.derive` knows, which letter stands for it; the defaults are the site's letters:

=================  =======  ===============================================================
role               default  read as
=================  =======  ===============================================================
``logits``         ``z``    ``z[a]``: the logits, one per class
``targets``        ``p``    ``p[a]``: the targets (non-negative, any sum)
``softmax``        ``q``    ``q(a)``: the softmax of the logits; ``\tilde q_a`` is ``qv[a]``,
                            the probabilities as free variables
``loss``           ``J``    ``J``: the cross-entropy :math:`-\sum_j p_j \log q_j`
``upstream_loss``  ``L``    ``L``: a loss of the softmax known through its gradient ``g``
``upstream``       ``g``    ``g[a]`` = :math:`\partial L / \partial q_a`
``weighted``       ``s``    ``s(a)`` = :math:`g_a q_a`
``classes``        ``n``    ``n``, the number of classes
``inputs``         ``x``    ``x[d]``: the input of the linear layer :math:`z = W x`
``weights``        ``W``    ``W[a, d]`` (two indices); with one index, ``w_a`` is a row
``input_size``     ``D``    ``D``, the size of the input
=================  =======  ===============================================================

A role may be given a Latin letter (``y``), a Greek macro (``\sigma`` or ``σ``) or a hatted letter
(``\hat y`` or ``ŷ``). A letter that one role is given explicitly is taken away from the role
whose default it was (``logits=x`` leaves the inputs without a letter); two roles given the same
letter are an error.

Indices are the other Latin letters. ``vector_index`` (default ``i``) is the component that a bare
vector (``\vec s``, ``\mathbf y``, or a bare vector letter such as ``x``) stands for, and
``input_index`` (default ``d``) the one over the inputs. Readings that a thread needs but that
would be guesses elsewhere are switched on by name only:

``partial=\theta``
    ``\theta`` written for ``\partial`` (thread 002).
``sum=\Sigma``
    ``\Sigma_d`` (or another macro) written for ``\sum_d`` (threads 003 and 004).
``exp_power``
    ``\exp^{x_i}`` read as :math:`e^{x_i}` (thread 002).
``weight_row=i``
    A weight letter without an index (``\partial / \partial w``) is the row ``w_i`` (thread 003).

Other quantities are declared: ``constants=T \epsilon`` (real numbers, such as a temperature)
and ``vectors=v`` (vectors over the classes, read like the targets).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from typing import Any

__all__ = ["ROLES", "Notation"]

#: The roles, each with its default letter, in the order they are documented.
ROLES: dict[str, str] = {
    "logits": "z",
    "targets": "p",
    "softmax": "q",
    "loss": "J",
    "upstream_loss": "L",
    "upstream": "g",
    "weighted": "s",
    "classes": "n",
    "inputs": "x",
    "weights": "W",
    "input_size": "D",
}

#: Unicode letters a notation option may name, and the LaTeX a text must write for them.
UNICODE_LETTERS = {
    "θ": r"\theta",
    "σ": r"\sigma",
    "α": r"\alpha",
    "β": r"\beta",
    "ŷ": r"\hat y",
    "ẑ": r"\hat z",
    "ŝ": r"\hat s",
    "Σ": r"\Sigma",
    "∂": r"\partial",
}
_ACCENTED = re.compile(r"^\\(hat|widehat)\s*(?:\{\s*([a-zA-Z])\s*\}|\s([a-zA-Z])|([a-zA-Z]))$")
_MACRO = re.compile(r"^\\[a-zA-Z]+$")

# A symbol key: "z" (a Latin letter), "\\sigma" (a macro), ("hat", "y") (an accented letter).
Key = str | tuple[str, str]


def letter_key(spec: str, what: str = "letter") -> Key:
    r"""The key of a letter as the notation map writes it: ``"z"``, ``"\sigma"`` or ``("hat", "y")``.

    >>> letter_key("y"), letter_key("σ"), letter_key(r"\hat{y}"), letter_key("ŷ")
    ('y', '\\sigma', ('hat', 'y'), ('hat', 'y'))
    """
    if not isinstance(spec, str):
        msg = f"{what} must be a string such as 'z' or '\\sigma'; got {type(spec).__name__}"
        raise TypeError(msg)
    text = UNICODE_LETTERS.get(spec.strip(), spec.strip())
    if re.fullmatch(r"[a-zA-Z]", text):
        return text
    accented = _ACCENTED.match(text)
    if accented:
        return ("hat", next(g for g in accented.groups()[1:] if g))
    if _MACRO.match(text):
        return text
    msg = f"{what} must be one letter, a macro such as \\sigma, or \\hat y; got {spec!r}"
    raise ValueError(msg)


# The standard readings that describe() names (f-string expressions take no backslash).
_PARTIAL, _SUM, _EXP_POWER = r"\partial", r"\sum", r"\exp^{u}"


def show_key(key: Key) -> str:
    r"""The LaTeX of a key: ``z``, ``\sigma``, ``\hat{y}``."""
    return key if isinstance(key, str) else rf"\{key[0]}{{{key[1]}}}"


@dataclass(frozen=True)
class Notation:
    r"""Which letter is which quantity; see the module docstring for the roles and options.

    Examples
    --------
    >>> nt = Notation.parse(r"logits=o, targets=y, softmax=p, loss=L")
    >>> nt.role_of("o"), nt.role_of("y"), nt.role_of("L")
    ('logits', 'targets', 'loss')
    >>> Notation.parse("logits=x").role_of("x")  # the inputs lose their default letter
    'logits'
    >>> Notation.parse("softmax=z").role_of("z")  # an explicit letter wins over a default
    'softmax'
    >>> Notation.parse("logits=z, softmax=z")
    Traceback (most recent call last):
    ...
    ValueError: notation gives the letter z to both logits and softmax
    """

    roles: dict[str, Key] = field(default_factory=lambda: dict(ROLES))
    vector_index: str = "i"
    input_index: str = "d"
    partial: tuple[str, ...] = ()
    sum: tuple[str, ...] = ()
    exp_power: bool = False
    weight_row: str | None = None
    constants: tuple[str, ...] = ()
    vectors: tuple[str, ...] = ()

    # ---- construction ---------------------------------------------------------------------

    @classmethod
    def make(cls, **given: Any) -> Notation:
        """A notation from keyword arguments (``logits="x"``, ``exp_power=True``, ...)."""
        given = {k.replace("-", "_"): v for k, v in given.items() if v is not None}
        option_names = {f.name for f in fields(cls)} - {"roles"}
        unknown = sorted(set(given) - set(ROLES) - option_names)
        if unknown:
            known = ", ".join([*ROLES, *sorted(option_names)])
            msg = f"unknown notation keys {unknown}; the keys are {known}"
            raise ValueError(msg)
        explicit = {role: letter_key(given[role], role) for role in ROLES if role in given}
        seen: dict[Key, str] = {}
        for role, key in explicit.items():
            if key in seen:
                msg = f"notation gives the letter {show_key(key)} to both {seen[key]} and {role}"
                raise ValueError(msg)
            seen[key] = role
        roles = dict(explicit)
        for role, default in ROLES.items():
            if role not in roles and default not in seen:
                roles[role] = default
        options: dict[str, Any] = {}
        for name in ("vector_index", "input_index", "weight_row"):
            if name in given:
                value = given[name]
                if not (isinstance(value, str) and re.fullmatch(r"[a-zA-Z]", value)):
                    msg = f"{name} must be one Latin letter such as 'i'; got {value!r}"
                    raise ValueError(msg)
                options[name] = value
        for name in ("partial", "sum", "constants", "vectors"):
            if name in given:
                value = given[name]
                items = value.replace(",", " ").split() if isinstance(value, str) else value
                keys = tuple(str(letter_key(v, name)) for v in items)
                if name in ("partial", "sum") and not all(m.startswith("\\") for m in keys):
                    msg = f"{name} must name macros such as \\theta; got {value!r}"
                    raise ValueError(msg)
                options[name] = keys
        if "exp_power" in given:
            options["exp_power"] = _flag(given["exp_power"], "exp_power")
        _check_readings(roles, options)
        return cls(roles=roles, **options)

    @classmethod
    def parse(cls, text: str) -> Notation:
        r"""A notation from ``"logits=z, targets=p, exp_power"`` (the directive's option).

        Entries are separated by commas or semicolons; a key without ``=`` is a switch. The
        values of ``partial`` and ``sum`` are macros separated by spaces.
        """
        if not isinstance(text, str):
            msg = f"notation must be a string such as 'logits=z, targets=p'; got {text!r}"
            raise TypeError(msg)
        given: dict[str, Any] = {}
        for raw in re.split(r"[,;]", text):
            entry = raw.strip()
            if not entry:
                continue
            key, eq, value = entry.partition("=")
            key = key.strip().replace("-", "_")
            if key in given:
                msg = f"notation names {key} twice"
                raise ValueError(msg)
            given[key] = value.strip() if eq else True
        return cls.make(**given)

    def with_options(self, **changes: Any) -> Notation:
        """A copy with some fields changed (options, or the roles when a definition takes a letter)."""
        return replace(self, **changes)

    # ---- queries --------------------------------------------------------------------------

    def role_of(self, key: Key) -> str | None:
        """The role a letter stands for, or None (weights match either case)."""
        for role, letter in self.roles.items():
            if letter == key or (
                role == "weights" and isinstance(key, str) and key.lower() == str(letter).lower()
            ):
                return role
        return None

    def letter(self, role: str) -> str:
        """The LaTeX of the letter of `role` ('' when the role has none)."""
        key = self.roles.get(role)
        return "" if key is None else show_key(key)

    def describe(self, *, markdown: bool = False) -> str:
        r"""One line: ``logits z, targets p, ...`` and the switched-on options.

        With `markdown`, each letter and formula is ``$...$`` math, for a page's prose.

        >>> nt = Notation.parse(r"softmax=\hat y, partial=\theta")
        >>> nt.describe().split(", ")[-1]
        '\\theta read as \\partial'
        >>> [part for part in nt.describe(markdown=True).split(", ") if "\\" in part]
        ['softmax $\\hat{y}$', '$\\theta$ read as $\\partial$']
        """

        def tex(text: str) -> str:
            return f"${text}$" if markdown else text

        def letters(texts: tuple[str, ...]) -> str:
            return " ".join(tex(t) for t in texts)

        parts = [f"{role} {tex(show_key(key))}" for role, key in self.roles.items()]
        if self.partial:
            parts.append(f"{letters(self.partial)} read as {tex(_PARTIAL)}")
        if self.sum:
            parts.append(f"{letters(self.sum)} read as {tex(_SUM)}")
        if self.exp_power:
            parts.append(f"{tex(_EXP_POWER)} read as {tex('e^{u}')}")
        if self.weight_row:
            parts.append(f"a weight letter without index is the row {tex(self.weight_row)}")
        if self.constants:
            parts.append(f"constants {letters(self.constants)}")
        if self.vectors:
            parts.append(f"vectors {letters(self.vectors)}")
        return ", ".join(parts)


def _check_readings(roles: dict[str, Key], options: dict[str, Any]) -> None:
    r"""Refuse a letter given two readings: ``logits=\theta, partial=\theta`` cannot be read."""
    owner: dict[str, str] = {str(key): role for role, key in roles.items()}
    for name in ("partial", "sum", "constants", "vectors"):
        for key in options.get(name, ()):
            if key in owner:
                msg = (
                    f"notation gives {show_key(key)} to both {owner[key]} and {name}: a "
                    "letter can be read one way only"
                )
                raise ValueError(msg)
            owner[key] = name


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"yes", "true", "on", "1"}:
        return True
    if isinstance(value, str) and value.lower() in {"no", "false", "off", "0"}:
        return False
    msg = f"{name} is a switch: give it alone, or as yes/no; got {value!r}"
    raise ValueError(msg)
