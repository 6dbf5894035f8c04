"""SELECT: queries, counts and the paged scans dump and the CLI read with."""

from __future__ import annotations

from collections.abc import Sequence

from polynom.sql.names import quote

__all__ = [
    "MAX_PAGE",
    "column",
    "count",
    "count_of",
    "dangling",
    "duplicates",
    "in_list",
    "inner_join",
    "joined_to_keys",
    "scan_page",
    "select",
    "table_as",
]

#: The largest LIMIT or OFFSET Polypheny takes: it reads them as a Java int (Polypheny-DB's
#: ``core/src/main/java/org/polypheny/db/rex/RexLiteral.java``, ``intValue``).
MAX_PAGE = 2**31 - 1


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
    group_by: Sequence[str] = (),
) -> str:
    """``SELECT [DISTINCT] columns FROM source [WHERE a AND b] [GROUP BY] [ORDER BY]
    [LIMIT] [OFFSET]`` -- an OFFSET without a LIMIT stands alone, as Polypheny's grammar has it
    (``Parser.jj``, ``OrderedQueryOrExpr``)."""
    text = f"SELECT {'DISTINCT ' if distinct else ''}{columns} FROM {source}"
    if where:
        text += " WHERE " + " AND ".join(where)
    if group_by:
        text += " GROUP BY " + ", ".join(group_by)
    if order_by:
        text += " ORDER BY " + ", ".join(order_by)
    if limit is not None:
        text += f" LIMIT {limit}"
    if offset is not None:
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


def joined_to_keys(table: str, key: str, inner: str, inner_key: str = "k") -> str:
    """``table AS "t0"`` joined to the derived table ``inner AS "q"`` on ``"t0".key =
    "q".inner_key`` (a query that picks and ranks entries in ``inner``)."""
    return (
        f"{table_as(table, 't0')} INNER JOIN ({inner}) AS {quote('q')} "
        f"ON {column('t0', key)} = {column('q', inner_key)}"
    )


def in_list(column_sql: str, count: int) -> str:
    """``column IN (?, ?, ...)`` for ``count`` parameters."""
    return f"{column_sql} IN ({', '.join('?' * count)})"


def duplicates(table: str, columns: Sequence[str], where: Sequence[str] = ()) -> str:
    """The values of ``columns`` that more than one row of ``table`` holds (``where``
    narrows the rows looked at; its parameters are the statement's)."""
    cols = ", ".join(quote(c) for c in columns)
    return select(cols, table, where, group_by=[cols]) + " HAVING COUNT(*) > 1"


def dangling(
    table: str,
    columns: Sequence[str],
    parent: str,
    parent_columns: Sequence[str],
    where: Sequence[str] = (),
) -> str:
    """The values of ``columns`` in ``table`` (not NULL) that no row of ``parent`` holds in
    ``parent_columns``: foreign keys that point nowhere. ``where`` is on ``"c"`` (the child)."""
    on = " AND ".join(
        f"{column('c', a)} = {column('p', b)}" for a, b in zip(columns, parent_columns, strict=True)
    )
    conditions = [f"{column('c', a)} IS NOT NULL" for a in columns]
    conditions += [f"{column('p', parent_columns[0])} IS NULL", *where]
    source = f"{table_as(table, 'c')} LEFT JOIN {table_as(parent, 'p')} ON {on}"
    return select(", ".join(column("c", a) for a in columns), source, conditions, limit=1)
