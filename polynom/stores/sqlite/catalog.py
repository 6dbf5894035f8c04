"""What a store's connections ask of SQLite's catalog while they translate and answer
statements: where a one-part table name lives, and the Polypheny type of a query's result
columns. Read on a connection of its own (any thread may ask, at any time) and cached until
DDL runs through the store."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from polynom.stores.sqlite.translate.dml import SelectSources
from polynom.stores.sqlite.translate.translation import Translation, result_types, translate
from polynom.stores.sqlite.translate.types import type_from_decl


class Catalog:
    """The tables of one database file and their columns' types, cached (see the module
    docstring). :meth:`forget` drops the cache; :meth:`close` ends it for good."""

    def __init__(self, path: Path, busy_timeout: float) -> None:
        self._path = path
        self._busy_timeout = busy_timeout
        self._lock = threading.Lock()
        self._closed = False
        self._columns: dict[str, list[tuple[str, str]]] = {}  # table -> [(column, type)]
        self._tables: set[str] | None = None  # every "ns.t" table, lower-cased
        self._conn: sqlite3.Connection | None = None

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Read SQLite's catalog on the catalog's own connection (call with ``_lock`` held)."""
        if self._conn is None:
            self._conn = sqlite3.connect(
                str(self._path), timeout=self._busy_timeout, check_same_thread=False
            )
        try:
            return self._conn.execute(sql, params).fetchall()
        except sqlite3.Error:
            return []

    def place_bare_names(self, sql: str, ns: str, tr: Translation) -> Translation:
        """Put one-part table names that ``ns`` lacks in the one namespace that has them
        (PolyNOM 0.3 names entities without their namespace)."""
        with self._lock:
            if self._closed:
                return tr
            if self._tables is None:
                found = self._rows(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%.%'"
                )
                self._tables = {name.lower() for (name,) in found}
            tables = self._tables
        homes = []
        for entity in tr.bare:
            if f"{ns.lower()}.{entity}" in tables:
                continue
            owners = [t.split(".", 1)[0] for t in tables if t.split(".", 1)[1] == entity]
            if len(owners) == 1:
                homes.append((entity, owners[0]))
        return translate(sql, ns, tuple(homes)) if homes else tr

    def table_columns(self, table: str) -> list[tuple[str, str]]:
        """A table's (column, Polypheny type) pairs; ``[]`` for a table that does not exist."""
        key = table.lower()
        with self._lock:
            cached = self._columns.get(key)
            if cached is not None:
                return cached
            if self._closed:
                return []
            info = self._rows("SELECT name, type FROM pragma_table_info(?)", (table,))
            if not info:
                return []
            columns = []
            for name, decl in info:
                ptype = type_from_decl(decl)
                columns.append((name, str(ptype) if ptype is not None else decl))
            self._columns[key] = columns
            return columns

    def result_types(self, sources: SelectSources, width: int) -> list[str | None]:
        """The Polypheny type of each of ``width`` result columns (see :func:`result_types`)."""
        return result_types(sources, width, self.table_columns)

    def forget(self) -> None:
        """Drop what is cached: DDL changed the tables."""
        with self._lock:
            self._columns.clear()
            self._tables = None

    def close(self) -> None:
        """Close the catalog's connection; afterwards every question gets an empty answer."""
        with self._lock:
            self._closed = True
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
