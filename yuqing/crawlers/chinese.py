"""Traditional → simplified Chinese with the compiled OpenCC library.

Posts arrive in both scripts (Hong Kong, Taiwan and mirror sites publish traditional characters);
everything downstream (keywords, the classifier, near-duplicate detection) works on simplified
text, so the conversion happens once, at ingestion.
"""

from __future__ import annotations

import functools

import opencc


@functools.cache
def _t2s_converter() -> opencc.OpenCC:
    # Loading the dictionaries takes milliseconds; converting a post takes microseconds. Build the
    # converter on first use (not at import, so importing the package stays cheap) and keep it for
    # the life of the process.
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Return ``text`` with traditional characters converted to simplified ones (OpenCC ``t2s``).

    Pure-ASCII text is returned as is without touching the converter.
    """
    if text.isascii():
        return text
    return _t2s_converter().convert(text)
