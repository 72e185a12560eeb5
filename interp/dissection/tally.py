"""Running tallies of a layer's units over a stream of batches: top k, mean, extremes.

Everything here is numpy on the host and merges exactly: :class:`RunningTop` (the top
*k* images per unit, ties to the lower image index) and :class:`LayerTally` (with each
unit's sum, minimum and maximum, the images seen and, optionally, a
:class:`~interp.dissection.sketch.Histogram` of its values). A tally's :meth:`state` is a
dict of arrays that :meth:`LayerTally.from_state` reads back bit for bit: the checkpoint.
"""

from __future__ import annotations

import numpy as np

from .sketch import Histogram


class RunningTop:
    """The running top *k* images of every unit of one layer, by each image's peak.

    An image's score for a unit is the maximum of the unit's map over all positions;
    the position of its first maximum (row-major) is kept as a flat index.
    """

    def __init__(self, units: int, k: int) -> None:
        self.k = k
        self.values = np.full((units, 0), -np.inf, dtype=np.float32)
        self.indices = np.zeros((units, 0), dtype=np.int64)
        self.flat = np.zeros((units, 0), dtype=np.int64)

    def add(self, indices: np.ndarray, peaks: np.ndarray, where: np.ndarray) -> None:
        """Merge images *indices* (n,) with their *peaks* and flat positions, (units, n)."""
        units, n = peaks.shape
        self._merge(peaks, np.broadcast_to(indices, (units, n)), where)

    def merge(self, other: RunningTop) -> None:
        """Merge another unit-for-unit tally of other images into this one."""
        self._merge(other.values, other.indices, other.flat)

    def _merge(self, values: np.ndarray, indices: np.ndarray, flat: np.ndarray) -> None:
        values = np.concatenate([self.values, values], axis=1)
        indices = np.concatenate([self.indices, indices], axis=1)
        flat = np.concatenate([self.flat, flat], axis=1)
        order = np.lexsort((indices, -values), axis=1)[:, :self.k]  # value desc, index asc
        self.values = np.take_along_axis(values, order, axis=1)
        self.indices = np.take_along_axis(indices, order, axis=1)
        self.flat = np.take_along_axis(flat, order, axis=1)


class LayerTally:
    """Everything :func:`interp.dissect` keeps for one layer.

    Parameters
    ----------
    units : int
        The layer's channels.
    k : int
        Images kept per unit.
    histogram : bool
        Whether to count the values for quantiles.
    statistics : bool, default True
        Whether to keep the sums and extremes (:func:`interp.top_activating` needs only
        the top *k*, and skips them).

    """

    def __init__(self, units: int, k: int, histogram: bool, statistics: bool = True) -> None:
        self.units = units
        self.statistics = statistics
        self.width = 1  # of the maps: turns a flat position into (row, col)
        self.top = RunningTop(units, k)
        self.total = np.zeros(units, dtype=np.float64)
        self.low = np.full(units, np.inf, dtype=np.float32)
        self.high = np.full(units, -np.inf, dtype=np.float32)
        self.images = 0
        self.values = 0  # per unit
        self.histogram = Histogram(units) if histogram else None

    def add(self, start: int, maps: np.ndarray) -> str | None:
        """Tally images ``start, start + 1, ...``: *maps* shaped ``(units, n, h, w)``.

        Returns None, or a description of the non-finite values found (the caller
        raises).
        """
        units, n, height, self.width = maps.shape
        positions = height * self.width
        maps = maps.reshape(units, n, positions)
        where = maps.argmax(axis=2)  # the first maximum (a NaN, if there is one)
        peaks = np.take_along_axis(maps, where[:, :, np.newaxis], axis=2)[:, :, 0]
        highs = peaks.max(axis=1)
        lows = maps.min(axis=2).min(axis=1) if self.statistics else highs
        if not (np.isfinite(highs).all() and np.isfinite(lows).all()):
            bad = np.flatnonzero(~(np.isfinite(highs) & np.isfinite(lows)))
            return f"units {bad[:5].tolist()}{'...' if len(bad) > 5 else ''}"
        self.top.add(np.arange(start, start + n, dtype=np.int64), peaks, where)
        flat = maps.reshape(units, n * positions)
        if self.statistics:
            self.total += flat.sum(axis=1, dtype=np.float64)
            np.minimum(self.low, lows, out=self.low)
        np.maximum(self.high, highs, out=self.high)
        self.images += n
        self.values += n * positions
        if self.histogram is not None:
            self.histogram.add(flat if flat.flags.c_contiguous else np.ascontiguousarray(flat))
        return None

    def merge(self, other: LayerTally) -> None:
        """Add another tally of the same layer, over other images, to this one."""
        if other.images:
            self.width = other.width
        self.top.merge(other.top)
        self.total += other.total
        np.minimum(self.low, other.low, out=self.low)
        np.maximum(self.high, other.high, out=self.high)
        self.images += other.images
        self.values += other.values
        if self.histogram is not None and other.histogram is not None:
            self.histogram.merge(other.histogram)

    def positions(self) -> np.ndarray:
        """Return the (row, col) of each kept image's peak, ``(units, k, 2)``."""
        return np.stack([self.top.flat // self.width, self.top.flat % self.width], axis=-1)

    # -- the checkpoint --
    def state(self) -> dict[str, np.ndarray]:
        """Every array that makes this tally, to be saved."""
        state = {
            "top_values": self.top.values, "top_indices": self.top.indices,
            "top_flat": self.top.flat, "total": self.total, "low": self.low,
            "high": self.high, "width": np.array(self.width, np.int64),
            "counts": np.array([self.images, self.values], np.int64),
        }
        if self.histogram is not None:
            state["hist_low"] = np.array(self.histogram.low, np.int64)
            state["hist_counts"] = self.histogram.counts
        return state

    @classmethod
    def from_state(cls, state: dict[str, np.ndarray], units: int, k: int,
                   histogram: bool, statistics: bool = True) -> LayerTally:
        """Rebuild the tally that :meth:`state` saved."""
        tally = cls(units, k, histogram, statistics)
        tally.width = int(state["width"])
        tally.top.values = np.asarray(state["top_values"], np.float32)
        tally.top.indices = np.asarray(state["top_indices"], np.int64)
        tally.top.flat = np.asarray(state["top_flat"], np.int64)
        tally.total = np.asarray(state["total"], np.float64).copy()
        tally.low = np.asarray(state["low"], np.float32).copy()
        tally.high = np.asarray(state["high"], np.float32).copy()
        tally.images, tally.values = (int(v) for v in state["counts"])
        if histogram:
            tally.histogram = Histogram(units, int(state["hist_low"]),
                                        np.array(state["hist_counts"], np.int64))
        return tally
