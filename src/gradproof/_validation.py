"""Input validation shared by every public function of gradproof.

The contract, stated once so each public function can point here:

* Arrays may be given as anything :func:`numpy.asarray` accepts (lists, tuples, arrays).
* Integer and floating input is computed in float64; float32 is *upcast*, not rejected, because
  the closed forms are cheap and float64 is what the checkers' tolerances assume.
* Complex input is accepted for logits (and computed in complex128) so that the complex-step
  checker in :mod:`gradproof.check` can differentiate the library's own functions. Targets and
  other data that are never differentiated must be real.
* Logits may be ``-inf``: the usual way to leave a class out (probability exactly 0). A row whose
  logits are all ``-inf``, and a positive target on a ``-inf`` logit, are errors.
* Booleans, strings, objects, ``None`` and masked arrays (whose mask :func:`numpy.asarray` would
  drop without a word) raise :class:`TypeError`; empty arrays, NaN, ``+inf`` (and ``-inf``
  outside logits), wrong ranks, mismatched shapes and negative targets raise
  :class:`ValueError`. Every message names the argument and says what was expected.

NumPy is imported inside the functions that use it: :mod:`gradproof.derive` validates its
arguments here and must verify without NumPy (in the browser, under Pyodide).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "as_array",
    "as_callable",
    "as_choice",
    "as_derivative",
    "as_direction",
    "as_flag",
    "as_int",
    "as_point_values",
    "as_positive_ints",
    "as_scalar",
    "as_step",
    "as_steps",
    "as_sympy_tuple",
    "as_targets",
    "as_tolerance",
    "check_axis",
    "is_int",
    "require_index",
    "require_sympy",
]


def _describe(x: object) -> str:
    dtype = getattr(x, "dtype", None)
    if dtype is not None and hasattr(x, "shape"):
        return f"array of dtype {dtype}"
    return type(x).__name__


def as_array(
    x: object,
    name: str,
    *,
    ndim: Sequence[int] | None = None,
    allow_complex: bool = True,
    allow_neginf: bool = False,
) -> np.ndarray:
    """Return `x` as a finite, non-empty float64 (or complex128) array.

    Parameters
    ----------
    x : array_like
        The value to check.
    name : str
        The argument's name, used in error messages.
    ndim : sequence of int, optional
        Allowed numbers of dimensions; ``None`` allows any number from 1 up.
    allow_complex : bool
        Whether complex input is accepted (it is for logits, not for targets).
    allow_neginf : bool
        Whether ``-inf`` is accepted (for logits: a class masked out, probability 0). For
        complex input this applies to the real part; the imaginary part must stay finite.

    Returns
    -------
    numpy.ndarray
        A float64 array, or complex128 when the input was complex.

    Raises
    ------
    TypeError
        If `x` is not numeric (strings, booleans, objects, ``None``), is complex when
        `allow_complex` is false, or is a masked array (its mask would be silently ignored).
    ValueError
        If `x` is empty, has a disallowed rank, or contains NaN or infinity (``-inf`` is
        allowed with `allow_neginf`).

    Examples
    --------
    >>> as_array([1, 2, 3], "z")
    array([1., 2., 3.])
    >>> as_array([1.0, float("nan")], "z")
    Traceback (most recent call last):
    ...
    ValueError: z must be finite: found NaN or infinity at index (1,)
    """
    import numpy as np  # noqa: PLC0415  (see the module docstring)

    if x is None or isinstance(x, str | bytes):
        msg = f"{name} must be a numeric array, got {_describe(x)}"
        raise TypeError(msg)
    if isinstance(x, np.ma.MaskedArray):
        # np.asarray drops the mask without a word, and the masked entries would count.
        msg = (
            f"{name} must not be a masked array: its mask would be ignored. Fill it first "
            "(numpy.ma.filled); to leave classes out of a softmax, give their logits as -inf"
        )
        raise TypeError(msg)
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:  # ragged nested lists end up here
        msg = f"{name} must be a numeric array of uniform shape ({exc})"
        raise ValueError(msg) from None
    kind = arr.dtype.kind
    if kind == "c" and not allow_complex:
        msg = f"{name} must be real, got {_describe(arr)}"
        raise TypeError(msg)
    if kind not in "iufc":
        msg = f"{name} must be a numeric array, got {_describe(arr)}"
        raise TypeError(msg)
    arr = arr.astype(np.complex128 if kind == "c" else np.float64, copy=False)
    allowed = tuple(ndim) if ndim is not None else None
    if arr.ndim == 0 or (allowed is not None and arr.ndim not in allowed):
        want = " or ".join(f"{d}-D" for d in allowed) if allowed else "at least 1-D"
        msg = f"{name} must be {want}, got shape {arr.shape}"
        raise ValueError(msg)
    if arr.size == 0:
        msg = f"{name} must not be empty, got shape {arr.shape}"
        raise ValueError(msg)
    finite = np.isfinite(arr)
    if allow_neginf:
        finite |= (arr.real == -np.inf) & np.isfinite(arr.imag)
    if not finite.all():
        bad = tuple(int(v) for v in np.argwhere(~finite)[0])
        what = "NaN or +inf" if allow_neginf else "NaN or infinity"
        msg = f"{name} must be finite{' or -inf' if allow_neginf else ''}: found {what} at index {bad}"
        raise ValueError(msg)
    return arr


def as_targets(p: object, like: np.ndarray, name: str = "p") -> np.ndarray:
    """Return targets `p` as a real float64 array shaped like the logits `like`.

    Targets need not sum to one (the general case of the gradient carries the factor
    ``sum(p)``), but they must be nonnegative: a cross-entropy weight below zero is not a
    probability mass and usually signals swapped arguments. Where a logit is ``-inf`` (a class
    masked out) the target must be 0.

    Examples
    --------
    >>> import numpy as np
    >>> as_targets([0.5, 0.5], np.zeros(2))
    array([0.5, 0.5])
    >>> as_targets([1.0, -0.5], np.zeros(2))
    Traceback (most recent call last):
    ...
    ValueError: p must be nonnegative: found -0.5 at index (1,)
    """
    import numpy as np  # noqa: PLC0415  (see the module docstring)

    arr = as_array(p, name, allow_complex=False)
    if arr.shape != like.shape:
        msg = f"{name} must have the same shape as the logits {like.shape}, got {arr.shape}"
        raise ValueError(msg)
    negative = arr < 0
    if negative.any():
        bad = tuple(int(v) for v in np.argwhere(negative)[0])
        msg = f"{name} must be nonnegative: found {arr[bad]} at index {bad}"
        raise ValueError(msg)
    masked = (arr > 0) & (like.real == -np.inf)
    if masked.any():
        bad = tuple(int(v) for v in np.argwhere(masked)[0])
        msg = (
            f"{name} must be 0 where the logit is -inf (a masked class has probability 0, so a "
            f"positive target there makes the loss infinite): found {arr[bad]} at index {bad}"
        )
        raise ValueError(msg)
    return arr


def check_axis(axis: object, ndim: int, name: str = "axis") -> int:
    """Return `axis` as a nonnegative int valid for an array of `ndim` dimensions.

    Examples
    --------
    >>> check_axis(-1, 2)
    1
    >>> check_axis(2, 2)
    Traceback (most recent call last):
    ...
    ValueError: axis must be an integer in [-2, 1], got 2
    """
    import numpy as np  # noqa: PLC0415  (see the module docstring)

    if isinstance(axis, bool) or not isinstance(axis, int | np.integer):
        msg = f"{name} must be an integer, got {type(axis).__name__}"
        raise TypeError(msg)
    if not -ndim <= axis < ndim:
        msg = f"{name} must be an integer in [{-ndim}, {ndim - 1}], got {axis}"
        raise ValueError(msg)
    return int(axis) % ndim


def as_int(value: object, name: str, *, minimum: int) -> int:
    """Return `value` as an int of at least `minimum` (0 for seeds, 1 for sizes and counts).

    Booleans are refused although Python counts them as ints: ``True`` as a seed or a dimension
    is a slip, not a 1.

    Examples
    --------
    >>> as_int(3, "n", minimum=1)
    3
    >>> as_int(-1, "seed", minimum=0)
    Traceback (most recent call last):
    ...
    ValueError: seed must be a nonnegative integer, got -1
    """
    kind = {0: "nonnegative", 1: "positive"}.get(minimum, f"(>= {minimum})")
    if not is_int(value):
        msg = f"{name} must be a {kind} integer, got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    if value < minimum:
        msg = f"{name} must be a {kind} integer, got {value}"
        raise ValueError(msg)
    return int(value)


# ---- sympy arguments of gradproof.derive --------------------------------------------------
# sympy is imported inside these functions: this module also serves the NumPy-only modules,
# which must not pay for importing sympy.


def is_int(value: object) -> bool:
    """Whether `value` is a Python or NumPy integer; booleans are not (``True`` is a slip).

    >>> import numpy as np
    >>> is_int(3), is_int(np.int64(3)), is_int(True), is_int(np.bool_(True)), is_int(3.0)
    (True, True, False, False, False)
    """
    # NumPy's integer types register as numbers.Integral; numpy.bool_ does not.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def as_positive_ints(values: object, name: str) -> tuple[int, ...]:
    """Return `values` as a non-empty tuple of positive ints (the sizes a derivation checks).

    Examples
    --------
    >>> import numpy as np
    >>> as_positive_ints([2, np.int64(3)], "ns")
    (2, 3)
    >>> as_positive_ints((0, 2), "ns")
    Traceback (most recent call last):
    ...
    ValueError: ns must be a non-empty sequence of positive ints; got (0, 2)
    """
    if not isinstance(values, Iterable):
        msg = f"{name} must be a non-empty sequence of positive ints such as (2, 3); got {values!r}"
        raise TypeError(msg)
    out = tuple(values)
    if not out or not all(is_int(v) and v >= 1 for v in out):
        msg = f"{name} must be a non-empty sequence of positive ints; got {values!r}"
        raise ValueError(msg)
    return tuple(int(v) for v in out)


def require_index(idx: object, name: str) -> None:
    """Raise TypeError unless `idx` is an integer sympy Symbol (an index such as ``i``).

    >>> import sympy as sp
    >>> require_index(sp.Symbol("i", integer=True), "idx")
    >>> require_index(2, "idx")
    Traceback (most recent call last):
    ...
    TypeError: idx must be an integer sympy Symbol such as i, j, k; got 2
    """
    import sympy as sp  # noqa: PLC0415  (see the section comment)

    if not (isinstance(idx, sp.Symbol) and idx.is_integer):
        msg = f"{name} must be an integer sympy Symbol such as i, j, k; got {idx!r}"
        raise TypeError(msg)


def require_sympy(value: object, name: str, example: str = "") -> None:
    """Raise TypeError unless `value` is a sympy expression; `example` follows "expression".

    >>> require_sympy("q_i", "expr", " such as q(i) - p[i]")
    Traceback (most recent call last):
    ...
    TypeError: expr must be a sympy expression such as q(i) - p[i]; got str
    """
    import sympy as sp  # noqa: PLC0415  (see the section comment)

    if not isinstance(value, sp.Basic):
        msg = f"{name} must be a sympy expression{example}; got {type(value).__name__}"
        raise TypeError(msg)


def as_sympy_tuple(value: object, kind: type, name: str, expected: str) -> tuple[Any, ...]:
    """Return one sympy object or a sequence of them as a tuple, each an instance of `kind`.

    >>> import sympy as sp
    >>> i, j = sp.symbols("i j", integer=True)
    >>> as_sympy_tuple(sp.Ne(i, j), sp.Rel, "where", "sympy relations")
    (Ne(i, j),)
    >>> as_sympy_tuple("i != j", sp.Rel, "where", "sympy relations, e.g. Ne(i, j)")
    Traceback (most recent call last):
    ...
    TypeError: where must be sympy relations, e.g. Ne(i, j); got the string 'i != j'
    """
    import sympy as sp  # noqa: PLC0415  (see the section comment)

    if isinstance(value, str | bytes):  # iterating it would blame its first character
        msg = f"{name} must be {expected}; got the string {value!r}"
        raise TypeError(msg)
    if not isinstance(value, sp.Basic | Iterable):
        msg = f"{name} must be {expected}; got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    items = [value] if isinstance(value, sp.Basic) else list(value)
    for item in items:
        if not isinstance(item, kind):
            msg = f"{name} must be {expected}; got {item!r}"
            raise TypeError(msg)
    return tuple(items)


def as_point_values(values: object) -> dict[Any, np.ndarray]:
    """Return `values` ({IndexedBase: array}) with each array as finite real float64.

    >>> import sympy as sp
    >>> z = sp.IndexedBase("z")
    >>> as_point_values({z: [1, 2, 3]})
    {z: array([1., 2., 3.])}
    >>> as_point_values({z: [1.0, float("inf")]})
    Traceback (most recent call last):
    ...
    ValueError: values[z] must be finite
    """
    import numpy as np  # noqa: PLC0415  (see the module docstring)
    import sympy as sp  # noqa: PLC0415  (see the section comment)

    if not isinstance(values, Mapping):
        msg = "values must be a mapping such as {z: (1, 2, 3), p: (0.2, 0.3, 0.5)}"
        raise TypeError(msg)
    out = {}
    for base, arr in values.items():
        if not isinstance(base, sp.IndexedBase):
            msg = f"values keys must be IndexedBase objects such as z, p; got {base!r}"
            raise TypeError(msg)
        a = np.asarray(arr)
        if a.dtype.kind not in "iuf":
            what = "real" if a.dtype.kind == "c" else "numeric"
            msg = f"values[{base}] must be {what} numbers; got dtype {a.dtype}"
            raise TypeError(msg)
        a = a.astype(float)
        if not np.all(np.isfinite(a)):
            msg = f"values[{base}] must be finite"
            raise ValueError(msg)
        out[base] = a
    return out


# --------------------------------------------------------------------------- checker arguments


def as_callable(obj: object, name: str) -> None:
    """Refuse anything that cannot be called (the function or derivative a checker takes).

    Examples
    --------
    >>> as_callable(len, "f")
    >>> as_callable(3.0, "grad")
    Traceback (most recent call last):
    ...
    TypeError: grad must be callable, got float
    """
    if not callable(obj):
        msg = f"{name} must be callable, got {type(obj).__name__}"
        raise TypeError(msg)


def as_tolerance(value: object, name: str, *, positive: bool = False) -> float:
    """Return a finite real number >= 0 (> 0 with `positive`) as a float: a tolerance or a step.

    Python integers too large for a float (``10**400``) are refused by name rather than left to
    raise a bare ``OverflowError``.

    Examples
    --------
    >>> as_tolerance(1e-8, "rtol")
    1e-08
    >>> as_tolerance(10**400, "rtol")
    Traceback (most recent call last):
    ...
    ValueError: rtol must be a finite real number >= 0, got an integer of 401 digits
    """
    import numpy as np  # noqa: PLC0415  (see the module docstring)

    if isinstance(value, bool | np.bool_) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        msg = f"{name} must be a real number, got {type(value).__name__}"
        raise TypeError(msg)
    bound = "> 0" if positive else ">= 0"
    try:
        number = float(value)
    except OverflowError:
        digits = len(str(abs(value)))
        msg = f"{name} must be a finite real number {bound}, got an integer of {digits} digits"
        raise ValueError(msg) from None
    if not np.isfinite(number) or number < 0:
        msg = f"{name} must be a finite real number {bound}, got {value}"
        raise ValueError(msg)
    if positive and number == 0:
        msg = f"{name} must be > 0, got 0"
        raise ValueError(msg)
    return number


def as_flag(value: object, name: str) -> bool:
    """Return `value` if it is a bool (NumPy's included); anything else is a slip.

    A string such as ``"no"`` is truthy, so accepting it would do the opposite of what was meant.

    Examples
    --------
    >>> as_flag(False, "raise_on_fail")
    False
    >>> as_flag("no", "raise_on_fail")
    Traceback (most recent call last):
    ...
    TypeError: raise_on_fail must be True or False, got str 'no'
    """
    import numpy as np  # noqa: PLC0415  (see the module docstring)

    if not isinstance(value, bool | np.bool_):
        msg = f"{name} must be True or False, got {type(value).__name__} {value!r}"
        raise TypeError(msg)
    return bool(value)


def as_choice(value: object, name: str, choices: Sequence[str]) -> str:
    """Return `value` if it is one of `choices` (a method name, say).

    Examples
    --------
    >>> as_choice("central", "method", ("auto", "central"))
    'central'
    >>> as_choice("secant", "method", ("auto", "central"))
    Traceback (most recent call last):
    ...
    ValueError: method must be one of 'auto', 'central'; got 'secant'
    """
    if not isinstance(value, str) or value not in choices:
        msg = f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}"
        raise ValueError(msg)
    return value


def as_step(step: object, method: str) -> float | None:
    """A checker's `step`: ``None``, or a finite number > 0 for a method that takes one.

    Examples
    --------
    >>> as_step(1e-3, "central")
    0.001
    >>> as_step(1e-3, "auto")
    Traceback (most recent call last):
    ...
    ValueError: step cannot be combined with method='auto' (which step?); choose a method
    """
    if step is None:
        return None
    if method == "auto":
        msg = "step cannot be combined with method='auto' (which step?); choose a method"
        raise ValueError(msg)
    return as_tolerance(step, "step", positive=True)


def as_direction(v: np.ndarray, name: str, shape: tuple[int, ...], against: str) -> np.ndarray:
    """`v` (already an array) if it has `shape` and is not zero; `against` names that shape.

    Along the zero vector every derivative is 0, so a check there would pass anything.

    Examples
    --------
    >>> import numpy as np
    >>> as_direction(np.zeros(2), "direction", (2,), "x")
    Traceback (most recent call last):
    ...
    ValueError: direction must be nonzero: along the zero vector every derivative is 0
    """
    if v.shape != shape:
        msg = f"{name} must have the shape of {against} {shape}, got {v.shape}"
        raise ValueError(msg)
    if not v.any():
        msg = f"{name} must be nonzero: along the zero vector every derivative is 0"
        raise ValueError(msg)
    return v


def as_scalar(value: np.ndarray, what: str) -> np.ndarray:
    """`value` if it has shape ``()``: `what` names the function and the check that needs it.

    Examples
    --------
    >>> import numpy as np
    >>> as_scalar(np.zeros(3), "f for check_gradient")
    Traceback (most recent call last):
    ...
    ValueError: f must return a scalar for check_gradient, got shape (3,)
    """
    if value.shape != ():
        name, _, context = what.partition(" ")
        msg = f"{name} must return a scalar {context}, got shape {value.shape}"
        raise ValueError(msg)
    return value


def as_steps(steps: object) -> np.ndarray:
    """The steps of a step sweep: a 1-D array of finite numbers, all > 0.

    Examples
    --------
    >>> as_steps([1e-3, 0.0])
    Traceback (most recent call last):
    ...
    ValueError: steps must all be > 0, got 0.0 at index (1,)
    """
    import numpy as np  # noqa: PLC0415  (see the module docstring)

    grid = as_array(steps, "steps", ndim=(1,), allow_complex=False)
    bad = grid <= 0
    if bad.any():
        k = int(np.argmax(bad))
        msg = f"steps must all be > 0, got {grid[k]} at index ({k},)"
        raise ValueError(msg)
    return grid


def as_derivative(value: object, name: str, shape: tuple[int, ...]) -> tuple[np.ndarray, float]:
    """What a derivative function returned, as float64 of the expected `shape`, and the machine
    epsilon of the precision it came in (float32 is compared at single precision).

    Examples
    --------
    >>> import numpy as np
    >>> as_derivative(np.zeros(4), "grad", (3,))
    Traceback (most recent call last):
    ...
    ValueError: grad returned shape (4,), expected (3,)
    """
    import numpy as np  # noqa: PLC0415  (see the module docstring)

    out = np.asarray(value)
    if out.dtype.kind not in "iuf":
        msg = f"{name} must return a real numeric array, got dtype {out.dtype}"
        raise TypeError(msg)
    if out.shape != shape:
        msg = f"{name} returned shape {out.shape}, expected {shape}"
        raise ValueError(msg)
    eps = float(np.finfo(out.dtype).eps) if out.dtype.kind == "f" else float(np.finfo(float).eps)
    return out.astype(np.float64, copy=False), eps
