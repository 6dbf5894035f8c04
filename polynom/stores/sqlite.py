"""The embedded store: Polypheny SQL run on Python's own ``sqlite3``, no server.

* ``sqlite:///file.db``: a database file in WAL mode (readers never block the writer).
* ``sqlite://``: a private database that lives in memory (on ``/dev/shm`` where there is one)
  and is deleted when the store closes. It is the same WAL database as a file, so several
  pooled connections share it with exactly the file store's locking and isolation.

Each connection's transaction is explicit and starts at its first write (``BEGIN
IMMEDIATE``, which takes SQLite's one write lock): reads before it see the latest committed
data, as under READ COMMITTED, and a writer never fails because it read an older snapshot.
Lost updates are caught by the mapper, which checks each updated value against the one it
replaced. Foreign keys are checked at commit. Statements are translated
by :mod:`polynom.stores._sqlite_sql` (cached by text); values are adapted per call.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import threading
import weakref
from collections.abc import Sequence
from operator import itemgetter
from pathlib import Path
from typing import Any

from polynom.errors import (
    ConflictError,
    ForeignKeyViolation,
    IntegrityError,
    NotNullViolation,
    StoreConnectionError,
    StoreError,
    UniqueViolation,
)
from polynom.stores import _sqlite_sql as sq
from polynom.stores._address import SqliteAddress, parse_address
from polynom.stores.base import Result, Store, StoreConnection
from polynom.stores.pool import Pool

__all__ = ["SqliteConnection", "SqliteResult", "SqliteStore"]

sq.register_converters()

# SQLite result codes (primary codes are the low byte of extended ones).
_BUSY, _LOCKED, _CONSTRAINT = 5, 6, 19
_BUSY_SNAPSHOT = 517
_UNIQUE_CODES = {2067, 1555}  # SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
_NOTNULL_CODE = 1299
_FOREIGNKEY_CODE = 787
# Codes after which a connection cannot be trusted: I/O error, corrupt, cannot open, not a db.
_BROKEN_CODES = {10, 11, 14, 26}
_first = itemgetter(0)  # a column's name in cursor.description


class SqliteResult(Result):
    """A query's :class:`Result` that can also name each result column's Polypheny type
    (``DECIMAL(10, 2)``...) where the column is a plain table column, ``None`` elsewhere:
    what the Prism stand-in reports as column metadata. Worked out on first access only."""

    __slots__ = ("_sources", "_store", "_types")

    def __init__(
        self,
        columns: list[str],
        rows: list[tuple[Any, ...]],
        store: SqliteStore | None = None,
        sources: sq.SelectSources | None = None,
    ) -> None:
        # the fields of Result, set here: one call less for every query
        self.columns = columns
        self.rows = rows
        self.rowcount = -1
        self._store = store
        self._sources = sources
        self._types: list[str | None] | None = None

    @property
    def types(self) -> list[str | None]:
        if self._types is None:
            store, sources = self._store, self._sources
            self._store = self._sources = None
            width = len(self.columns)
            self._types = (
                store._result_types(sources, width)
                if store is not None and sources
                else [None] * width
            )
        return self._types


# -- errors ---------------------------------------------------------------------------------


def _detail(message: str) -> str:
    """The part of an SQLite message after the colon, without our rebuild suffix."""
    message = message.replace(sq.REBUILD_SUFFIX, "")
    return message.split(":", 1)[1].strip() if ":" in message else message


def map_error(exc: BaseException, sql: str) -> StoreError:
    """The polynom error for an ``sqlite3`` error raised by ``sql``."""
    if isinstance(exc, StoreError):
        return exc
    statement = sq.first_line(sql)
    message = str(exc).replace(sq.REBUILD_SUFFIX, "")
    code = getattr(exc, "sqlite_errorcode", None) or 0
    primary = code & 0xFF
    if isinstance(exc, sqlite3.IntegrityError) or primary == _CONSTRAINT:
        if code in _UNIQUE_CODES or message.startswith("UNIQUE constraint"):
            return UniqueViolation(
                f"unique constraint violated on {_detail(message)}: an entry with that value "
                f"already exists; statement: {statement}"
            )
        if code == _NOTNULL_CODE or message.startswith("NOT NULL constraint"):
            return NotNullViolation(f"{_detail(message)} may not be NULL; statement: {statement}")
        if code == _FOREIGNKEY_CODE or message.startswith("FOREIGN KEY"):
            return ForeignKeyViolation(f"foreign key violated; statement: {statement}")
        return IntegrityError(f"{message}; statement: {statement}")
    if code == _BUSY_SNAPSHOT:
        return ConflictError(
            "another session changed the data since this transaction read it (its snapshot "
            f"is out of date); roll back and retry; statement: {statement}"
        )
    if primary in (_BUSY, _LOCKED):
        return ConflictError(
            "another session's transaction holds the write lock (SQLite lets one transaction "
            f"write at a time) and did not finish in time ({message}); roll back and retry; "
            f"statement: {statement}"
        )
    if primary in _BROKEN_CODES or (
        isinstance(exc, sqlite3.ProgrammingError) and "closed" in message
    ):
        return StoreConnectionError(f"the SQLite connection failed: {message}")
    if isinstance(exc, OverflowError):
        return StoreError(f"a value is too large for SQLite ({message}); statement: {statement}")
    return StoreError(f"{message}; statement: {statement}")


def _fk_violations(raw: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> str:
    """Describe ``pragma_foreign_key_check`` rows: which entry points at what is missing."""
    table, rowid, parent, fkid = rows[0]
    cols = [
        r[3]
        for r in raw.execute("SELECT * FROM pragma_foreign_key_list(?)", (table,)).fetchall()
        if r[0] == fkid
    ]
    where = ", ".join(f"{table}.{c}" for c in cols) or table
    value = ""
    if rowid is not None and cols:
        try:
            found = raw.execute(
                f"SELECT {', '.join(map(sq.quote, cols))} FROM {sq.quote(table)} WHERE rowid = ?",
                (rowid,),
            ).fetchone()
            if found is not None:
                value = " = " + ", ".join(repr(v) for v in found)
        except sqlite3.Error:
            pass
    more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
    return f"{where}{value} references {parent}, which has no such entry{more}"


# -- DDL ------------------------------------------------------------------------------------


class _DdlRunner:
    """Runs parsed DDL commands on one connection inside one transaction (foreign keys off;
    the tables it rebuilds or constrains are checked before the commit)."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw
        self.to_check: set[str] = set()

    # -- catalog ---------------------------------------------------------------------------

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self.raw.execute(sql, params).fetchall()

    def namespace(self, name: str) -> str | None:
        rows = self._rows(
            f"SELECT name FROM {sq.quote(sq.NAMESPACE_TABLE)} WHERE name = ? COLLATE NOCASE",
            (name,),
        )
        return rows[0][0] if rows else None

    def need_namespace(self, name: str) -> str:
        stored = self.namespace(name)
        if stored is None:
            raise StoreError(
                f'namespace "{name}" does not exist; create it first with '
                f'CREATE RELATIONAL NAMESPACE "{name}"'
            )
        return stored

    def table(self, name: str) -> str | None:
        rows = self._rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE",
            (name,),
        )
        return rows[0][0] if rows else None

    def need_table(self, namespace: str, entity: str) -> str:
        stored = self.table(sq.mangle(namespace, entity))
        if stored is None:
            raise StoreError(f'table "{namespace}"."{entity}" does not exist')
        return stored

    def tables_in(self, namespace: str) -> list[str]:
        prefix = namespace + "."
        return [
            r[0]
            for r in self._rows(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND substr(name, 1, ?) = ? COLLATE NOCASE",
                (len(prefix), prefix),
            )
        ]

    def read(self, table: str) -> sq.TableDef:
        info = self._rows("SELECT * FROM pragma_table_info(?)", (table,))
        indexes = []
        for _seq, name, unique, origin, _partial in self._rows(
            "SELECT * FROM pragma_index_list(?)", (table,)
        ):
            if unique and origin in ("u", "pk"):
                cols = [r[2] for r in self._rows("SELECT * FROM pragma_index_info(?)", (name,))]
                indexes.append((origin, cols))
        fks = self._rows("SELECT * FROM pragma_foreign_key_list(?)", (table,))
        return sq.table_def_from_catalog(table, info, indexes, fks)

    def children(self, table: str) -> list[tuple[str, sq.ForeignKey]]:
        """Foreign keys of other tables that reference ``table``."""
        found: list[tuple[str, sq.ForeignKey]] = []
        for (name,) in self._rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%.%'"
        ):
            if name.lower() == table.lower():
                continue
            for fk in self.read(name).foreign_keys:
                if fk.ref_table.lower() == table.lower():
                    found.append((name, fk))
        return found

    def check_foreign_keys(self) -> None:
        for table in sorted(self.to_check):
            if self.table(table) is None:
                continue
            rows = self._rows("SELECT * FROM pragma_foreign_key_check(?)", (table,))
            if rows:
                raise ForeignKeyViolation(
                    f"foreign key violated: {_fk_violations(self.raw, rows)}; nothing was changed"
                )

    # -- commands --------------------------------------------------------------------------

    def run(self, cmd: sq.DdlCommand, sql: str) -> None:
        try:
            if isinstance(cmd, sq.CreateNamespace):
                self._create_namespace(cmd)
            elif isinstance(cmd, sq.DropNamespace):
                self._drop_namespace(cmd)
            elif isinstance(cmd, sq.CreateTable):
                self._create_table(cmd)
            elif isinstance(cmd, sq.DropTable):
                self._drop_table(cmd)
            else:
                self._alter(cmd)
        except (sqlite3.Error, OverflowError) as exc:
            raise map_error(exc, sql) from None

    def _create_namespace(self, cmd: sq.CreateNamespace) -> None:
        if self.namespace(cmd.name) is not None:
            if cmd.if_not_exists:
                return
            raise StoreError(f'namespace "{cmd.name}" already exists')
        self.raw.execute(
            f"INSERT INTO {sq.quote(sq.NAMESPACE_TABLE)} (name, model) VALUES (?, ?)",
            (cmd.name, cmd.model),
        )

    def _drop_namespace(self, cmd: sq.DropNamespace) -> None:
        stored = self.namespace(cmd.name)
        if stored is None:
            if cmd.if_exists:
                return
            raise StoreError(f'namespace "{cmd.name}" does not exist')
        tables = self.tables_in(stored)
        inside = {t.lower() for t in tables}
        for table in tables:
            for child, _fk in self.children(table):
                if child.lower() not in inside:
                    raise ForeignKeyViolation(
                        f'cannot drop namespace "{stored}": {child} references {table}'
                    )
        for table in tables:
            self.raw.execute(f"DROP TABLE {sq.quote(table)}")
        self.raw.execute(
            f"DELETE FROM {sq.quote(sq.NAMESPACE_TABLE)} WHERE name = ? COLLATE NOCASE", (stored,)
        )

    def _check_reference(self, fk: sq.ForeignKey, table: sq.TableDef) -> sq.ForeignKey:
        """The foreign key with its target's stored name, after checking target and columns."""
        if fk.ref_table.lower() == table.name.lower():
            target: sq.TableDef = table
        else:
            ns, _ = sq.unmangle(fk.ref_table)
            self.need_namespace(ns)
            stored = self.table(fk.ref_table)
            if stored is None:
                raise StoreError(
                    f"the foreign key on {', '.join(fk.columns)} references {fk.ref_table}, "
                    "which does not exist"
                )
            target = self.read(stored)
        referenced = fk.ref_columns or target.primary_key
        for col in referenced:
            if target.column(col) is None:
                raise StoreError(f"the foreign key references {target.name}.{col}, no such column")
        keys = [target.primary_key, *target.uniques]
        wanted = sorted(c.lower() for c in referenced)
        if not any(sorted(c.lower() for c in key) == wanted for key in keys if key):
            raise StoreError(
                f"the foreign key references {target.name} ({', '.join(referenced)}), which is "
                "neither its primary key nor unique"
            )
        return sq.ForeignKey(
            list(fk.columns), target.name, fk.ref_columns, fk.on_delete, fk.on_update
        )

    def _create_table(self, cmd: sq.CreateTable) -> None:
        ns = self.need_namespace(cmd.namespace)
        name = sq.mangle(ns, cmd.entity)
        if self.table(name) is not None:
            if cmd.if_not_exists:
                return
            raise StoreError(f'table "{ns}"."{cmd.entity}" already exists')
        table = sq.TableDef(
            name,
            list(cmd.table.columns),
            list(cmd.table.primary_key),
            list(cmd.table.uniques),
            [],
        )
        table.foreign_keys = [self._check_reference(fk, table) for fk in cmd.table.foreign_keys]
        self.raw.execute(table.create_sql())

    def _drop_table(self, cmd: sq.DropTable) -> None:
        stored = self.table(sq.mangle(cmd.namespace, cmd.entity))
        if stored is None:
            if cmd.if_exists:
                return
            raise StoreError(f'table "{cmd.namespace}"."{cmd.entity}" does not exist')
        for child, _fk in self.children(stored):
            raise ForeignKeyViolation(f"cannot drop {stored}: {child} references it")
        self.raw.execute(f"DROP TABLE {sq.quote(stored)}")

    def _alter(self, cmd: sq.AlterTable) -> None:
        table = self.need_table(cmd.namespace, cmd.entity)
        cur = self.read(table)
        action = cmd.action
        if isinstance(action, sq.RenameTable):
            new = sq.mangle(sq.unmangle(table)[0], action.new_entity)
            if self.table(new) is not None:
                raise StoreError(f"cannot rename {table} to {new}: that table exists")
            self.raw.execute(f"ALTER TABLE {sq.quote(table)} RENAME TO {sq.quote(new)}")
        elif isinstance(action, sq.RenameColumn):
            self._column(cur, action.old)
            if cur.column(action.new) is not None:
                raise StoreError(f"cannot rename {table}.{action.old}: {action.new} exists")
            self.raw.execute(
                f"ALTER TABLE {sq.quote(table)} RENAME COLUMN {sq.quote(action.old)} "
                f"TO {sq.quote(action.new)}"
            )
        elif isinstance(action, sq.AddColumn):
            self._add_column(cur, action)
        elif isinstance(action, sq.DropColumn):
            self._drop_column(cur, action.name)
        elif isinstance(action, sq.ModifyColumn):
            self._modify_column(cur, action)
        else:
            self._add_constraint(cur, action)

    def _column(self, table: sq.TableDef, name: str) -> sq.ColumnDef:
        col = table.column(name)
        if col is None:
            raise StoreError(f"{table.name} has no column {name!r}")
        return col

    def _has_rows(self, table: str) -> bool:
        return bool(self._rows(f"SELECT 1 FROM {sq.quote(table)} LIMIT 1"))

    def _add_column(self, cur: sq.TableDef, action: sq.AddColumn) -> None:
        col = action.column
        if cur.column(col.name) is not None:
            raise StoreError(f"{cur.name} already has a column {col.name!r}")
        fk = self._check_reference(action.foreign_key, cur) if action.foreign_key else None
        needs_value = col.not_null and col.default is None
        native = not (action.primary_key or action.unique or needs_value) and not (
            col.default is not None
            and col.default.upper() in ("CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME")
        )
        if native:
            text = f"ALTER TABLE {sq.quote(cur.name)} ADD COLUMN {col.sql()}"
            if fk is not None:
                text += " " + fk.references_sql()
                self.to_check.add(cur.name)
            self.raw.execute(text)
            return
        if needs_value and self._has_rows(cur.name):
            raise NotNullViolation(
                f"cannot add the NOT NULL column {cur.name}.{col.name} without a default: "
                "the table has rows"
            )
        new = sq.TableDef(
            cur.name,
            [*cur.columns, col],
            [col.name] if action.primary_key else list(cur.primary_key),
            [*cur.uniques, [col.name]] if action.unique else list(cur.uniques),
            [*cur.foreign_keys, fk] if fk is not None else list(cur.foreign_keys),
        )
        if action.primary_key and cur.primary_key:
            raise StoreError(f"{cur.name} already has a primary key")
        self._rebuild(cur, new, {c.name: sq.quote(c.name) for c in cur.columns})

    def _drop_column(self, cur: sq.TableDef, name: str) -> None:
        col = self._column(cur, name)
        low = col.name.lower()
        if low in (c.lower() for c in cur.primary_key):
            raise StoreError(f"cannot drop {cur.name}.{col.name}: it is the primary key")
        for child, fk in self.children(cur.name):
            if low in (c.lower() for c in (fk.ref_columns or cur.primary_key)):
                raise ForeignKeyViolation(
                    f"cannot drop {cur.name}.{col.name}: {child} references it"
                )
        in_constraint = any(low in (c.lower() for c in u) for u in cur.uniques) or any(
            low in (c.lower() for c in fk.columns) for fk in cur.foreign_keys
        )
        if not in_constraint:
            self.raw.execute(f"ALTER TABLE {sq.quote(cur.name)} DROP COLUMN {sq.quote(col.name)}")
            return
        new = sq.TableDef(
            cur.name,
            [c for c in cur.columns if c.name.lower() != low],
            list(cur.primary_key),
            [u for u in cur.uniques if low not in (c.lower() for c in u)],
            [fk for fk in cur.foreign_keys if low not in (c.lower() for c in fk.columns)],
        )
        self._rebuild(cur, new, {c.name: sq.quote(c.name) for c in new.columns})

    def _modify_column(self, cur: sq.TableDef, action: sq.ModifyColumn) -> None:
        col = self._column(cur, action.name)
        new_col = sq.ColumnDef(col.name, col.type, col.not_null, col.default)
        copy = {c.name: sq.quote(c.name) for c in cur.columns}
        convert = False
        if action.op == "set_not_null":
            nulls = self._rows(
                f"SELECT COUNT(*) FROM {sq.quote(cur.name)} WHERE {sq.quote(col.name)} IS NULL"
            )[0][0]
            if nulls:
                raise NotNullViolation(
                    f"cannot make {cur.name}.{col.name} NOT NULL: {nulls} entries hold NULL"
                )
            new_col.not_null = True
        elif action.op == "drop_not_null":
            if col.name.lower() in (c.lower() for c in cur.primary_key):
                raise StoreError(f"{cur.name}.{col.name} is the primary key: it stays NOT NULL")
            new_col.not_null = False
        elif action.op == "set_default":
            new_col.default = sq.default_sql(action.default_value, col.type)
        elif action.op == "drop_default":
            new_col.default = None
        else:
            assert action.new_type is not None
            new_col.type = action.new_type
            if col.default is not None and col.default.upper() not in (
                "CURRENT_TIMESTAMP",
                "CURRENT_DATE",
                "CURRENT_TIME",
            ):
                try:
                    stored = sq.parse_literal_sql(col.default)
                    new_col.default = sq.sql_literal(
                        sq.convert_stored(stored, col.type, action.new_type)
                    )
                except (ValueError, ArithmeticError) as exc:
                    raise StoreError(
                        f"the default of {cur.name}.{col.name} does not fit "
                        f"{action.new_type}: {exc}"
                    ) from None
            copy[col.name] = (
                f"polynom_convert({sq.quote(col.name)}, "
                f"{sq.sql_literal(str(col.type))}, {sq.sql_literal(str(action.new_type))})"
            )
            convert = True
        if new_col == col:
            return
        new = sq.TableDef(
            cur.name,
            [new_col if c is col else c for c in cur.columns],
            list(cur.primary_key),
            list(cur.uniques),
            list(cur.foreign_keys),
        )
        self._rebuild(cur, new, copy, convert=convert)

    def _add_constraint(self, cur: sq.TableDef, action: sq.AddConstraint) -> None:
        for name in action.columns:
            self._column(cur, name)
        new = sq.TableDef(
            cur.name,
            list(cur.columns),
            list(cur.primary_key),
            list(cur.uniques),
            list(cur.foreign_keys),
        )
        if action.kind == "primary_key":
            if cur.primary_key:
                raise StoreError(f"{cur.name} already has a primary key")
            new.primary_key = list(action.columns)
        elif action.kind == "unique":
            new.uniques.append(list(action.columns))
        else:
            assert action.foreign_key is not None
            new.foreign_keys.append(self._check_reference(action.foreign_key, cur))
        self._rebuild(cur, new, {c.name: sq.quote(c.name) for c in cur.columns})

    def _rebuild(
        self,
        old: sq.TableDef,
        new: sq.TableDef,
        copy: dict[str, str],
        *,
        convert: bool = False,
    ) -> None:
        """Replace ``old`` by ``new`` keeping every row (SQLite's documented procedure)."""
        failures: list[str] = []
        if convert:

            def polynom_convert(value: Any, old_type: str, new_type: str) -> Any:
                try:
                    return sq.convert_stored(
                        value, sq.parse_type(old_type), sq.parse_type(new_type)
                    )
                except (ValueError, ArithmeticError, StoreError) as exc:
                    failures.append(f"{value!r} ({exc})")
                    return None

            self.raw.create_function("polynom_convert", 3, polynom_convert, deterministic=True)
        for statement in sq.rebuild_statements(old, new, copy):
            self.raw.execute(statement)
            if failures:
                raise StoreError(
                    f"cannot convert the values of {old.name} to the new type: "
                    f"{failures[0]}"
                    + (f" and {len(failures) - 1} more" if len(failures) > 1 else "")
                )
        self.to_check.add(new.name)
        self.to_check.update(child for child, _ in self.children(new.name))


def run_ddl(raw: sqlite3.Connection, commands: Sequence[tuple[str, sq.DdlCommand]]) -> None:
    """Run DDL commands in one transaction on ``raw`` (which has none open): all or nothing.

    Foreign keys are switched off for the transaction (the rebuild procedure needs it) and
    checked explicitly for every table whose rows were copied, before the commit.
    """
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        try:
            raw.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise map_error(exc, commands[0][0] if commands else "BEGIN") from None
        try:
            runner = _DdlRunner(raw)
            for sql, cmd in commands:
                runner.run(cmd, sql)
            runner.check_foreign_keys()
            raw.execute("COMMIT")
        except BaseException as exc:
            if raw.in_transaction:
                raw.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise map_error(exc, commands[-1][0]) from None
            raise
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


# -- connection -----------------------------------------------------------------------------


class SqliteConnection(StoreConnection):
    """One pooled ``sqlite3`` connection with an explicit transaction."""

    def __init__(self, store: SqliteStore, raw: sqlite3.Connection) -> None:
        self._store = store
        self._raw: sqlite3.Connection | None = raw
        self._broken = False

    @property
    def broken(self) -> bool:
        return self._raw is None or self._broken

    @property
    def in_transaction(self) -> bool:
        return self._raw is not None and self._raw.in_transaction

    def _conn(self) -> sqlite3.Connection:
        raw = self._raw
        if raw is None or self._broken:
            raise StoreConnectionError(f"this connection to {self._store.url} is closed")
        return raw

    def _failed(self, exc: BaseException, sql: str) -> StoreError:
        """Map ``exc``; roll back after integrity errors and conflicts (the transaction
        cannot go on), and mark the connection broken when SQLite says it is."""
        error = map_error(exc, sql)
        if isinstance(error, StoreConnectionError):
            self._broken = True
        elif isinstance(error, (IntegrityError, ConflictError)):
            self._quiet_rollback()
        return error

    def _quiet_rollback(self) -> None:
        raw = self._raw
        if raw is not None and raw.in_transaction:
            try:
                raw.execute("ROLLBACK")
            except sqlite3.Error:
                self._broken = True

    def execute(
        self, sql: str, params: Sequence[Any] = (), *, namespace: str | None = None
    ) -> Result:
        """Run one Polypheny statement; ``namespace`` is where one-part table names live
        (``public`` by default). DDL commits the open transaction first, as on Polypheny."""
        raw = self._raw
        if raw is None or self._broken:
            raw = self._conn()  # raises
        ns = namespace or sq.DEFAULT_NAMESPACE
        tr = sq.translate(sql, ns)
        if tr.kind != sq.DML:
            return self._special(tr, sql, namespace)
        if tr.bare:
            tr = self._store._place_bare_names(sql, ns, tr)
        try:
            if tr.writes and not raw.in_transaction:
                raw.execute("BEGIN IMMEDIATE")
            cur = raw.execute(tr.sql, sq.adapt_params(params) if params else ())
            desc = cur.description
            if desc is None:
                return Result(rowcount=cur.rowcount)
            return SqliteResult(list(map(_first, desc)), cur.fetchall(), self._store, tr.sources)
        except (sqlite3.Error, OverflowError) as exc:
            raise self._failed(exc, sql) from None

    def execute_many(
        self, sql: str, rows: Sequence[Sequence[Any]], *, namespace: str | None = None
    ) -> int:
        """Run one DML statement once per parameter row in one call; total rows affected."""
        raw = self._conn()
        ns = namespace or sq.DEFAULT_NAMESPACE
        tr = sq.translate(sql, ns)
        if tr.kind != sq.DML:
            raise StoreError(f"execute_many runs DML only; statement: {sq.first_line(sql)}")
        if tr.bare:
            tr = self._store._place_bare_names(sql, ns, tr)
        if not rows:
            return 0
        try:
            if tr.writes and not raw.in_transaction:
                raw.execute("BEGIN IMMEDIATE")
            cur = raw.executemany(tr.sql, [sq.adapt_params(r) for r in rows])
            return max(cur.rowcount, 0)
        except (sqlite3.Error, OverflowError) as exc:
            raise self._failed(exc, sql) from None

    def _special(self, tr: sq.Translation, sql: str, namespace: str | None) -> Result:
        if tr.kind == sq.COMMIT:
            self.commit()
        elif tr.kind == sq.ROLLBACK:
            self.rollback()
        elif tr.kind == sq.DDL:
            if self.in_transaction:
                self.commit()  # Polypheny commits the open transaction before DDL
            self.run_ddl([sql], namespace=namespace)
        return Result(rowcount=0)

    def run_ddl(self, statements: Sequence[str], *, namespace: str | None = None) -> None:
        """Run DDL statements in their own transaction on this connection (none may be open)."""
        raw = self._conn()
        if raw.in_transaction:
            raise StoreError("DDL needs a connection without an open transaction")
        ns = namespace or sq.DEFAULT_NAMESPACE
        commands = []
        for sql in statements:
            tr = sq.translate(sql, ns)
            if tr.kind != sq.DDL:
                raise StoreError(f"this runs DDL only; statement: {sq.first_line(sql)}")
            commands.append((sql, sq.parse_ddl(sql, ns)))
        if not commands:
            return
        try:
            run_ddl(raw, commands)
        except sqlite3.Error as exc:  # e.g. restoring foreign_keys failed
            raise self._failed(exc, statements[0]) from None
        finally:
            self._store._forget_catalog()

    def commit(self) -> None:
        """Commit; a foreign key that points nowhere raises :class:`ForeignKeyViolation` (and
        the transaction is rolled back)."""
        raw = self._raw
        if raw is None or self._broken:
            raw = self._conn()  # raises
        if not raw.in_transaction:
            return
        try:
            raw.execute("COMMIT")
        except sqlite3.IntegrityError as exc:
            detail = ""
            try:
                rows = raw.execute("SELECT * FROM pragma_foreign_key_check").fetchall()
                if rows:
                    detail = ": " + _fk_violations(raw, rows)
            except sqlite3.Error:
                pass
            self._quiet_rollback()
            if (getattr(exc, "sqlite_errorcode", 0) or 0) == _FOREIGNKEY_CODE or detail:
                raise ForeignKeyViolation(
                    f"foreign key violated at commit{detail}; the transaction was rolled back"
                ) from None
            raise map_error(exc, "COMMIT") from None
        except sqlite3.Error as exc:
            error = map_error(exc, "COMMIT")
            self._quiet_rollback()
            if isinstance(error, StoreConnectionError):
                self._broken = True
            raise error from None

    def rollback(self) -> None:
        raw = self._raw
        if raw is None or not raw.in_transaction:
            return
        try:
            raw.execute("ROLLBACK")
        except sqlite3.Error as exc:
            self._broken = True
            raise StoreConnectionError(f"rollback failed: {exc}") from None

    def close(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            with contextlib.suppress(sqlite3.Error):
                raw.close()  # rolls back an open transaction


def _is_broken(conn: SqliteConnection) -> bool:
    """``conn.broken`` in one call (the pool asks on every checkout and checkin)."""
    return conn._raw is None or conn._broken


# -- store ----------------------------------------------------------------------------------


def _memory_directory() -> Path:
    """A private directory in RAM (``/dev/shm``) when the machine has one, else temp."""
    shm = Path("/dev/shm")
    base = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="polynom-memory-", dir=base))


class SqliteStore(Store):
    """The embedded store (see the module docstring).

    :param address: ``"sqlite:///file.db"``, ``"sqlite://"`` or a :class:`SqliteAddress`.
    :param pool_size: most connections open at once.
    :param timeout: seconds to wait for a free connection before :class:`StoreConnectionError`.
    :param busy_timeout: seconds a writer waits for another writer's lock before
        :class:`ConflictError`.
    """

    #: SQLite's default limit of bound parameters per statement (SQLITE_MAX_VARIABLE_NUMBER).
    max_params = 32766

    def __init__(
        self,
        address: SqliteAddress | str | None = "sqlite://",
        *,
        pool_size: int = 10,
        timeout: float = 30.0,
        busy_timeout: float = 5.0,
    ) -> None:
        if not isinstance(address, SqliteAddress):
            parsed = parse_address(address)
            if not isinstance(parsed, SqliteAddress):
                raise StoreError(f"{address!r} is not an address of the embedded store")
            address = parsed
        self.address = address
        self.url = address.url
        self.busy_timeout = busy_timeout
        self._directory: Path | None = None
        self._cleanup: weakref.finalize | None = None
        if address.path is None:
            self._directory = _memory_directory()
            self._cleanup = weakref.finalize(self, shutil.rmtree, self._directory, True)
            self.path = self._directory / "memory.db"
        else:
            self.path = address.path.absolute()  # later chdir() must not move the database
        self._lock = threading.Lock()
        self._closed = False
        self._catalog: dict[str, list[tuple[str, str]]] = {}  # table -> [(column, type)]
        self._tables: set[str] | None = None  # every "ns.t" table, lower-cased
        self._catalog_conn: sqlite3.Connection | None = None
        self._pool: Pool[SqliteConnection] = Pool(
            self._connect,
            reset=SqliteConnection.rollback,
            close=SqliteConnection.close,
            is_broken=_is_broken,
            max_size=pool_size,
            timeout=timeout,
            name=f"SQLite store {self.url}",
        )
        try:
            self._bootstrap()
        except BaseException:
            self.close()
            raise

    @property
    def in_memory(self) -> bool:
        return self.address.path is None

    @property
    def pool(self) -> Pool[SqliteConnection]:
        return self._pool

    def _connect(self) -> SqliteConnection:
        try:
            raw = sqlite3.connect(
                str(self.path),
                timeout=self.busy_timeout,
                isolation_level=None,
                check_same_thread=False,
                detect_types=sqlite3.PARSE_DECLTYPES,
                cached_statements=256,
            )
        except sqlite3.Error as exc:
            raise StoreConnectionError(
                f"cannot open the SQLite database {self.url}: {exc}"
            ) from None
        try:
            raw.execute("PRAGMA foreign_keys=ON")
            raw.execute("PRAGMA case_sensitive_like=ON")
            if self.in_memory:
                raw.execute("PRAGMA synchronous=OFF")  # nothing to make durable
            raw.create_collation(sq.DECIMAL_COLLATION, sq.decimal_collation)
        except sqlite3.Error as exc:
            raw.close()
            raise StoreConnectionError(f"cannot set up a connection to {self.url}: {exc}") from None
        return SqliteConnection(self, raw)

    def _bootstrap(self) -> None:
        """WAL mode and the namespace catalog (with Polypheny's ``public`` namespace)."""
        conn = self._pool.acquire()
        try:
            raw = conn._conn()
            limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
            self.max_params = min(type(self).max_params, limit)
            try:
                raw.execute("PRAGMA journal_mode=WAL")
                raw.execute("BEGIN IMMEDIATE")
                raw.execute(
                    f"CREATE TABLE IF NOT EXISTS {sq.quote(sq.NAMESPACE_TABLE)} "
                    "(name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE, model TEXT NOT NULL)"
                )
                raw.execute(
                    f"INSERT OR IGNORE INTO {sq.quote(sq.NAMESPACE_TABLE)} VALUES (?, ?)",
                    (sq.DEFAULT_NAMESPACE, "RELATIONAL"),
                )
                raw.execute("COMMIT")
            except sqlite3.Error as exc:
                conn._quiet_rollback()
                raise StoreConnectionError(
                    f"cannot prepare the SQLite database {self.url}: {exc}"
                ) from None
        finally:
            self._pool.release(conn)

    # -- result column types (for the Prism stand-in) ---------------------------------------

    def _catalog_rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Read SQLite's catalog on the store's own connection (call with ``_lock`` held)."""
        if self._catalog_conn is None:
            self._catalog_conn = sqlite3.connect(
                str(self.path), timeout=self.busy_timeout, check_same_thread=False
            )
        try:
            return self._catalog_conn.execute(sql, params).fetchall()
        except sqlite3.Error:
            return []

    def _place_bare_names(self, sql: str, ns: str, tr: sq.Translation) -> sq.Translation:
        """Put one-part table names that ``ns`` lacks in the one namespace that has them
        (PolyNOM 0.3 names entities without their namespace)."""
        with self._lock:
            if self._closed:
                return tr
            if self._tables is None:
                found = self._catalog_rows(
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
        return sq.translate(sql, ns, tuple(homes)) if homes else tr

    def _table_columns(self, table: str) -> list[tuple[str, str]]:
        """A table's (column, Polypheny type) pairs, cached until DDL runs through the store.

        Read on a connection of its own (any thread may ask, at any time)."""
        key = table.lower()
        with self._lock:
            cached = self._catalog.get(key)
            if cached is not None:
                return cached
            if self._closed:
                return []
            info = self._catalog_rows("SELECT name, type FROM pragma_table_info(?)", (table,))
            if not info:
                return []
            columns = []
            for name, decl in info:
                ptype = sq.type_from_decl(decl)
                columns.append((name, str(ptype) if ptype is not None else decl))
            self._catalog[key] = columns
            return columns

    def _result_types(self, sources: sq.SelectSources, width: int) -> list[str | None]:
        return sq.result_types(sources, width, self._table_columns)

    def _forget_catalog(self) -> None:
        with self._lock:
            self._catalog.clear()
            self._tables = None

    # -- Store -----------------------------------------------------------------------------

    def acquire(self) -> SqliteConnection:
        return self._pool.acquire()

    def release(self, connection: StoreConnection) -> None:
        if not isinstance(connection, SqliteConnection):
            raise StoreError("this connection does not belong to an SQLite store")
        self._pool.release(connection)

    def execute_ddl(self, statements: Sequence[str], *, namespace: str | None = None) -> None:
        """Run DDL on a connection of its own, in one transaction: all of it or nothing."""
        with self.connection() as conn:
            assert isinstance(conn, SqliteConnection)
            conn.run_ddl(statements, namespace=namespace)

    def column_types(self, namespace: str, entity: str) -> dict[str, str]:
        """Each column of ``"namespace"."entity"`` with its Polypheny type (``DECIMAL(10, 2)``,
        ``VARCHAR(36)``...), in column order."""
        with self.connection() as conn:
            assert isinstance(conn, SqliteConnection)
            raw = conn._conn()
            table = sq.mangle(namespace, entity)
            try:
                rows = raw.execute("SELECT * FROM pragma_table_info(?)", (table,)).fetchall()
            except sqlite3.Error as exc:
                raise map_error(exc, "PRAGMA table_info") from None
        if not rows:
            raise StoreError(f'table "{namespace}"."{entity}" does not exist')
        types: dict[str, str] = {}
        for _cid, name, decl, *_ in rows:
            ptype = sq.type_from_decl(decl)
            types[name] = str(ptype) if ptype is not None else decl
        return types

    def close(self) -> None:
        """Close every connection; an in-memory database is deleted."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._pool.close()
        with self._lock:
            catalog, self._catalog_conn = self._catalog_conn, None
        if catalog is not None:
            catalog.close()
        if self._cleanup is not None:
            self._cleanup()
