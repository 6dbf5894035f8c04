"""SQLite's errors as polynom errors, through the store."""

from __future__ import annotations

import pytest

from polynom.errors import (
    ForeignKeyViolation,
    NotNullViolation,
    StoreError,
    UniqueViolation,
)
from polynom.stores.sqlite import SqliteStore
from tests.stores.sqlite._data import add_bikes, rows, shop

# -- errors ------------------------------------------------------------------------------------


def test_constraint_errors_are_mapped_and_roll_back(store: SqliteStore) -> None:
    shop(store)
    add_bikes(store, ("a", "a", None))
    with store.connection() as conn:
        conn.execute('INSERT INTO "shop"."bike" ("_entry_id", "name") VALUES (?, ?)', ["z", "z"])
        with pytest.raises(UniqueViolation, match=r"shop\.bike\._entry_id"):
            conn.execute(
                'INSERT INTO "shop"."bike" ("_entry_id", "name") VALUES (?, ?)', ["a", "b"]
            )
        assert not conn.in_transaction, "the transaction was rolled back"
        with pytest.raises(NotNullViolation, match=r"shop\.bike\.name"):
            conn.execute('INSERT INTO "shop"."bike" ("_entry_id") VALUES (?)', ["c"])
    assert rows(store, 'SELECT "_entry_id" FROM "shop"."bike"') == [("a",)]


def test_other_errors_name_the_statement(store: SqliteStore) -> None:
    with store.connection() as conn:
        with pytest.raises(StoreError, match=r'no such table: nope\.t.*SELECT \* FROM "nope"\."t"'):
            conn.execute('SELECT * FROM "nope"."t"')
        with pytest.raises(StoreError, match="syntax error"):
            conn.execute("SELEC 1")
        with pytest.raises(StoreError, match="bindings"):
            conn.execute("SELECT ?", [1, 2])
        with pytest.raises(StoreError, match="too large"):
            conn.execute("SELECT ?", [2**70])


def test_cross_namespace_foreign_keys_are_checked_at_commit(store: SqliteStore) -> None:
    shop(store)
    with store.connection() as conn:
        # child before parent in one transaction: fine, the check waits for the commit
        conn.execute(
            'INSERT INTO "shop"."bike" ("_entry_id", "name", "owner") VALUES (?, ?, ?)',
            ["b1", "one", "p1"],
        )
        conn.execute(
            'INSERT INTO "people"."person" ("_entry_id", "name") VALUES (?, ?)', ["p1", "Ann"]
        )
        conn.commit()

        conn.execute(
            'INSERT INTO "shop"."bike" ("_entry_id", "name", "owner") VALUES (?, ?, ?)',
            ["b2", "two", "ghost"],
        )
        with pytest.raises(
            ForeignKeyViolation, match=r"shop\.bike\.owner = 'ghost' references people\.person"
        ):
            conn.commit()
        assert not conn.in_transaction

        conn.execute('DELETE FROM "people"."person" WHERE "_entry_id" = ?', ["p1"])
        with pytest.raises(ForeignKeyViolation):
            conn.commit()
    assert rows(store, 'SELECT "_entry_id" FROM "shop"."bike"') == [("b1",)]
    assert rows(store, 'SELECT "_entry_id" FROM "people"."person"') == [("p1",)]
