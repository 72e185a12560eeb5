"""Progress bars for long loops: tqdm on a terminal, nothing otherwise or when quiet."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def progress(iterable: Iterable[T], *, desc: str, unit: str = "it", total: int | None = None,
             quiet: bool = True, scale: int = 1, initial: int = 0) -> Iterator[T]:
    """Yield from *iterable*, drawing a bar on stderr when it is a terminal and not *quiet*.

    With *scale*, each item advances the bar by ``len(item)`` (batches counted in images)
    when *scale* is 0, else by *scale*. The bar starts at *initial* (work done before:
    a resumed run); its rate counts only what is done now. Control characters in *desc*
    (a layer's name) are shown as escapes.
    """
    if quiet or not sys.stderr.isatty():
        yield from iterable
        return
    from tqdm import tqdm

    from ._text import printable

    with tqdm(total=total, desc=printable(desc), unit=unit, leave=False, file=sys.stderr,
              dynamic_ncols=True, initial=initial) as bar:
        for item in iterable:
            yield item
            bar.update(len(item) if scale == 0 else scale)  # type: ignore[arg-type]


class Bar:
    """A progress bar advanced by hand (:meth:`update`), drawn as :func:`progress` draws one.

    Use it as a context manager; nothing is drawn when *quiet* or when stderr is not a
    terminal.
    """

    def __init__(self, *, desc: str, unit: str = "it", total: int | None = None,
                 quiet: bool = True, initial: int = 0) -> None:
        self._bar = None
        if quiet or not sys.stderr.isatty():
            return
        from tqdm import tqdm

        from ._text import printable

        self._bar = tqdm(total=total, desc=printable(desc), unit=unit, leave=False,
                         file=sys.stderr, dynamic_ncols=True, initial=initial)

    def update(self, n: int) -> None:
        if self._bar is not None:
            self._bar.update(n)

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.close()
