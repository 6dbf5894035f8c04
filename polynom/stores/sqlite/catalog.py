"""What a store's connections ask of SQLite's catalog while they translate and answer
statements: where a one-part table name lives, and the Polypheny type of a query's result
columns. Read on a connection of its own (any thread may ask, at any time) and cached until
DDL runs through the store."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from polynom.stores.sqlite.translate.dml import SelectSources
from polynom.stores.sqlite.translate.names import mangle, quote
from polynom.stores.sqlite.translate.paging import ROWID
from polynom.stores.sqlite.translate.translation import Translation, result_types, translate
from polynom.stores.sqlite.translate.types import type_from_decl
from polynom.stores.sqlite.writes import Column, WritePlan, write_plan

#: The table Polypheny's semantics keeps NOT NULL columns and keys in (see ddl_polypheny).
_KEYS_TABLE = "polynom$keys"


class Catalog:
    """The tables of one database file and their columns' types, cached (see the module
    docstring). :meth:`forget` drops the cache; :meth:`close` ends it for good."""

    def __init__(self, path: Path, busy_timeout: float, *, polypheny: bool = False) -> None:
        self._path = path
        self._busy_timeout = busy_timeout
        self._polypheny = polypheny
        self._writes: dict[Translation, WritePlan | None] = {}
        #: The same plans by the identity of the translation (``translate`` keeps each one
        #: it made, so a statement comes back as the same object): a lookup without
        #: hashing every field of the translation, for each write. Each entry holds its
        #: translation, so the id cannot be reused while it is cached.
        self._writes_by_id: dict[int, tuple[Translation, WritePlan | None]] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._columns: dict[str, list[tuple[str, str]]] = {}  # table -> [(column, type)]
        self._tables: set[str] | None = None  # every "ns.t" table, lower-cased
        self._rowids: dict[str, bool] = {}  # table (lower-cased) -> has_rowid()
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

    def write_plan(self, tr: Translation, raw: sqlite3.Connection) -> WritePlan | None:
        """What the values of a write bind to (see :mod:`.writes`), or None; cached until
        DDL runs. ``raw`` is the connection about to run it (it reads the table's columns:
        no other connection is opened). Raises a refusal for an INSERT Polypheny would
        refuse."""
        known = self._writes_by_id.get(id(tr))
        if known is not None and known[0] is tr:
            return known[1]
        try:
            plan = self._writes[tr]
        except KeyError:
            plan = None
            if tr.target is not None and (tr.insert_columns or tr.set_params):
                columns = self._write_columns(raw, mangle(*tr.target))
                plan = write_plan(tr, columns, polypheny=self._polypheny)
            with self._lock:
                if len(self._writes) > 1024:
                    self._writes.clear()
                self._writes[tr] = plan
        with self._lock:
            if len(self._writes_by_id) > 1024:
                self._writes_by_id.clear()
            self._writes_by_id[id(tr)] = (tr, plan)
        return plan

    def _write_columns(self, raw: sqlite3.Connection, table: str) -> dict[str, Column]:
        try:
            info = raw.execute(
                'SELECT name, type, "notnull", dflt_value FROM pragma_table_info(?)', (table,)
            ).fetchall()
            not_null: set[str] = set()
            if self._polypheny:
                found = raw.execute(
                    f"SELECT keys FROM {quote(_KEYS_TABLE)} WHERE name = ? COLLATE NOCASE",
                    (table,),
                ).fetchall()
                if found:
                    not_null = {c.lower() for c in json.loads(found[0][0]).get("not_null", [])}
        except sqlite3.Error:
            return {}
        columns = {}
        for name, decl, notnull, default in info:
            ptype = type_from_decl(decl)
            if ptype is not None:
                required = name.lower() in not_null if self._polypheny else bool(notnull)
                columns[name.lower()] = Column(ptype, required, default is not None)
        return columns

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
        return translate(sql, ns, tuple(homes), self._polypheny) if homes else tr

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

    def has_rowid(self, table: str, raw: sqlite3.Connection) -> bool:
        """True when ``table`` is a table with a rowid that :data:`~.paging.ROWID` names (not a
        view, not ``WITHOUT ROWID``, no column of that name): one a page may be read from by
        its rowids first (:mod:`~.translate.paging`). ``raw`` is the connection about to read
        it (no other is opened). Cached until DDL runs."""
        key = table.lower()
        known = self._rowids.get(key)
        if known is None:
            try:
                kind = raw.execute("SELECT type, wr FROM pragma_table_list(?)", (table,))
                names = raw.execute("SELECT name FROM pragma_table_info(?)", (table,))
                known = kind.fetchall() == [("table", 0)] and ROWID not in {
                    name.lower() for (name,) in names.fetchall()
                }
            except sqlite3.Error:  # (pragma_table_list is SQLite 3.37's)
                known = False
            with self._lock:
                self._rowids[key] = known
        return known

    def result_types(self, sources: SelectSources, width: int) -> list[str | None]:
        """The Polypheny type of each of ``width`` result columns (see :func:`result_types`)."""
        return result_types(sources, width, self.table_columns)

    def forget(self) -> None:
        """Drop what is cached: DDL changed the tables."""
        with self._lock:
            self._columns.clear()
            self._rowids.clear()
            self._tables = None
            self._writes.clear()
            self._writes_by_id.clear()

    def close(self) -> None:
        """Close the catalog's connection; afterwards every question gets an empty answer."""
        with self._lock:
            self._closed = True
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
