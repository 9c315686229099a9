"""Long ``IN (…)`` lists, sent a slice at a time.

SQLite before 3.32 refuses statements with more than 999 bound values, and a list of event or
post ids read in one triage batch can be longer; PostgreSQL's limit is far higher. Every query
that filters on a list of ids of unbounded length goes through :func:`slices`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

#: values per ``IN`` list: under SQLite's oldest limit, leaving room for the query's own values
IN_LIST_MAX = 900


def slices(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """``values`` in consecutive slices of at most ``IN_LIST_MAX``."""
    for start in range(0, len(values), IN_LIST_MAX):
        yield values[start : start + IN_LIST_MAX]
