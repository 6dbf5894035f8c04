"""DDL as a default-configured Polypheny runs it, for the embedded store's
``semantics="polypheny"`` (what the Prism stand-in runs on).

Polypheny's default store holds plain tables: no primary key, unique or foreign key
constraint and no NOT NULL exists physically; they live in Polypheny's catalog and are
enforced only when its runtime settings say so (``plugins/jdbc-adapter-framework/.../stores/
AbstractJdbcStore.java``, ``buildCreateTableQuery`` writes every column ``NULL`` and
``attachPrimaryKey`` is empty). So here every table is created without constraints, with
plain indexes on its key columns (for speed only), and its keys and NOT NULL columns are
kept in :data:`KEYS_TABLE`. Names are lower-cased when created, as Polypheny's catalog does in
its (always case-insensitive) relational namespaces (``dbms/.../ddl/DdlManagerImpl.java``,
``adjustNameIfNeeded``; a rename keeps the new name's case, as there). The refusals are
Polypheny's, with its messages; paths are in Polypheny-DB's repository. The statements run in
the connection's open transaction: the connection commits them, or rolls everything back.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from typing import Any

from polynom.errors import StoreError
from polynom.stores.sqlite.ddl_runner import DdlRunner
from polynom.stores.sqlite.refusals import DDL, PolyphenyRefusal
from polynom.stores.sqlite.translate.ddl import (
    AddColumn,
    AddConstraint,
    AlterTable,
    CreateNamespace,
    CreateTable,
    DdlCommand,
    DropColumn,
    DropNamespace,
    DropTable,
    ModifyColumn,
    RenameColumn,
    RenameTable,
)
from polynom.stores.sqlite.translate.literals import default_sql
from polynom.stores.sqlite.translate.names import NAMESPACE_TABLE, mangle, quote, unmangle
from polynom.stores.sqlite.translate.tables import ColumnDef, ForeignKey, TableDef
from polynom.stores.sqlite.translate.types import type_from_decl

__all__ = ["KEYS_TABLE", "PolyphenyDdlRunner", "create_keys_table", "read_table"]

#: Where the keys and NOT NULL columns of each table live (Polypheny's catalog, in short).
KEYS_TABLE = "polynom$keys"
#: Namespace names Polypheny refuses (``core/.../ddl/DdlManager.java``, ``blockedNamespaceNames``).
_BLOCKED_NAMESPACES = frozenset({"namespace", "db", "schema", "graph", "database"})
#: Column types whose DEFAULT Polypheny can write when it adds a column
#: (``AbstractJdbcStore.java``, ``buildInsertDefaultValueQuery``).
_DEFAULT_TYPES = frozenset({"BOOLEAN", "INTEGER", "DECIMAL", "BIGINT", "REAL", "DOUBLE", "VARCHAR"})


def _refused(message: str) -> PolyphenyRefusal:
    return PolyphenyRefusal(message, DDL)


def create_keys_table(raw: sqlite3.Connection) -> None:
    raw.execute(
        f"CREATE TABLE IF NOT EXISTS {quote(KEYS_TABLE)} "
        "(name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE, keys TEXT NOT NULL)"
    )


def read_table(raw: sqlite3.Connection, table: str) -> TableDef | None:
    """A table as Polypheny's catalog knows it (keys and NOT NULL included), or None."""
    info = raw.execute("SELECT * FROM pragma_table_info(?)", (table,)).fetchall()
    if not info:
        return None
    row = raw.execute(
        f"SELECT name, keys FROM {quote(KEYS_TABLE)} WHERE name = ? COLLATE NOCASE", (table,)
    ).fetchone()
    keys: dict[str, Any] = json.loads(row[1]) if row else {}
    not_null = {c.lower() for c in keys.get("not_null", [])}
    columns = []
    for _cid, col, decl, _notnull, dflt, _pk in info:
        ptype = type_from_decl(decl)
        if ptype is None:
            raise StoreError(f"column {col!r} of {table} has type {decl!r}, not a Polypheny type")
        columns.append(ColumnDef(col, ptype, col.lower() in not_null, dflt))
    return TableDef(
        row[0] if row else table,
        columns,
        list(keys.get("primary_key", [])),
        [list(u) for u in keys.get("uniques", [])],
        [
            ForeignKey(fk["columns"], fk["ref_table"], fk["ref_columns"], name=fk.get("name"))
            for fk in keys.get("foreign_keys", [])
        ],
        list(keys.get("unique_names", [])),
    )


class PolyphenyDdlRunner(DdlRunner):
    """Runs DDL commands as Polypheny does (see the module docstring), in the open
    transaction of ``raw``."""

    # -- the catalog of keys ----------------------------------------------------------------

    def read(self, table: str) -> TableDef:
        found = read_table(self.raw, table)
        if found is None:
            raise StoreError(f"table {table} does not exist")
        return found

    def _save(self, table: TableDef) -> None:
        keys = {
            "not_null": [c.name for c in table.columns if c.not_null],
            "primary_key": table.primary_key,
            "uniques": table.uniques,
            "unique_names": [table.unique_name(i) for i in range(len(table.uniques))],
            "foreign_keys": [
                {
                    "columns": fk.columns,
                    "ref_table": fk.ref_table,
                    "ref_columns": fk.ref_columns,
                    "name": fk.name,
                }
                for fk in table.foreign_keys
            ],
        }
        self.raw.execute(
            f"DELETE FROM {quote(KEYS_TABLE)} WHERE name = ? COLLATE NOCASE", (table.name,)
        )
        self.raw.execute(
            f"INSERT INTO {quote(KEYS_TABLE)} (name, keys) VALUES (?, ?)",
            (table.name, json.dumps(keys)),
        )

    def _forget(self, table: str) -> None:
        self.raw.execute(f"DELETE FROM {quote(KEYS_TABLE)} WHERE name = ? COLLATE NOCASE", (table,))

    def _tables(self) -> list[str]:
        return [
            r[0]
            for r in self._rows(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%.%'"
            )
        ]

    def children(self, table: str) -> list[tuple[str, ForeignKey]]:
        found = []
        for name in self._tables():
            if name.lower() != table.lower():
                for fk in self.read(name).foreign_keys:
                    if fk.ref_table.lower() == table.lower():
                        found.append((name, fk))
        return found

    constraints = False

    def _physical(self, table: TableDef) -> None:
        """Create ``table`` without constraints, with plain indexes on its keys."""
        self.raw.execute(table.create_sql(constraints=False))
        self._indexes(table)

    def _indexes(self, table: TableDef) -> None:
        groups = [table.primary_key, *table.uniques, *(fk.columns for fk in table.foreign_keys)]
        for columns in groups:
            if columns:
                index = f"{table.name}$ix${secrets.token_hex(4)}"
                self.raw.execute(
                    f"CREATE INDEX {quote(index)} ON {quote(table.name)} "
                    f"({', '.join(map(quote, columns))})"
                )

    def rebuilt(self, table: TableDef) -> None:
        self._indexes(table)
        self._save(table)

    def check_foreign_keys(self) -> None:
        """Nothing to check: the default Polypheny does not enforce foreign keys."""

    # -- commands ---------------------------------------------------------------------------

    def run(self, cmd: DdlCommand, sql: str) -> None:
        create_keys_table(self.raw)
        super().run(cmd, sql)

    def _create_namespace(self, cmd: CreateNamespace) -> None:
        name = cmd.name.lower()  # DdlManagerImpl.createNamespace lower-cases it
        if name in _BLOCKED_NAMESPACES:
            raise _refused(f"Namespace name {name} is not allowed.")
        if self.namespace(name) is not None:
            if cmd.if_not_exists:
                return
            # the catalog takes a second namespace of that name and its snapshot then fails
            # on the duplicate key (DdlManagerImpl.createNamespace, SnapshotImpl.java)
            raise _refused(f"Duplicate key {name}")
        self.raw.execute(
            f"INSERT INTO {quote(NAMESPACE_TABLE)} (name, model) VALUES (?, ?)", (name, cmd.model)
        )

    def _drop_namespace(self, cmd: DropNamespace) -> None:
        stored = self.namespace(cmd.name)
        if stored is None:
            if cmd.if_exists:
                return
            raise _refused("The namespace does not exist")  # DdlManagerImpl.dropNamespace
        for table in self.tables_in(stored):  # every table goes, referenced or not
            self.raw.execute(f"DROP TABLE {quote(table)}")
            self._forget(table)
        self.raw.execute(
            f"DELETE FROM {quote(NAMESPACE_TABLE)} WHERE name = ? COLLATE NOCASE", (stored,)
        )

    def _target_of(self, fk: ForeignKey, table: TableDef) -> TableDef:
        """The table a new foreign key references, checked as Polypheny checks it
        (``core/.../catalog/impl/logical/RelationalCatalog.java``, ``addForeignKey``)."""
        if fk.ref_table.lower() == table.name.lower():
            raise _refused("A foreign key can not reference the same table.")
        ns, entity = unmangle(fk.ref_table)
        stored_ns = self.namespace(ns)
        stored = self.table(mangle(stored_ns, entity)) if stored_ns else None
        if stored is None:
            raise _refused(f"Could not find relational entity with name: {ns}.{entity}")
        target = self.read(stored)
        referenced = [c.lower() for c in (fk.ref_columns or target.primary_key)]
        keys = [target.primary_key, *target.uniques]
        if not any(sorted(c.lower() for c in key) == sorted(referenced) for key in keys if key):
            raise _refused(
                "Referenced columns are not defined as UNIQUE, which is required for foreign keys."
            )
        for mine, theirs in zip(fk.columns, referenced, strict=False):
            a, b = table.column(mine), target.column(theirs)
            if a is not None and b is not None and a.type.name != b.type.name:
                raise _refused(
                    "The data type of the referenced columns does not match the data type of "
                    f"the referencing column: {a.type.name} != {b.type.name}"
                )
        return target

    def _create_table(self, cmd: CreateTable) -> None:
        ns = self.namespace(cmd.namespace)
        if ns is None:
            raise _refused("No value present")  # SqlDdl.java: getNamespace(...).orElseThrow()
        entity = cmd.entity.lower()
        name = mangle(ns, entity)
        if self.table(name) is not None:
            if cmd.if_not_exists:
                return
            raise _refused(f"There already exists an entity with the name {entity}")
        low = str.lower
        table = TableDef(
            name,
            [ColumnDef(c.name.lower(), c.type, c.not_null, c.default) for c in cmd.table.columns],
            list(map(low, cmd.table.primary_key)),
            [list(map(low, u)) for u in cmd.table.uniques],
            [],
            list(cmd.table.unique_names),
        )
        for i, fk in enumerate(cmd.table.foreign_keys):
            lowered = ForeignKey(
                list(map(low, fk.columns)),
                fk.ref_table,
                [c.lower() for c in fk.ref_columns] if fk.ref_columns else None,
                name=fk.name or f"auto_c_{i}",
            )
            target = self._target_of(lowered, table)
            lowered.ref_table = target.name
            table.foreign_keys.append(lowered)
        self._physical(table)
        self._save(table)

    def _drop_table(self, cmd: DropTable) -> None:
        ns = self.namespace(cmd.namespace)
        if ns is None:
            raise _refused("No value present")  # SqlDdl.java, also with IF EXISTS
        stored = self.table(mangle(ns, cmd.entity))
        if stored is None:
            if cmd.if_exists:
                return
            raise _refused(
                f"There exists no entity with the name {ns}.{cmd.entity} and 'IF EXISTS' was "
                "not specified"
            )
        # referenced tables are dropped too: DdlManagerImpl.dropTable does not check
        self.raw.execute(f"DROP TABLE {quote(stored)}")
        self._forget(stored)

    def _alter(self, cmd: AlterTable) -> None:
        ns = self.namespace(cmd.namespace)
        table = self.table(mangle(ns, cmd.entity)) if ns else None
        if table is None:
            raise _refused(
                f"Could not find relational entity with name: {cmd.namespace}.{cmd.entity}"
            )
        cur = self.read(table)
        action = cmd.action
        if isinstance(action, RenameTable):
            self._rename_table(cur, action.new_entity)
        elif isinstance(action, RenameColumn):
            self._rename_column(cur, action)
        elif isinstance(action, AddColumn):
            self._add_column(cur, action)
        elif isinstance(action, DropColumn):
            self._drop_column(cur, action.name)
        elif isinstance(action, ModifyColumn):
            self._modify_column(cur, action)
        else:
            self._add_constraint(cur, action)

    def _column(self, table: TableDef, name: str) -> ColumnDef:
        col = table.column(name)
        if col is None:
            raise _refused("No value present")  # getColumn(...).orElseThrow()
        return col

    def _rename_table(self, cur: TableDef, new_entity: str) -> None:
        new = mangle(unmangle(cur.name)[0], new_entity)  # the new name's case is kept
        if self.table(new) is not None:
            raise _refused(f"An entity with name {new_entity} already exists")
        self.raw.execute(f"ALTER TABLE {quote(cur.name)} RENAME TO {quote(new)}")
        self._forget(cur.name)
        cur.name = new
        self._save(cur)
        for child, _fk in self.children(cur.name) + self._referencing(cur.name, new):
            found = self.read(child)
            for fk in found.foreign_keys:
                if fk.ref_table.lower() in (cur.name.lower(), new.lower()):
                    fk.ref_table = new
            self._save(found)

    def _referencing(self, old: str, new: str) -> list[tuple[str, ForeignKey]]:
        return [
            (name, fk)
            for name in self._tables()
            for fk in self.read(name).foreign_keys
            if fk.ref_table.lower() == old.lower() and name.lower() != new.lower()
        ]

    def _rename_column(self, cur: TableDef, action: RenameColumn) -> None:
        col = self._column(cur, action.old)
        if cur.column(action.new) is not None:
            raise _refused(
                f"There already exists a column with name {action.new} on table "
                f"{unmangle(cur.name)[1]}"
            )
        self.raw.execute(
            f"ALTER TABLE {quote(cur.name)} RENAME COLUMN {quote(col.name)} TO {quote(action.new)}"
        )

        def renamed(cols: list[str]) -> list[str]:
            return [action.new if c.lower() == col.name.lower() else c for c in cols]

        col.name = action.new
        cur.primary_key = renamed(cur.primary_key)
        cur.uniques = [renamed(u) for u in cur.uniques]
        for fk in cur.foreign_keys:
            fk.columns = renamed(fk.columns)
        self._save(cur)
        for child, _ in self.children(cur.name):
            found = self.read(child)
            for fk in found.foreign_keys:
                if fk.ref_table.lower() == cur.name.lower() and fk.ref_columns:
                    fk.ref_columns = renamed(fk.ref_columns)
            self._save(found)

    def _add_column(self, cur: TableDef, action: AddColumn) -> None:
        col = ColumnDef(action.column.name.lower(), action.column.type, action.column.not_null)
        # DdlManagerImpl.createColumn
        if action.default_value is None and col.not_null:
            raise _refused("Column is not nullable and does not have a default value defined.")
        if cur.column(col.name) is not None:
            raise _refused(
                f"There already exists a column with name {col.name} on table "
                f"{unmangle(cur.name)[1]}"
            )
        if action.default_value is not None:
            if col.type.name not in _DEFAULT_TYPES:
                # the fill UPDATE of the commit action (AbstractJdbcStore.java)
                raise PolyphenyRefusal(
                    f"Not yet supported default value type: {col.type.name}", DDL
                )
            col.default = default_sql(action.default_value, col.type)
        plain = ColumnDef(col.name, col.type, False, col.default)
        self.raw.execute(f"ALTER TABLE {quote(cur.name)} ADD COLUMN {plain.sql()}")
        cur.columns.append(col)
        self._save(cur)

    def _drop_column(self, cur: TableDef, name: str) -> None:
        col = self._column(cur, name)
        low = col.name.lower()
        entity = unmangle(cur.name)[1]
        # DdlManagerImpl.dropColumn
        if len(cur.columns) == 1:
            raise _refused(f"Cannot drop sole column of table {entity}")
        if low in (c.lower() for c in cur.primary_key):
            raise _refused(
                f"Cannot drop column '{col.name}' because it is part of the primary key."
            )
        for fk in cur.foreign_keys:
            if low in (c.lower() for c in fk.columns):
                raise _refused(
                    f"Cannot drop column '{col.name}' because it is part of the foreign key "
                    f"with the name: '{fk.name}'."
                )
        for i, unique in enumerate(cur.uniques):
            if low in (c.lower() for c in unique):
                raise _refused(
                    f"Cannot drop column '{col.name}' because it is part of the constraint "
                    f"with the name: '{cur.unique_name(i)}'."
                )
        self.raw.execute(f"ALTER TABLE {quote(cur.name)} DROP COLUMN {quote(col.name)}")
        cur.columns = [c for c in cur.columns if c is not col]
        self._save(cur)

    def _modify_column(self, cur: TableDef, action: ModifyColumn) -> None:
        col = self._column(cur, action.name)
        if action.op in ("set_not_null", "drop_not_null"):
            # DdlManagerImpl.setColumnNullable: no look at the data, ever
            if col.name.lower() in (c.lower() for c in cur.primary_key):
                raise _refused("Primary key cannot be nullable")
            col.not_null = action.op == "set_not_null"
            self._save(cur)
            return
        if action.op in ("set_default", "drop_default"):
            col.default = (
                default_sql(action.default_value, col.type) if action.op == "set_default" else None
            )
            self._rebuild_plain(cur, {c.name: quote(c.name) for c in cur.columns})
            return
        assert action.new_type is not None
        old_type = col.type
        col.type = action.new_type
        if col.default is not None:
            col.default = None  # Polypheny keeps its catalog default; the physical one goes
        copy = {c.name: quote(c.name) for c in cur.columns}
        copy[col.name] = f"polynom_convert({quote(col.name)}, '{old_type}', '{action.new_type}')"
        self._rebuild_plain(cur, copy, convert=True)

    def _add_constraint(self, cur: TableDef, action: AddConstraint) -> None:
        for name in action.columns:
            self._column(cur, name)
        if action.kind == "primary_key":
            if cur.primary_key:
                raise _refused("There is already a primary key defined for this table")
            if any(not self._column(cur, c).not_null for c in action.columns):
                raise _refused("Primary key is not allowed to use nullable columns.")
            cur.primary_key = [c.lower() for c in action.columns]
        elif action.kind == "unique":
            # no look at the data: enforcement is off (DdlManagerImpl.createUniqueConstraint)
            cur.unique_names.extend([None] * (len(cur.uniques) - len(cur.unique_names)))
            cur.uniques.append([c.lower() for c in action.columns])
            cur.unique_names.append(action.name)
        else:
            assert action.foreign_key is not None
            fk = action.foreign_key
            target = self._target_of(fk, cur)
            cur.foreign_keys.append(
                ForeignKey(
                    [c.lower() for c in fk.columns], target.name, fk.ref_columns, name=action.name
                )
            )
        self._rebuild_plain(cur, {c.name: quote(c.name) for c in cur.columns})

    def _rebuild_plain(
        self, table: TableDef, copy: dict[str, str], *, convert: bool = False
    ) -> None:
        """Rebuild the physical table (new type, new default, new indexes), keeping rows."""
        self._rebuild(TableDef(table.name, list(table.columns)), table, copy, convert=convert)
