"""Shared timing helper for the benchmark scripts (run them from the repository root)."""

import statistics
import time


def median_time(func, repeat=3):
    """Call *func* *repeat* times and return the median wall time in seconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)
