"""Argument checks shared by the public functions.

Every message has one shape: ``"<function>: <argument> must be <allowed>, got <given>"``,
so a reader sees at once which call, which argument, what was passed and what would work.
Public functions validate at their boundary and then trust their data.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np


def describe(value: object) -> str:
    """Return a short description of *value* for an error message."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def check_int(func: str, name: str, value: object, *, minimum: int | None = None) -> int:
    """Return *value* as an ``int`` or raise a ``TypeError``/``ValueError`` naming it."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{func}: {name} must be an int, got {describe(value)}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{func}: {name} must be an int >= {minimum}, got {value}")
    return value


def check_number(
    func: str,
    name: str,
    value: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict_minimum: bool = False,
) -> float:
    """Return *value* as a finite ``float`` within the bounds, or raise naming it.

    ``TypeError`` for anything that is not a real number (strings and booleans included),
    ``ValueError`` for NaN, infinities and values out of range.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{func}: {name} must be a number, got {describe(value)}")
    number = float(value)
    low = "" if minimum is None else (f" > {minimum:g}" if strict_minimum else f" >= {minimum:g}")
    high = "" if maximum is None else f" <= {maximum:g}"
    wanted = f"a finite number{low}{' and' if low and high else ''}{high}"
    if not np.isfinite(number):
        raise ValueError(f"{func}: {name} must be {wanted}, got {value!r}")
    if minimum is not None and (number <= minimum if strict_minimum else number < minimum):
        raise ValueError(f"{func}: {name} must be {wanted}, got {value!r}")
    if maximum is not None and number > maximum:
        raise ValueError(f"{func}: {name} must be {wanted}, got {value!r}")
    return number


def check_pair(func: str, name: str, value: object, *, minimum: int = 1) -> tuple[int, int]:
    """Return an int or a pair of ints as ``(rows, cols)``, each at least *minimum*."""
    if isinstance(value, (tuple, list)) and not isinstance(value, str):
        if len(value) != 2:
            raise ValueError(
                f"{func}: {name} must be an int or a pair of ints, got {describe(value)}"
            )
        first = check_int(func, name, value[0], minimum=minimum)
        second = check_int(func, name, value[1], minimum=minimum)
        return first, second
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{func}: {name} must be an int or a pair of ints, got {describe(value)}")
    single = check_int(func, name, value, minimum=minimum)
    return single, single


def check_choice(func: str, name: str, value: object, choices: Sequence[str]) -> str:
    """Return *value* if it is one of *choices*, else raise a ``ValueError`` listing them."""
    if not isinstance(value, str) or value not in choices:
        allowed = " or ".join(repr(c) for c in choices)
        raise ValueError(f"{func}: {name} must be {allowed}, got {describe(value)}")
    return value


def check_index(func: str, name: str, value: object, size: int, what: str) -> int:
    """Return *value* as a non-negative index into *size* items, or raise ``IndexError``."""
    index = check_int(func, name, value)
    if not -size <= index < size:
        raise IndexError(
            f"{func}: {name}={index} is out of range for {size} {what}; "
            f"allowed {-size}..{size - 1}"
        )
    return index % size


def as_2d(func: str, name: str, value: object, requirement: str) -> np.ndarray:
    """Return *value* as a real 2-D array, dropping a trailing axis of length 1.

    *requirement* completes the message ``"<func>: <name> must be <requirement>, got ..."``.
    """
    array = as_real_array(func, name, value)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim != 2:
        raise ValueError(f"{func}: {name} must be {requirement}, got {describe(array)}")
    return array


GRAYSCALE_IMAGE = "one grayscale image, (h, w) or (h, w, 1)"
ONE_KERNEL = "2-D (kh, kw); pick one input channel with interp.kernel(source, index, channel=c)"


def as_real_array(func: str, name: str, value: object) -> np.ndarray:
    """Return *value* as a non-empty, finite, real-valued numpy array.

    Integer and boolean arrays are converted to float32; floating arrays keep their dtype.
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:  # ragged nested lists and the like
        raise TypeError(f"{func}: {name} must be array-like, got {describe(value)}") from err
    if array.dtype.kind in "biu":
        array = array.astype(np.float32)
    elif array.dtype.kind != "f":
        raise TypeError(
            f"{func}: {name} must hold real numbers (integer or floating dtype), "
            f"got {describe(array)}"
        )
    if array.size == 0:
        raise ValueError(f"{func}: {name} must not be empty, got {describe(array)}")
    if not np.isfinite(array).all():
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(
            f"{func}: {name} must be finite, got {describe(array)} with {bad} NaN or inf values"
        )
    return array
