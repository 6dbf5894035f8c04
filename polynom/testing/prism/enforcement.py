"""Polypheny's constraint enforcement, for a stand-in started with its runtime settings on.

A default Polypheny enforces no key (``runtime/uniqueConstraintEnforcement`` and
``runtime/foreignKeyEnforcement`` are ``false``: Polypheny-DB's ``core/src/main/java/org/
polypheny/db/config/RuntimeConfig.java``). Turned on, it checks as here:

* unique keys (the primary key among them, named ``PRIMARY KEY``) right after each write to
  a table, over the whole table, grouping by the key, and it leaves the failed write and the
  transaction in place (``core/.../algebra/logical/common/LogicalConstraintEnforcer.java``,
  the ``ON_QUERY`` enforcer; ``core/.../functions/Functions.java``);
* foreign keys at commit, for every table the transaction wrote (its own keys and the keys
  that reference it); a violation rolls the transaction back and names the first violated
  key (``dbms/.../processing/ConstraintEnforceAttacher.java``, ``dbms/.../transaction/
  TransactionImpl.java``).

The keys are those of the embedded store's Polypheny semantics (its catalog of keys). Not
emulated, read in the source but not seen on a server (``docs/testing.md``): the grouping
also puts NULLs together, so two NULLs in a unique column would count as a violation (here
NULLs never clash, as in SQL); the catalog's key lookup makes foreign key and primary key
constraints further unique checks; the foreign key control counts a NULL key as dangling.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from polynom.errors import ForeignKeyViolation
from polynom.sql import select as sql_select
from polynom.sql.names import entity, quote
from polynom.stores.sqlite.refusals import EXECUTION, PolyphenyRefusal
from polynom.stores.sqlite.translate.names import unmangle
from polynom.testing.prism.sqltext import first_keyword

if TYPE_CHECKING:
    from polynom.stores.base import StoreConnection
    from polynom.stores.sqlite.translate.tables import TableDef
    from polynom.stores.sqlite.translate.translation import Translation

__all__ = ["check_foreign_keys", "check_unique"]

_VERBS = {"INSERT": "Insert", "UPDATE": "Update", "MERGE": "Merge"}


def _table(conn: StoreConnection, namespace: str, name: str) -> TableDef | None:
    describe: Any = getattr(conn, "table", None)
    return None if describe is None else describe(namespace, name)


def check_unique(conn: StoreConnection, tr: Translation, sql: str) -> None:
    """After a write to ``tr.target``: refuse it when a unique key of the table is held
    twice (the write stays, as on Polypheny)."""
    verb = _VERBS.get(first_keyword(sql))
    if verb is None or tr.target is None:
        return
    table = _table(conn, *tr.target)
    if table is None:
        return
    name = unmangle(table.name)[1]
    keys = [("PRIMARY KEY", table.primary_key)] if table.primary_key else []
    keys += [(table.unique_name(i) or f"auto_c_{i}", u) for i, u in enumerate(table.uniques)]
    where = entity(*unmangle(table.name))
    violated = [
        f"{verb} violates unique constraint `{name}`.`{key_name}`"
        for key_name, columns in keys
        if conn.execute(
            sql_select.duplicates(where, columns, [f"{quote(c)} IS NOT NULL" for c in columns])
        ).rows
    ]
    if violated:
        raise PolyphenyRefusal("\n".join(violated), EXECUTION)


def check_foreign_keys(conn: StoreConnection, written: Iterable[tuple[str, str]]) -> None:
    """Before a commit: refuse (:class:`ForeignKeyViolation`) when a foreign key of a table
    the transaction wrote, or one that references it, points nowhere."""
    for namespace, name in sorted(written):
        table = _table(conn, namespace, name)
        if table is None:
            continue
        for child, fk in _keys_touching(conn, table):
            parent = _table(conn, *unmangle(fk.ref_table))
            if parent is None:
                continue
            columns = fk.ref_columns or parent.primary_key
            found = conn.execute(
                sql_select.dangling(
                    entity(*unmangle(child)),
                    fk.columns,
                    entity(*unmangle(parent.name)),
                    columns,
                )
            ).rows
            if found:
                # core/.../algebra/logical/common/LogicalConstraintEnforcer.java (the commit
                # control) and dbms/.../transaction/TransactionImpl.java (the rollback)
                raise ForeignKeyViolation(
                    f"Transaction violates foreign key constraint `{name}`.`{fk.name}`\n"
                    "There are violated constraints, the transaction was rolled back!"
                )


def _keys_touching(conn: StoreConnection, table: TableDef) -> list[tuple[str, Any]]:
    """The foreign keys of ``table`` and those of other tables that reference it."""
    found = [(table.name, fk) for fk in table.foreign_keys]
    lister: Any = getattr(conn, "referencing", None)
    if lister is not None:
        found += lister(table.name)
    return found
