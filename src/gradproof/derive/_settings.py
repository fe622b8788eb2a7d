"""The settings a chain is checked in: every dimension and free-index value, up to renumbering.

For each ``n`` in ``ns`` (and ``D`` in ``Ds`` when the chain uses the input size) every value of
the free indices is a setting; ``where=Ne(i, j)`` skips some. Settings that differ only by a
renumbering of the classes (for free ``i, j``: ``i = j`` and ``i != j``, whatever ``n``) are one
check, made at the class's first setting in sweep order: a permutation of ``1..n`` maps the lines
of one onto the other, and so identities and counterexamples onto each other. This needs lines
that name classes only through index symbols (``renumbering_invariant``); otherwise, or when
``where`` tells a class apart, every setting is checked on its own. A number an assumption
singles out (``p_n``, solved for) is kept apart.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import sympy as sp

from gradproof.derive._concrete import Concrete, Env
from gradproof.derive.notation import _DIMS, D, _expand_names, _index_dim, base_axes, d, n, x

__all__ = [
    "chain_invariant",
    "class_key",
    "pinned_numbers",
    "renumbering_invariant",
    "setting_classes",
    "settings",
    "uses_D",
]

Settings = Iterator[tuple[dict[sp.Symbol, int], list[tuple[Env, bool]]]]


def uses_D(exprs: Sequence[sp.Basic], linear_layer: bool) -> bool:
    """Whether the input size ``D`` matters: a linear layer, or ``D``, ``d`` or ``x`` appears."""
    return linear_layer or any(e.has(D) or e.has(d) or e.has(x) for e in exprs)


def settings(
    ns: Sequence[int],
    Ds: Sequence[int],
    free: Sequence[sp.Symbol],
    where: Sequence[sp.Basic],
) -> Settings:
    """Per dimension setting: every assignment of the free indices, and whether it is kept.

    `Ds` is empty when the chain does not use ``D``.
    """
    for nn, DD in itertools.product(ns, Ds or (None,)):
        dims = {n: nn} if DD is None else {n: nn, D: DD}
        ranges = [range(1, dims.get(_index_dim(f), nn) + 1) for f in free]
        envs = []
        for values in itertools.product(*ranges):
            assign = {f: sp.Integer(v) for f, v in zip(free, values, strict=True)}
            kept = all(bool(w.xreplace(assign)) for w in where)
            envs.append((Env(tuple(dims.items()), tuple(zip(free, values, strict=True))), kept))
        yield dims, envs


def setting_classes(
    sweep: Settings,
    *,
    grouped: bool,
    pinned: Callable[[dict[sp.Symbol, int]], dict[sp.Symbol, set[int]]],
) -> Iterator[tuple[dict[sp.Symbol, int], Env, int]]:
    """The settings to check, each with how many settings its result stands for.

    With ``grouped`` (the lines treat all classes alike, :func:`renumbering_invariant`),
    settings that differ by a renumbering of the classes (and of the inputs) are one check: a
    permutation of 1..n maps the concrete lines of one setting onto those of the other, so an
    identity, a cancellation and a counterexample carry over. The representative is the class's
    first setting in the order of the full sweep, so a counterexample is the one the full sweep
    would report. Class numbers that an assumption singles out (``pinned(dims)``: ``p_n``,
    solved for) stay fixed: only the other numbers are permuted.
    """
    for dims, envs in sweep:
        if not grouped:
            yield from ((dims, env, 1) for env, kept in envs if kept)
            continue
        fixed = pinned(dims)
        classes: dict[tuple[Any, ...], list[tuple[Env, bool]]] = {}
        for env, kept in envs:
            classes.setdefault(class_key(env, fixed), []).append((env, kept))
        if any(len({kept for _, kept in members}) > 1 for members in classes.values()):
            # `where` tells members of a class apart (e.g. Ne(i, 1)): check one by one.
            yield from ((dims, env, 1) for env, kept in envs if kept)
            continue
        for members in classes.values():  # dicts keep first-seen order: the sweep's order
            if members[0][1]:
                yield dims, members[0][0], len(members)


def _is_index(a: sp.Basic) -> bool:
    return isinstance(a, sp.Symbol) and bool(a.is_integer) and a not in _DIMS


def renumbering_invariant(e: sp.Basic) -> bool:
    """Whether ``e`` (names expanded) names classes and inputs only through index symbols.

    True when every index symbol appears only as an index of an entry (``z[i]``, ``W[k, d]``), in
    a Kronecker delta or as a sum's variable, and every sum runs over the full range (1 to n or D):
    then renumbering the classes permutes the concrete leaves and nothing else. A literal such
    as ``z[1]``, ``KroneckerDelta(i, 2)``, ``z[i + 1]``, a sum to ``n - 1`` or an index used as
    a number (``i * p[i]``) makes it False.
    """
    if isinstance(e, sp.Indexed):
        return all(_is_index(a) for a in e.indices)
    if isinstance(e, sp.KroneckerDelta):
        return all(_is_index(a) for a in e.args)
    if isinstance(e, sp.Sum):
        full = all(lo == 1 and hi == _index_dim(idx) for idx, lo, hi in e.limits)
        return full and renumbering_invariant(e.function)
    if isinstance(e, sp.Symbol):  # a constant: never named like an entry (check_symbols)
        return not _is_index(e)
    return all(renumbering_invariant(a) for a in e.args)


def chain_invariant(exprs: Sequence[sp.Basic], assume: Sequence[sp.Eq]) -> bool:
    """Whether no line or assumption singles out a class or input by its number."""
    every = [*exprs, *(a.lhs - a.rhs for a in assume)]
    return all(renumbering_invariant(_expand_names(e)) for e in every)


def pinned_numbers(shared: Concrete) -> dict[sp.Symbol, set[int]]:
    """Numbers per dimension that an assumption's solved-for leaves carry (e.g. n for p_n)."""
    pinned: dict[sp.Symbol, set[int]] = {}
    for leaf in shared.fixes:
        label, idx = shared.conc.leaves[leaf]
        for axis, c in zip(base_axes(label, len(idx)), idx, strict=False):
            pinned.setdefault(axis, set()).add(c)
    return pinned


def class_key(env: Env, pinned: Mapping[sp.Symbol, set[int]]) -> tuple[Any, ...]:
    """The free-index values up to renumbering: pinned numbers kept, others by first use."""
    seen: dict[tuple[sp.Symbol, int], int] = {}
    key: list[Any] = []
    for f, v in env.free:
        dim = _index_dim(f)
        if v in pinned.get(dim, ()):
            key.append(("pinned", v))
        else:
            key.append(seen.setdefault((dim, v), len(seen)))
    return tuple(key)
