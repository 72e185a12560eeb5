"""Progress bars for long loops: tqdm on a terminal, nothing otherwise or when quiet."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(iterable: Iterable[T], *, desc: str, unit: str = "it", total: int | None = None,
             quiet: bool = True, scale: int = 1) -> Iterator[T]:
    """Yield from *iterable*, drawing a bar on stderr when it is a terminal and not *quiet*.

    With *scale*, each item advances the bar by ``len(item)`` (batches counted in images)
    when *scale* is 0, else by *scale*. Control characters in *desc* (a layer's name) are
    shown as escapes.
    """
    if quiet or not sys.stderr.isatty():
        yield from iterable
        return
    from tqdm import tqdm

    from ._text import printable

    with tqdm(total=total, desc=printable(desc), unit=unit, leave=False, file=sys.stderr,
              dynamic_ncols=True) as bar:
        for item in iterable:
            yield item
            bar.update(len(item) if scale == 0 else scale)  # type: ignore[arg-type]
