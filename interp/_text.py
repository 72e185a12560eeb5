"""Text from a model file or a folder of images, made safe to print on a terminal."""

from __future__ import annotations

import re

# Control characters (C0, DEL, C1) and the invisible format characters that reorder or hide
# text (bidirectional overrides and isolates, zero-width characters): a terminal acts on
# them (clears the screen, sets the window title, rings the bell, reverses a line).
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _escape(match: re.Match) -> str:
    char = match.group()
    code = ord(char)
    if code <= 0xFF:
        return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char, f"\\x{code:02x}")
    return f"\\u{code:04x}"


def printable(text: object) -> str:
    r"""Return *text* with control characters shown as escapes, e.g. ``\x1b`` for ESC.

    A layer named ``"conv\x1b[2J"`` (ESC [2J clears a terminal's screen) is printed as
    ``conv\x1b[2J``, backslash and all. Every other character, accents and all, is kept.

    Examples
    --------
    >>> from interp._text import printable
    >>> print(printable("conv\x1b[2J\x1b]0;title\x07"))
    conv\x1b[2J\x1b]0;title\x07
    >>> print(printable("café\u202eevil"))
    café\u202eevil

    """
    text = str(text)
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text

