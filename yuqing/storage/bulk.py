"""Bulk inserts straight through the database driver, for the hottest writes.

Posts at ingest and per-label classifications at triage are written thousands of times a cycle
by the single writer process, where SQLAlchemy's per-statement and per-row bookkeeping costs
more than the database's own work. Here every value still goes through its column type's bind
processor (UTC conversion, JSON encoding, SQLite's datetime text), exactly as a Core insert
would send it; only the statement machinery is skipped, and the driver's ``executemany`` does
the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.engine import Connection

#: driver parameter styles with positional placeholders, and the placeholder each uses
_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


def insert_many(
    conn: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    ignore_conflicts: bool = False,
) -> int:
    """Insert ``rows`` (dicts with the same keys) into ``table``; with ``ignore_conflicts``, rows
    that break a unique constraint are skipped. Returns the number of rows inserted."""
    if not rows:
        return 0
    dialect = conn.dialect
    mark = _PLACEHOLDERS.get(dialect.paramstyle)
    if mark is None or dialect.name not in ("sqlite", "postgresql"):
        if ignore_conflicts:
            raise NotImplementedError(
                f"ignore_conflicts needs SQLite or PostgreSQL: {dialect.name}"
            )
        return conn.execute(insert(table), list(rows)).rowcount
    names = list(rows[0])
    # table.c[name] fails on a key that is not a column: only the schema's names reach the SQL.
    columns = [table.c[name] for name in names]
    processors = [c.type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    quote = dialect.identifier_preparer.quote
    # Identifiers come from the schema and are quoted; every value is a bound parameter.
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608
        quote(table.name), ", ".join(quote(c.name) for c in columns), ", ".join([mark] * len(names))
    )
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    # Batches repeat values (one classification time, one model version for thousands of
    # rows): each column remembers its last value, so a repeat is not processed again.
    memo: list[tuple[Any, Any]] = [(_NOTHING, None)] * len(names)
    params = [_row_params(row, names, processors, memo) for row in rows]
    # Both drivers add up executemany's row counts, conflicts skipped excluded.
    return conn.exec_driver_sql(sql, params).rowcount


_NOTHING = object()


def _row_params(
    row: Mapping[str, Any],
    names: Sequence[str],
    processors: Sequence[Callable[[Any], Any] | None],
    memo: list[tuple[Any, Any]],
) -> tuple[Any, ...]:
    params = []
    for i, name in enumerate(names):
        value = row[name]
        process = processors[i]
        if process is None or value is None:
            params.append(value)
            continue
        last, processed = memo[i]
        if value is not last:
            processed = process(value)
            memo[i] = (value, processed)
        params.append(processed)
    return tuple(params)
