"""Per-unit histograms on a fixed grid of float32 values: quantiles that merge exactly.

A float32 value's bits, read as an integer in the order of the values (negative values'
bits flipped), are cut after the sign, the 8 exponent bits and the first
:data:`MANTISSA_BITS` bits of the mantissa: every power of two is split into
``2 ** MANTISSA_BITS`` bins of equal width. The grid is the same for every run, so two
histograms merge by adding their counts: exactly, in any order. That is what makes a
dissection split over devices, processes or a resumed run equal to one made in one go.
Values closer to 0 than :data:`TINY` share one bin, read as 0.

A layer's histogram stores the bins between the lowest and the highest value seen
(``counts[unit, bin - low]``, widened as values arrive), not the whole grid: for a ReLU
layer whose values reach 64, 3,842 bins per unit (30 KiB).

Bounds of :meth:`Histogram.quantiles`: each order statistic is estimated inside the bin
that holds it, so the estimate of numpy.quantile's value (the linear interpolation
between the order statistics ``x[i]`` and ``x[i + 1]`` around ``q * (n - 1)``) is off by
at most ``2 ** -MANTISSA_BITS`` of the larger of ``|x[i]|`` and ``|x[i + 1]|`` (0.78%),
plus :data:`TINY` near 0. Its rank error, the share of values lying between the estimate
and the exact quantile, is at most the share of values in the one or two bins that hold
``x[i]`` and ``x[i + 1]``; :meth:`Histogram.quantiles` returns it for each unit.
"""

from __future__ import annotations

import numpy as np

#: Mantissa bits kept: each power of two is cut into 2 ** MANTISSA_BITS bins.
MANTISSA_BITS = 7
_SHIFT = 23 - MANTISSA_BITS
#: Values with ``|v| < TINY`` fall in one bin, read as 0.
TINY = 2.0 ** -24
_TINY_EXPONENT = 127 - 24
#: The raw bins (ordered keys >> _SHIFT) of the values in (-TINY, TINY): [_LOW, _HIGH).
_HALF = 1 << (31 - _SHIFT)
_LOW = _HALF - (_TINY_EXPONENT << MANTISSA_BITS)
_HIGH = _HALF + (_TINY_EXPONENT << MANTISSA_BITS)
#: The folded bin index of the values near 0, and the number of folded bins.
ZERO = _LOW
N_BINS = _LOW + 1 + ((1 << (32 - _SHIFT)) - _HIGH)
_SIGN = np.int32(-(2 ** 31))


def raw_bins(values: np.ndarray) -> np.ndarray:
    """Return the raw bin of each float32 value (``uint32`` in ``0 .. 2 ** 16 - 1``).

    The bits of a float32, as an int32, flipped for negative values and with the sign
    bit set for the others, count up in the order of the values; the bin is their top
    ``9 + MANTISSA_BITS`` bits. *values* must be a float32 array; it is not changed.
    """
    bits = values.view(np.int32)
    key = bits >> 31  # -1 for negative values, 0 for the others
    key |= _SIGN
    key ^= bits
    key = key.view(np.uint32)
    key >>= _SHIFT
    return key


def fold(raw: np.ndarray) -> np.ndarray:
    """Map raw bins to folded bins: the bins of (-TINY, TINY) become the one bin ZERO."""
    raw = np.asarray(raw, dtype=np.int64)
    return np.where(raw < _LOW, raw, np.where(raw < _HIGH, ZERO, raw - _HIGH + ZERO + 1))


def _unfold(folded: np.ndarray) -> np.ndarray:
    """Return the raw bin of each folded bin (ZERO: the tiny range's first raw bin)."""
    folded = np.asarray(folded, dtype=np.int64)
    return np.where(folded <= ZERO, folded, folded - ZERO - 1 + _HIGH)


def _value_of_key(key: np.ndarray) -> np.ndarray:
    """Return the float32 value whose ordered key is *key* (uint32)."""
    key = np.asarray(key, dtype=np.uint32)
    bits = np.where(key >= np.uint32(2 ** 31), key ^ np.uint32(2 ** 31), ~key)
    return bits.astype(np.uint32).view(np.float32)


def bin_edges(folded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the lowest and highest float32 value of each folded bin (both in it)."""
    raw = _unfold(folded).astype(np.uint64)
    low = _value_of_key(raw << np.uint64(_SHIFT))
    high = _value_of_key((raw << np.uint64(_SHIFT)) | np.uint64((1 << _SHIFT) - 1))
    return low.astype(np.float64), high.astype(np.float64)


class Histogram:
    """Counts of one layer's values per unit, on the fixed grid; merged by adding.

    ``counts[u, j]`` counts unit *u*'s values in folded bin ``low + j``.
    """

    def __init__(self, units: int, low: int = 0,
                 counts: np.ndarray | None = None) -> None:
        self.units = units
        self.low = int(low)
        self.counts = (np.zeros((units, 0), dtype=np.int64) if counts is None
                       else np.asarray(counts, dtype=np.int64))

    def _cover(self, low: int, high: int) -> None:
        """Widen the stored range to hold folded bins ``low .. high`` (inclusive)."""
        width = self.counts.shape[1]
        if width == 0:
            self.low = low
            self.counts = np.zeros((self.units, high - low + 1), dtype=np.int64)
            return
        new_low, new_high = min(low, self.low), max(high, self.low + width - 1)
        if new_low == self.low and new_high == self.low + width - 1:
            return
        wider = np.zeros((self.units, new_high - new_low + 1), dtype=np.int64)
        wider[:, self.low - new_low:self.low - new_low + width] = self.counts
        self.low, self.counts = new_low, wider

    def add(self, maps: np.ndarray) -> None:
        """Count the float32 values of *maps*, shaped ``(units, values)``, C-contiguous."""
        raw = raw_bins(maps)
        first, last = raw.min(axis=1), raw.max(axis=1)
        span = fold(np.stack([first.min(), last.max()]))
        self._cover(int(span[0]), int(span[1]))
        for unit in range(self.units):
            row = raw[unit]
            start = int(first[unit])
            row -= np.uint32(start)
            self._add_raw(unit, start, np.bincount(row))

    def _add_raw(self, unit: int, start: int, counts: np.ndarray) -> None:
        """Add counts of raw bins ``start, start + 1, ...`` to *unit*, folding the tiny ones."""
        stop = start + len(counts)
        target = self.counts[unit]
        if start < _LOW:  # below the tiny range: raw bin == folded bin
            end = min(stop, _LOW)
            target[start - self.low:end - self.low] += counts[:end - start]
        if start < _HIGH and stop > _LOW:  # the tiny range: one bin
            a, b = max(start, _LOW), min(stop, _HIGH)
            target[ZERO - self.low] += counts[a - start:b - start].sum()
        if stop > _HIGH:  # above: shifted
            a = max(start, _HIGH)
            first = a - _HIGH + ZERO + 1
            target[first - self.low:first - self.low + stop - a] += counts[a - start:]

    def merge(self, other: Histogram) -> None:
        """Add *other*'s counts (the same units) to these."""
        if other.counts.shape[1] == 0:
            return
        high = other.low + other.counts.shape[1] - 1
        self._cover(other.low, high)
        start = other.low - self.low
        self.counts[:, start:start + other.counts.shape[1]] += other.counts

    def quantiles(self, levels: np.ndarray, low: np.ndarray,
                  high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Estimate each unit's quantiles at *levels* as numpy.quantile's default does.

        *low* and *high* are each unit's exact minimum and maximum (estimates are kept
        within them). Returns ``(values, rank_error)``, both ``(units, len(levels))``:
        the estimates, and the bound on the share of values between each estimate and
        the exact quantile (see the module's docstring).
        """
        levels = np.asarray(levels, dtype=np.float64)
        values = np.zeros((self.units, len(levels)))
        errors = np.zeros((self.units, len(levels)))
        if not len(levels) or self.counts.shape[1] == 0:
            return values, errors
        cumulative = np.cumsum(self.counts, axis=1)
        total = cumulative[:, -1]
        folded = self.low + np.arange(self.counts.shape[1])
        edge_low, edge_high = bin_edges(folded)
        tiny = folded == ZERO
        for unit in range(self.units):
            n = int(total[unit])
            position = levels * (n - 1)
            first = np.floor(position).astype(np.int64)
            weight = position - first
            second = np.minimum(first + 1, n - 1)
            estimates, bins = [], []
            for rank in (first, second):
                b = np.searchsorted(cumulative[unit], rank, side="right")
                before = np.where(b > 0, cumulative[unit][np.maximum(b - 1, 0)], 0)
                inside = (rank - before + 0.5) / self.counts[unit, b]
                value = edge_low[b] + (edge_high[b] - edge_low[b]) * inside
                value = np.where(tiny[b], 0.0, value)
                estimates.append(np.clip(value, low[unit], high[unit]))
                bins.append(b)
            values[unit] = (1 - weight) * estimates[0] + weight * estimates[1]
            shared = self.counts[unit, bins[0]] + np.where(
                bins[1] != bins[0], self.counts[unit, bins[1]], 0)
            errors[unit] = shared / n
        return values, errors
