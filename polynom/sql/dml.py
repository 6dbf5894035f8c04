"""DML: multi-row inserts, checked updates and deletes by entry id. Values are ``?`` params."""

from __future__ import annotations

from collections.abc import Sequence

from polynom.sql.names import quote

__all__ = [
    "ENTRY_ID_COLUMN",
    "delete_all",
    "delete_where_ids",
    "fill_nulls",
    "insert_rows",
    "update_checked",
]

#: The quoted hidden primary key column every entity has.
ENTRY_ID_COLUMN = '"_entry_id"'


def insert_rows(table: str, columns: Sequence[str], row_count: int) -> str:
    """A multi-row ``INSERT`` for ``row_count`` rows of ``columns``."""
    cols = ", ".join(quote(c) for c in columns)
    row = "(" + ", ".join("?" * len(columns)) + ")"
    return f"INSERT INTO {table} ({cols}) VALUES " + ", ".join([row] * row_count)


def update_checked(table: str, columns: Sequence[str], checks: Sequence[tuple[str, bool]]) -> str:
    """``UPDATE`` of ``columns`` of one entry, matched only while ``checks`` still hold.

    The parameters are the new values, the entry id, then the old value of each check
    whose second item is False; a True check is ``IS NULL`` (the old value was NULL).
    A concurrent change makes the statement match nothing, which the caller reports.
    """
    sets = ", ".join(f"{quote(c)} = ?" for c in columns)
    conditions = [f"{ENTRY_ID_COLUMN} = ?"]
    conditions += [f"{quote(c)} IS NULL" if is_null else f"{quote(c)} = ?" for c, is_null in checks]
    return f"UPDATE {table} SET {sets} WHERE {' AND '.join(conditions)}"


def delete_where_ids(table: str, count: int) -> str:
    """``DELETE`` of ``count`` entries named by their ids."""
    marks = ", ".join("?" * count)
    return f"DELETE FROM {table} WHERE {ENTRY_ID_COLUMN} IN ({marks})"


def delete_all(table: str, where_equal: Sequence[str] = ()) -> str:
    """``DELETE`` of every entry, or of those whose ``where_equal`` columns equal the params."""
    text = f"DELETE FROM {table}"
    if where_equal:
        text += " WHERE " + " AND ".join(f"{quote(c)} = ?" for c in where_equal)
    return text


def fill_nulls(table: str, column: str) -> str:
    """Set ``column`` to the one parameter where it is NULL (before it becomes NOT NULL)."""
    quoted = quote(column)
    return f"UPDATE {table} SET {quoted} = ? WHERE {quoted} IS NULL"
