"""Text from inputs made safe to print on a terminal (shared by the report, contacts and the CLI)."""

from __future__ import annotations

import re

__all__ = ["printable"]

# Characters that would act on the terminal rather than show: C0/C1 controls (ESC starts ANSI codes, a
# newline could forge a line of output), bidi overrides and isolates (they reorder what follows), line separators.
_INVISIBLE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control, bidi or line-separator character shown as its escape (``\\x1b``, ``\\u202e``).

    Args:
        text: a file name, reason or title from an input, as it arrived.

    Returns:
        The same text, safe to print on a terminal: nothing in it moves the cursor, recolours or reorders.
    """
    return _INVISIBLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
