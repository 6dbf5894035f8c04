"""Tables as SQLite holds them: columns, keys and foreign keys, read back from SQLite's
catalog, written as SQLite DDL, and rebuilt (SQLite's procedure for the ALTER forms it lacks).

Foreign keys are always declared ``DEFERRABLE INITIALLY DEFERRED``: checked at commit, as on
Polypheny.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from polynom.errors import StoreError
from polynom.stores.sqlite.translate.names import REBUILD_SUFFIX, check_entity_name, quote
from polynom.stores.sqlite.translate.tokens import first_line
from polynom.stores.sqlite.translate.types import ColumnType, type_from_decl


@dataclass(slots=True)
class ColumnDef:
    """One column: Polypheny type, nullability and the SQLite text of its default."""

    name: str
    type: ColumnType
    not_null: bool = False
    default: str | None = None  # SQLite literal text, e.g. "'1.10'" or "CURRENT_TIMESTAMP"

    def sql(self) -> str:
        parts = [quote(self.name), self.type.column_sql]
        if self.not_null:
            parts.append("NOT NULL")
        if self.default is not None:
            parts.append(f"DEFAULT {self.default}")
        return " ".join(parts)


@dataclass(slots=True)
class ForeignKey:
    """``FOREIGN KEY (columns) REFERENCES table (ref_columns)``, always checked at commit."""

    columns: list[str]
    ref_table: str  # the SQLite table, "ns.t"
    ref_columns: list[str] | None = None
    on_delete: str | None = None
    on_update: str | None = None
    name: str | None = None  # the constraint's name, where it has one

    def sql(self) -> str:
        """The table constraint."""
        return f"FOREIGN KEY ({', '.join(map(quote, self.columns))}) {self.references_sql()}"

    def references_sql(self) -> str:
        """The REFERENCES clause (also usable as a column constraint)."""
        text = f"REFERENCES {quote(self.ref_table)}"
        if self.ref_columns:
            text += f" ({', '.join(map(quote, self.ref_columns))})"
        if self.on_delete and self.on_delete != "NO ACTION":
            text += f" ON DELETE {self.on_delete}"
        if self.on_update and self.on_update != "NO ACTION":
            text += f" ON UPDATE {self.on_update}"
        return text + " DEFERRABLE INITIALLY DEFERRED"


@dataclass(slots=True)
class TableDef:
    """A table as SQLite holds it: ``name`` is the SQLite name ``"ns.t"``."""

    name: str
    columns: list[ColumnDef]
    primary_key: list[str] = field(default_factory=list)
    uniques: list[list[str]] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)
    #: The name of each unique constraint (parallel to ``uniques``; None where unnamed).
    unique_names: list[str | None] = field(default_factory=list)

    def unique_name(self, index: int) -> str | None:
        return self.unique_names[index] if index < len(self.unique_names) else None

    def column(self, name: str) -> ColumnDef | None:
        low = name.lower()
        for c in self.columns:
            if c.name.lower() == low:
                return c
        return None

    def create_sql(self, name: str | None = None, *, constraints: bool = True) -> str:
        """``CREATE TABLE`` for SQLite. Primary key columns are NOT NULL (SQLite would
        otherwise allow NULL in them). Without ``constraints`` the table has none, not even
        NOT NULL: what Polypheny's default store holds (its keys live in its catalog)."""
        if not constraints:
            plain = [replace(c, not_null=False).sql() for c in self.columns]
            return f"CREATE TABLE {quote(name or self.name)} ({', '.join(plain)})"
        pk = {c.lower() for c in self.primary_key}
        items = []
        for c in self.columns:
            if c.name.lower() in pk and not c.not_null:
                c = replace(c, not_null=True)
            items.append(c.sql())
        if self.primary_key:
            items.append(f"PRIMARY KEY ({', '.join(map(quote, self.primary_key))})")
        items.extend(f"UNIQUE ({', '.join(map(quote, u))})" for u in self.uniques)
        items.extend(fk.sql() for fk in self.foreign_keys)
        return f"CREATE TABLE {quote(name or self.name)} ({', '.join(items)})"

    def validate(self, sql: str) -> None:
        """Every constraint names existing columns; column names are unique."""
        seen: set[str] = set()
        for c in self.columns:
            check_entity_name(c.name)
            if c.name.lower() in seen:
                raise StoreError(
                    f"column {c.name!r} is declared twice; statement: {first_line(sql)}"
                )
            seen.add(c.name.lower())
        groups = [self.primary_key, *self.uniques, *(fk.columns for fk in self.foreign_keys)]
        for group in groups:
            for col in group:
                if col.lower() not in seen:
                    raise StoreError(
                        f"constraint names the unknown column {col!r}; statement: {first_line(sql)}"
                    )


def table_def_from_catalog(
    name: str,
    table_info: Sequence[tuple[Any, ...]],
    unique_indexes: Sequence[tuple[str, list[str]]],
    foreign_keys: Sequence[tuple[Any, ...]],
) -> TableDef:
    """Rebuild a :class:`TableDef` from SQLite's catalog.

    ``table_info``: rows of ``pragma_table_info`` (cid, name, type, notnull, dflt, pk);
    ``unique_indexes``: (origin, columns) of the table's ``'u'`` / ``'pk'`` indexes;
    ``foreign_keys``: rows of ``pragma_foreign_key_list`` (id, seq, table, from, to,
    on_update, on_delete, match).
    """
    columns: list[ColumnDef] = []
    pk: list[tuple[int, str]] = []
    for _cid, col, decl, notnull, dflt, pk_pos in table_info:
        ptype = type_from_decl(decl)
        if ptype is None:
            raise StoreError(f"column {col!r} of {name} has type {decl!r}, not a Polypheny type")
        columns.append(ColumnDef(col, ptype, bool(notnull), dflt))
        if pk_pos:
            pk.append((pk_pos, col))
    uniques = [cols for origin, cols in unique_indexes if origin == "u"]
    fks: dict[int, ForeignKey] = {}
    for fk_id, _seq, ref, frm, to, on_update, on_delete, _match in foreign_keys:
        fk = fks.get(fk_id)
        if fk is None:
            ref_columns: list[str] | None = [] if to is not None else None
            fk = fks[fk_id] = ForeignKey([], ref, ref_columns, on_delete, on_update)
        fk.columns.append(frm)
        if fk.ref_columns is not None and to is not None:
            fk.ref_columns.append(to)
    return TableDef(
        name,
        columns,
        [c for _, c in sorted(pk)],
        uniques,
        [fks[k] for k in sorted(fks)],
    )


def rebuild_statements(
    old: TableDef, new: TableDef, copy: dict[str, str], *, constraints: bool = True
) -> list[str]:
    """The statements that replace ``old`` by ``new`` keeping the rows.

    ``copy`` maps each column of ``new`` that takes data to an SQL expression over ``old``'s
    columns (columns not in it get their default). Run inside one transaction with
    foreign keys off, then check them (``pragma_foreign_key_check``) before committing.
    """
    tmp = new.name + REBUILD_SUFFIX
    stmts = [new.create_sql(tmp, constraints=constraints)]
    if copy:
        cols = ", ".join(quote(c) for c in copy)
        exprs = ", ".join(copy.values())
        stmts.append(f"INSERT INTO {quote(tmp)} ({cols}) SELECT {exprs} FROM {quote(old.name)}")
    stmts.append(f"DROP TABLE {quote(old.name)}")
    stmts.append(f"ALTER TABLE {quote(tmp)} RENAME TO {quote(new.name)}")
    return stmts
