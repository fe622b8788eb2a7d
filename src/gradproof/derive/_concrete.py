r"""Concretising: a generic line becomes, for one setting, an expression in ``z_1, p_2, ...``.

For a concrete dimension (``n = 3``; ``D`` too with a linear layer) and values of the free
indices, ``Concretizer`` expands sums, replaces names such as ``q(i)`` by their definitions,
takes derivatives, and turns every entry ``z[k]`` into a leaf symbol ``z_k``.
``solve_assumptions`` solves an assumption such as ``Eq(Sum(p[k], (k, 1, n)), 1)`` there for
its last entry (``p_n``). ``free_indices`` finds the index symbols a chain leaves free.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import sympy as sp

from gradproof.derive.notation import _BASE_AXES, _DIMS, D, W, _Display, _index_dim, n, x

__all__ = [
    "Concrete",
    "Concretizer",
    "Env",
    "free_indices",
    "index_symbols",
    "leaf_symbol",
    "solve_assumptions",
]


@dataclass(frozen=True)
class Env:
    """One concrete setting: dimension values and free-index values."""

    dims: tuple[tuple[sp.Symbol, int], ...]
    free: tuple[tuple[sp.Symbol, int], ...]


@functools.lru_cache(maxsize=65536)
def index_symbols(e: sp.Basic) -> tuple[sp.Symbol, ...]:
    """Index symbols free in ``e`` (not bound by a sum), derivative variables included, sorted."""
    if isinstance(e, sp.Symbol):
        return (e,) if e.is_integer and e not in _DIMS else ()
    found: set[sp.Symbol] = set()
    if isinstance(e, sp.Sum):
        bound: set[sp.Symbol] = set()
        for idx, lo, hi in e.limits:
            found.update(s_ for s_ in (*index_symbols(lo), *index_symbols(hi)) if s_ not in bound)
            bound.add(idx)
        found.update(s_ for s_ in index_symbols(e.function) if s_ not in bound)
    else:
        for a in e.args:
            found.update(index_symbols(a))
    return tuple(sorted(found, key=lambda s_: s_.name))


def leaf_symbol(base: sp.IndexedBase, idx: tuple[int, ...]) -> sp.Symbol:
    """The concrete entry ``base[idx]`` as a plain symbol: ``z_2``, ``W_1_2`` (positive for q)."""
    name = f"{base.label}_{'_'.join(str(c) for c in idx)}"
    return sp.Symbol(name, positive=True) if base.is_positive else sp.Symbol(name, real=True)


class Concretizer:
    """Turns a generic expression into a plain expression in leaf symbols z_1, p_2, ...

    Index values live in an explicit environment, so a sum's bound index shadows a free index of
    the same name (seed 001 writes ``(sum_i p_i y_i) - y_i``) and derivative variables such as
    ``z[i]`` inside a sum get the right value; sympy's ``subs`` does neither reliably.
    """

    def __init__(self, dims: Mapping[sp.Symbol, int], linear_layer: bool) -> None:
        self.dims = {s_: sp.Integer(v) for s_, v in dims.items()}
        self.linear_layer = linear_layer
        self.leaves: dict[sp.Symbol, tuple[str, tuple[int, ...]]] = {}
        # A subexpression's concrete form depends only on the values of its own free indices, so
        # it is computed once per dimension and reused across steps and index settings (the same
        # sum or derivative recurs in every line of a chain and at every value of i, j, ...).
        self._cache: dict[tuple[sp.Basic, tuple[sp.Integer | None, ...]], sp.Basic] = {}
        self._logits: dict[int, sp.Expr] = {}
        self.bases: dict[str, sp.IndexedBase] = {}

    def __call__(
        self, expr: sp.Expr, free: Mapping[sp.Symbol, int] | None = None, *, logits: bool = True
    ) -> sp.Expr:
        """The concrete expression; with ``logits=False`` the z_k of a linear layer stay symbols."""
        env = dict(self.dims) | {s_: sp.Integer(v) for s_, v in (free or {}).items()}
        out = self._conc(expr, env)
        return self.substitute_logits(out) if logits else out

    def substitute_logits(self, expr: sp.Expr) -> sp.Expr:
        """Replace each z_k by w_k . x (linear layer only)."""
        return expr.xreplace(self._logit_map(expr)) if self.linear_layer else expr

    def _logit_map(self, expr: sp.Expr) -> dict[sp.Symbol, sp.Expr]:
        return {
            leaf: self._logit(self.leaves[leaf][1][0])
            for leaf in expr.free_symbols
            if leaf in self.leaves and self.leaves[leaf][0] == "z"
        }

    def _logit(self, c: int) -> sp.Expr:
        if c not in self._logits:
            n_in = int(self.dims[D])
            self._logits[c] = sp.Add(
                *[self._leaf(W, (c, dd)) * self._leaf(x, (dd,)) for dd in range(1, n_in + 1)]
            )
        return self._logits[c]

    def _leaf(self, base: sp.IndexedBase, idx: tuple[int, ...]) -> sp.Symbol:
        out = leaf_symbol(base, idx)
        self.leaves[out] = (str(base.label), idx)
        self.bases[str(base.label)] = base
        return out

    def relabel(self, expr: sp.Expr, env: Env) -> sp.Expr:
        """``expr`` with classes (and inputs) renumbered so the free indices take values 1, 2, ...

        A bijective renaming of variables, so it maps identities to identities: settings that
        differ only by which classes the free indices pick share one exact check.
        """
        perms: dict[sp.Symbol, dict[int, int]] = {}
        for dim, size in env.dims:
            first: list[int] = []
            for f, v in env.free:
                if _index_dim(f) == dim and v not in first:
                    first.append(v)
            order = first + [c for c in range(1, size + 1) if c not in first]
            perms[dim] = {old: new for new, old in enumerate(order, 1) if old != new}
        if not any(perms.values()):
            return expr
        mapping = {}
        for leaf in expr.free_symbols:
            if leaf not in self.leaves:
                continue
            label, idx = self.leaves[leaf]
            axes = _BASE_AXES.get(label, (n,))
            new = tuple(perms.get(ax, {}).get(c, c) for ax, c in zip(axes, idx, strict=False))
            if new != idx:
                mapping[leaf] = self._leaf(self.bases[label], new)
        return expr.xreplace(mapping)

    def _conc(self, e: sp.Basic, env: dict[sp.Symbol, sp.Integer]) -> sp.Basic:
        if not e.args:
            return self._conc_node(e, env)
        key = (e, tuple(env.get(s_) for s_ in index_symbols(e)))
        out = self._cache.get(key)
        if out is None:
            out = self._conc_node(e, env)
            self._cache[key] = out
        return out

    def _conc_node(self, e: sp.Basic, env: dict[sp.Symbol, sp.Integer]) -> sp.Basic:
        if isinstance(e, sp.Sum):
            return self._sum(e, env)
        if isinstance(e, _Display):
            return self._conc(e.definition(), env)
        if isinstance(e, sp.Derivative):
            return self._derivative(e, env)
        if isinstance(e, sp.Indexed):
            return self._indexed(e, env)
        if isinstance(e, sp.Symbol) and e.is_integer:
            if e not in env:
                msg = f"index {e} has no value: give it a range with Sum(..., ({e}, 1, n))"
                raise ValueError(msg)
            return env[e]
        if not e.args:
            return e
        if isinstance(e, sp.Lambda | sp.Product | sp.Integral):
            msg = f"{type(e).__name__} is not supported in a derivation; use Sum and Derivative"
            raise TypeError(msg)
        return e.func(*[self._conc(a, env) for a in e.args])

    def _sum(self, e: sp.Sum, env: dict[sp.Symbol, sp.Integer]) -> sp.Expr:
        (idx, lo, hi), rest = e.limits[0], e.limits[1:]
        lo_c, hi_c = self._conc(lo, env), self._conc(hi, env)
        if not (lo_c.is_Integer and hi_c.is_Integer):
            msg = f"sum limits {lo}..{hi} for {idx} are not concrete; use n, D or numbers"
            raise ValueError(msg)
        inner = sp.Sum(e.function, *rest) if rest else e.function
        return sp.Add(
            *[
                self._conc(inner, env | {idx: sp.Integer(c)})
                for c in range(int(lo_c), int(hi_c) + 1)
            ]
        )

    def _indexed(self, e: sp.Indexed, env: dict[sp.Symbol, sp.Integer]) -> sp.Symbol:
        idx = []
        for a in e.indices:
            c = self._conc(a, env)
            if not c.is_Integer:
                msg = f"index {a} of {e} is not an integer once indices have values"
                raise ValueError(msg)
            idx.append(int(c))
        self._check_range(e, idx)
        return self._leaf(e.base, tuple(idx))

    def _check_range(self, e: sp.Indexed, idx: list[int]) -> None:
        axes = _BASE_AXES.get(str(e.base.label), (n,))
        for c, h in zip(idx, (self.dims.get(ax) for ax in axes), strict=False):
            if h is not None and not 1 <= c <= int(h):
                msg = f"{e} is outside 1..{h}"
                raise ValueError(msg)

    def _derivative(self, e: sp.Derivative, env: dict[sp.Symbol, sp.Integer]) -> sp.Expr:
        out = self._conc(e.expr, env)
        for var, count in e.variable_count:
            leaf = self._conc(var, env)
            if not isinstance(leaf, sp.Symbol):
                msg = f"can only differentiate with respect to an entry like z[i]; got {var}"
                raise TypeError(msg)
            for _ in range(int(count)):
                out = self._diff(out, leaf)
        return out

    def _diff(self, expr: sp.Expr, leaf: sp.Symbol) -> sp.Expr:
        direct = sp.diff(expr, leaf)
        if not self.linear_layer or self.leaves[leaf][0] not in ("W", "x"):
            return direct
        # z_c stays a symbol until the end, so derivatives in W or x go through the chain rule;
        # only the logits that contain the leaf contribute (W[c, d] sits in z_c alone).
        base, idx = self.leaves[leaf]
        zs = [s_ for s_ in expr.free_symbols if s_ in self.leaves and self.leaves[s_][0] == "z"]
        if base == "W":
            zs = [zc for zc in zs if self.leaves[zc][1][0] == idx[0]]
        return direct + sp.Add(
            *[sp.diff(expr, zc) * sp.diff(self._logit(self.leaves[zc][1][0]), leaf) for zc in zs]
        )


def free_indices(exprs: Iterable[sp.Basic]) -> tuple[sp.Symbol, ...]:
    """Integer symbols not bound by a sum, including those in derivative variables like z[j]."""
    found = set().union(*(index_symbols(e) for e in exprs))
    return tuple(sorted(found, key=lambda s_: s_.name))


@dataclass
class Concrete:
    """One dimension setting's concretiser (with its cache) and its solved assumptions."""

    conc: Concretizer
    fixes: dict[sp.Symbol, sp.Expr]


def solve_assumptions(
    conc: Concretizer, assume: Sequence[sp.Eq], dims: Mapping[sp.Symbol, int]
) -> dict[sp.Symbol, sp.Expr]:
    """Solve each assumption for its last entry (``p_n``); return {entry: its value}."""
    fixes: dict[sp.Symbol, sp.Expr] = {}
    for eq in assume:
        rel = conc(eq.lhs - eq.rhs).xreplace(fixes)
        leaves = sorted(
            (s_ for s_ in rel.free_symbols if s_ in conc.leaves),
            key=lambda s_: conc.leaves[s_][1],
        )
        solved = None
        for leaf in reversed(leaves):
            sol = sp.solve(rel, leaf, dict=True)
            if len(sol) == 1:
                solved = (leaf, sol[0][leaf])
                break
        if solved is None:
            msg = f"cannot use assumption {eq} at {dims}: it is not solvable for one entry"
            raise ValueError(msg)
        fixes = {a: b.xreplace({solved[0]: solved[1]}) for a, b in fixes.items()}
        fixes[solved[0]] = solved[1]
    return fixes
