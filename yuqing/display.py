"""Showing hostile text to people.

Scraped titles can carry terminal control sequences (an ESC that clears the screen or rewrites
earlier lines), bidi overrides that reorder what is shown, and zero-width characters. Everything
scraped goes through :func:`terminal_safe` before it reaches a terminal; JSON output is escaped by
the JSON encoder, HTML output by ``html.escape``.
"""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 controls (tab and newline included: a table cell is one line), DEL, bidi controls
# (LRE..RLO, LRI..PDI), zero-width and BOM characters.
_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]")
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")


def terminal_safe(text: str) -> str:
    """One line with no escape sequences or invisible reordering; runs of space collapse."""
    text = _ANSI.sub("", text)
    text = _UNSAFE.sub(" ", text)
    return " ".join(text.split())


def width(text: str) -> int:
    """Columns a string takes in a terminal: CJK characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def fit(text: str, columns: int) -> str:
    """Cut to ``columns`` (adding … when cut) and pad with spaces to exactly ``columns``."""
    if width(text) > columns:
        out, used = [], 0
        for char in text:
            w = width(char)
            if used + w > columns - 1:
                break
            out.append(char)
            used += w
        text = "".join(out) + "…"
    return text + " " * (columns - width(text))
