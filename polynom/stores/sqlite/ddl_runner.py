"""Running parsed DDL on the embedded store: namespaces, tables and every ALTER form.

SQLite's own ``ALTER TABLE`` is used where it can do the job; the ``MODIFY COLUMN`` forms,
constraints added later and columns dropped from a constraint become table rebuilds (SQLite's
documented procedure: create the new table, copy the rows, drop the old one, rename). All the
commands of one call run in one transaction, with foreign keys off, and every table whose rows
were copied is checked before the commit: all of it happens, or nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from polynom.errors import ForeignKeyViolation, NotNullViolation, StoreError
from polynom.stores.sqlite.errors import describe_fk_violations, map_error
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
from polynom.stores.sqlite.translate.literals import (
    SQL_NOW,
    convert_stored,
    default_sql,
    sql_literal,
)
from polynom.stores.sqlite.translate.names import NAMESPACE_TABLE, mangle, quote, unmangle
from polynom.stores.sqlite.translate.parser import parse_literal_sql, parse_type
from polynom.stores.sqlite.translate.tables import (
    ColumnDef,
    ForeignKey,
    TableDef,
    rebuild_statements,
    table_def_from_catalog,
)


class DdlRunner:
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
            f"SELECT name FROM {quote(NAMESPACE_TABLE)} WHERE name = ? COLLATE NOCASE",
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
        stored = self.table(mangle(namespace, entity))
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

    def read(self, table: str) -> TableDef:
        info = self._rows("SELECT * FROM pragma_table_info(?)", (table,))
        indexes = []
        for _seq, name, unique, origin, _partial in self._rows(
            "SELECT * FROM pragma_index_list(?)", (table,)
        ):
            if unique and origin in ("u", "pk"):
                cols = [r[2] for r in self._rows("SELECT * FROM pragma_index_info(?)", (name,))]
                indexes.append((origin, cols))
        fks = self._rows("SELECT * FROM pragma_foreign_key_list(?)", (table,))
        return table_def_from_catalog(table, info, indexes, fks)

    def children(self, table: str) -> list[tuple[str, ForeignKey]]:
        """Foreign keys of other tables that reference ``table``."""
        found: list[tuple[str, ForeignKey]] = []
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
                found = describe_fk_violations(self.raw, rows)
                raise ForeignKeyViolation(f"foreign key violated: {found}; nothing was changed")

    # -- commands --------------------------------------------------------------------------

    def run(self, cmd: DdlCommand, sql: str) -> None:
        try:
            if isinstance(cmd, CreateNamespace):
                self._create_namespace(cmd)
            elif isinstance(cmd, DropNamespace):
                self._drop_namespace(cmd)
            elif isinstance(cmd, CreateTable):
                self._create_table(cmd)
            elif isinstance(cmd, DropTable):
                self._drop_table(cmd)
            else:
                self._alter(cmd)
        except (sqlite3.Error, OverflowError) as exc:
            raise map_error(exc, sql) from None

    def _create_namespace(self, cmd: CreateNamespace) -> None:
        if self.namespace(cmd.name) is not None:
            if cmd.if_not_exists:
                return
            raise StoreError(f'namespace "{cmd.name}" already exists')
        self.raw.execute(
            f"INSERT INTO {quote(NAMESPACE_TABLE)} (name, model) VALUES (?, ?)",
            (cmd.name, cmd.model),
        )

    def _drop_namespace(self, cmd: DropNamespace) -> None:
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
            self.raw.execute(f"DROP TABLE {quote(table)}")
        self.raw.execute(
            f"DELETE FROM {quote(NAMESPACE_TABLE)} WHERE name = ? COLLATE NOCASE", (stored,)
        )

    def _check_reference(self, fk: ForeignKey, table: TableDef) -> ForeignKey:
        """The foreign key with its target's stored name, after checking target and columns."""
        if fk.ref_table.lower() == table.name.lower():
            target: TableDef = table
        else:
            ns, _ = unmangle(fk.ref_table)
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
        return ForeignKey(list(fk.columns), target.name, fk.ref_columns, fk.on_delete, fk.on_update)

    def _create_table(self, cmd: CreateTable) -> None:
        ns = self.need_namespace(cmd.namespace)
        name = mangle(ns, cmd.entity)
        if self.table(name) is not None:
            if cmd.if_not_exists:
                return
            raise StoreError(f'table "{ns}"."{cmd.entity}" already exists')
        table = TableDef(
            name,
            list(cmd.table.columns),
            list(cmd.table.primary_key),
            list(cmd.table.uniques),
            [],
        )
        table.foreign_keys = [self._check_reference(fk, table) for fk in cmd.table.foreign_keys]
        self.raw.execute(table.create_sql())

    def _drop_table(self, cmd: DropTable) -> None:
        stored = self.table(mangle(cmd.namespace, cmd.entity))
        if stored is None:
            if cmd.if_exists:
                return
            raise StoreError(f'table "{cmd.namespace}"."{cmd.entity}" does not exist')
        for child, _fk in self.children(stored):
            raise ForeignKeyViolation(f"cannot drop {stored}: {child} references it")
        self.raw.execute(f"DROP TABLE {quote(stored)}")

    def _alter(self, cmd: AlterTable) -> None:
        table = self.need_table(cmd.namespace, cmd.entity)
        cur = self.read(table)
        action = cmd.action
        if isinstance(action, RenameTable):
            new = mangle(unmangle(table)[0], action.new_entity)
            if self.table(new) is not None:
                raise StoreError(f"cannot rename {table} to {new}: that table exists")
            self.raw.execute(f"ALTER TABLE {quote(table)} RENAME TO {quote(new)}")
        elif isinstance(action, RenameColumn):
            self._column(cur, action.old)
            if cur.column(action.new) is not None:
                raise StoreError(f"cannot rename {table}.{action.old}: {action.new} exists")
            self.raw.execute(
                f"ALTER TABLE {quote(table)} RENAME COLUMN {quote(action.old)} "
                f"TO {quote(action.new)}"
            )
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
            raise StoreError(f"{table.name} has no column {name!r}")
        return col

    def _has_rows(self, table: str) -> bool:
        return bool(self._rows(f"SELECT 1 FROM {quote(table)} LIMIT 1"))

    def _add_column(self, cur: TableDef, action: AddColumn) -> None:
        col = action.column
        if cur.column(col.name) is not None:
            raise StoreError(f"{cur.name} already has a column {col.name!r}")
        fk = self._check_reference(action.foreign_key, cur) if action.foreign_key else None
        needs_value = col.not_null and col.default is None
        native = not (action.primary_key or action.unique or needs_value) and not (
            col.default is not None and col.default.upper() in SQL_NOW
        )
        if native:
            text = f"ALTER TABLE {quote(cur.name)} ADD COLUMN {col.sql()}"
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
        new = TableDef(
            cur.name,
            [*cur.columns, col],
            [col.name] if action.primary_key else list(cur.primary_key),
            [*cur.uniques, [col.name]] if action.unique else list(cur.uniques),
            [*cur.foreign_keys, fk] if fk is not None else list(cur.foreign_keys),
        )
        if action.primary_key and cur.primary_key:
            raise StoreError(f"{cur.name} already has a primary key")
        self._rebuild(cur, new, {c.name: quote(c.name) for c in cur.columns})

    def _drop_column(self, cur: TableDef, name: str) -> None:
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
            self.raw.execute(f"ALTER TABLE {quote(cur.name)} DROP COLUMN {quote(col.name)}")
            return
        new = TableDef(
            cur.name,
            [c for c in cur.columns if c.name.lower() != low],
            list(cur.primary_key),
            [u for u in cur.uniques if low not in (c.lower() for c in u)],
            [fk for fk in cur.foreign_keys if low not in (c.lower() for c in fk.columns)],
        )
        self._rebuild(cur, new, {c.name: quote(c.name) for c in new.columns})

    def _modify_column(self, cur: TableDef, action: ModifyColumn) -> None:
        col = self._column(cur, action.name)
        new_col = ColumnDef(col.name, col.type, col.not_null, col.default)
        copy = {c.name: quote(c.name) for c in cur.columns}
        convert = False
        if action.op == "set_not_null":
            nulls = self._rows(
                f"SELECT COUNT(*) FROM {quote(cur.name)} WHERE {quote(col.name)} IS NULL"
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
            new_col.default = default_sql(action.default_value, col.type)
        elif action.op == "drop_default":
            new_col.default = None
        else:
            assert action.new_type is not None
            new_col.type = action.new_type
            if col.default is not None and col.default.upper() not in SQL_NOW:
                try:
                    stored = parse_literal_sql(col.default)
                    new_col.default = sql_literal(convert_stored(stored, col.type, action.new_type))
                except (ValueError, ArithmeticError) as exc:
                    raise StoreError(
                        f"the default of {cur.name}.{col.name} does not fit "
                        f"{action.new_type}: {exc}"
                    ) from None
            copy[col.name] = (
                f"polynom_convert({quote(col.name)}, "
                f"{sql_literal(str(col.type))}, {sql_literal(str(action.new_type))})"
            )
            convert = True
        if new_col == col:
            return
        new = TableDef(
            cur.name,
            [new_col if c is col else c for c in cur.columns],
            list(cur.primary_key),
            list(cur.uniques),
            list(cur.foreign_keys),
        )
        self._rebuild(cur, new, copy, convert=convert)

    def _add_constraint(self, cur: TableDef, action: AddConstraint) -> None:
        for name in action.columns:
            self._column(cur, name)
        new = TableDef(
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
        self._rebuild(cur, new, {c.name: quote(c.name) for c in cur.columns})

    def _rebuild(
        self,
        old: TableDef,
        new: TableDef,
        copy: dict[str, str],
        *,
        convert: bool = False,
    ) -> None:
        """Replace ``old`` by ``new`` keeping every row (SQLite's documented procedure)."""
        failures: list[str] = []
        if convert:

            def polynom_convert(value: Any, old_type: str, new_type: str) -> Any:
                try:
                    return convert_stored(value, parse_type(old_type), parse_type(new_type))
                except (ValueError, ArithmeticError, StoreError) as exc:
                    failures.append(f"{value!r} ({exc})")
                    return None

            self.raw.create_function("polynom_convert", 3, polynom_convert, deterministic=True)
        for statement in rebuild_statements(old, new, copy, constraints=self.constraints):
            self.raw.execute(statement)
            if failures:
                raise StoreError(
                    f"cannot convert the values of {old.name} to the new type: "
                    f"{failures[0]}"
                    + (f" and {len(failures) - 1} more" if len(failures) > 1 else "")
                )
        self.rebuilt(new)

    #: Whether tables hold their keys as SQLite constraints (the embedded store's own way).
    constraints = True

    def rebuilt(self, table: TableDef) -> None:
        """After ``table`` was rebuilt: check its foreign keys (and its children's)."""
        self.to_check.add(table.name)
        self.to_check.update(child for child, _ in self.children(table.name))


def run_ddl(raw: sqlite3.Connection, commands: Sequence[tuple[str, DdlCommand]]) -> None:
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
            runner = DdlRunner(raw)
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
