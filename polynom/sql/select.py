"""SELECT: queries, counts and the paged scans dump and the CLI read with."""

from __future__ import annotations

from collections.abc import Sequence

from polynom.sql.names import quote

__all__ = [
    "MAX_LIMIT",
    "column",
    "count",
    "count_of",
    "inner_join",
    "scan_page",
    "select",
    "table_as",
]

#: The LIMIT written when only an OFFSET is wanted (a LIMIT is read as a Java long).
MAX_LIMIT = 2**63 - 1


def column(alias: str, name: str) -> str:
    """``"alias"."name"``."""
    return f"{quote(alias)}.{quote(name)}"


def table_as(table: str, alias: str) -> str:
    return f"{table} AS {quote(alias)}"


def inner_join(table: str, alias: str, on: str) -> str:
    return f"INNER JOIN {table_as(table, alias)} ON {on}"


def select(
    columns: str,
    source: str,
    where: Sequence[str] = (),
    *,
    distinct: bool = False,
    order_by: Sequence[str] = (),
    limit: int | None = None,
    offset: int | None = None,
) -> str:
    """``SELECT [DISTINCT] columns FROM source [WHERE a AND b] [ORDER BY] [LIMIT] [OFFSET]``."""
    text = f"SELECT {'DISTINCT ' if distinct else ''}{columns} FROM {source}"
    if where:
        text += " WHERE " + " AND ".join(where)
    if order_by:
        text += " ORDER BY " + ", ".join(order_by)
    if limit is not None:
        text += f" LIMIT {limit}"
    if offset is not None:
        if limit is None:
            text += f" LIMIT {MAX_LIMIT}"
        text += f" OFFSET {offset}"
    return text


def count(source: str, where: Sequence[str] = ()) -> str:
    """``SELECT COUNT(*) FROM source [WHERE ...]``."""
    return select("COUNT(*)", source, where)


def count_of(query: str) -> str:
    """How many rows a whole query (with its DISTINCT, LIMIT, OFFSET) returns."""
    return f'SELECT COUNT(*) FROM ({query}) AS "q"'


def scan_page(columns: Sequence[str], table: str, key: str, page: int, where: str = "") -> str:
    """One page of a scan ordered by ``key``; the last param is the previous page's last key.

    ``where`` (with its own ``?`` params, which come first) narrows the scan.
    """
    cols = ", ".join(quote(c) for c in columns)
    quoted = quote(key)
    conditions = [where, f"{quoted} > ?"] if where else [f"{quoted} > ?"]
    return select(cols, table, conditions, order_by=[quoted], limit=page)
