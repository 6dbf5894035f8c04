"""DDL on the embedded store: namespaces, tables, and every ALTER form keeping the data."""

from __future__ import annotations

from decimal import Decimal

import pytest

from polynom.errors import (
    ConflictError,
    ForeignKeyViolation,
    NotNullViolation,
    StoreError,
    UniqueViolation,
)
from polynom.stores.sqlite import SqliteStore
from tests.stores.sqlite._data import people, rows, shop

# -- namespaces and foreign keys ---------------------------------------------------------------


def test_namespaces_are_created_listed_and_dropped_with_their_tables(store: SqliteStore) -> None:
    store.execute_ddl(
        [
            'CREATE DOCUMENT NAMESPACE "a"',
            'CREATE GRAPH NAMESPACE IF NOT EXISTS "b"',
            'CREATE RELATIONAL NAMESPACE IF NOT EXISTS "a"',
            'CREATE TABLE "a"."t" ("x" INTEGER)',
            'CREATE TABLE "b"."t" ("x" INTEGER)',
        ]
    )
    with store.connection() as conn:
        conn.execute('INSERT INTO "a"."t" ("x") VALUES (1)')
        conn.execute('INSERT INTO "b"."t" ("x") VALUES (2)')
        conn.commit()
    assert rows(store, 'SELECT "x" FROM "a"."t"') == [(1,)]
    with pytest.raises(StoreError, match='namespace "a" already exists'):
        store.execute_ddl(['CREATE RELATIONAL NAMESPACE "a"'])
    store.execute_ddl(['DROP NAMESPACE "a"', 'DROP NAMESPACE IF EXISTS "zzz"'])
    with pytest.raises(StoreError, match="no such table"):
        rows(store, 'SELECT * FROM "a"."t"')
    assert rows(store, 'SELECT "x" FROM "b"."t"') == [(2,)]
    with pytest.raises(StoreError, match='namespace "a" does not exist'):
        store.execute_ddl(['CREATE TABLE "a"."t" ("x" INTEGER)'])
    with pytest.raises(StoreError, match='namespace "a" does not exist'):
        store.execute_ddl(['DROP NAMESPACE "a"'])


def test_a_referenced_table_cannot_be_dropped(store: SqliteStore) -> None:
    shop(store)
    with pytest.raises(ForeignKeyViolation, match=r"shop\.bike references"):
        store.execute_ddl(['DROP TABLE "people"."person"'])
    with pytest.raises(ForeignKeyViolation, match=r"shop\.bike references"):
        store.execute_ddl(['DROP NAMESPACE "people"'])
    store.execute_ddl(['DROP TABLE "shop"."bike"', 'DROP NAMESPACE "people"'])


def test_a_foreign_key_to_a_missing_table_is_refused(store: SqliteStore) -> None:
    with pytest.raises(StoreError, match=r"references public\.nope, which does not exist"):
        store.execute_ddl(
            ['CREATE TABLE "public"."c" ("x" INTEGER REFERENCES "public"."nope" ("id"))']
        )


def test_a_failed_ddl_batch_leaves_nothing(store: SqliteStore) -> None:
    with pytest.raises(StoreError, match="unknown column type"):
        store.execute_ddl(
            [
                'CREATE RELATIONAL NAMESPACE "half"',
                'CREATE TABLE "half"."t" ("x" INTEGER)',
                'CREATE TABLE "half"."u" ("x" NOTATYPE)',
            ]
        )
    store.execute_ddl(['CREATE RELATIONAL NAMESPACE "half"'])  # it was not created before
    with pytest.raises(StoreError, match="no such table"):
        rows(store, 'SELECT * FROM "half"."t"')


def test_execute_ddl_refuses_dml(store: SqliteStore) -> None:
    with pytest.raises(StoreError, match="DDL only"):
        store.execute_ddl(["SELECT 1"])


# -- ALTER TABLE keeps the data -------------------------------------------------------------


def test_rename_table_keeps_data_and_incoming_foreign_keys(store: SqliteStore) -> None:
    people(store)
    store.execute_ddl(['ALTER TABLE "people"."person" RENAME TO "human"'])
    assert rows(store, 'SELECT "name" FROM "people"."human" ORDER BY "name"') == [
        ("Ann",),
        ("Bob",),
    ]
    with store.connection() as conn:
        conn.execute('DELETE FROM "people"."human" WHERE "_entry_id" = ?', ["p1"])
        with pytest.raises(ForeignKeyViolation, match=r"people\.human"):
            conn.commit()


def test_add_columns(store: SqliteStore) -> None:
    people(store)
    store.execute_ddl(
        [
            'ALTER TABLE "people"."person" ADD COLUMN "nick" VARCHAR(10)',
            'ALTER TABLE "people"."person" ADD COLUMN "score" DECIMAL(5, 2) NOT NULL DEFAULT 1.50',
            'ALTER TABLE "people"."person" ADD "vip" BOOLEAN NULL DEFAULT FALSE',
        ]
    )
    assert rows(
        store, 'SELECT "name", "nick", "score", "vip" FROM "people"."person" ORDER BY "name"'
    ) == [
        ("Ann", None, Decimal("1.50"), False),
        ("Bob", None, Decimal("1.50"), False),
    ]
    with pytest.raises(NotNullViolation, match="the table has rows"):
        store.execute_ddl(['ALTER TABLE "people"."person" ADD COLUMN "must" INTEGER NOT NULL'])
    store.execute_ddl(
        [
            'CREATE TABLE "people"."empty" ("a" INTEGER)',
            'ALTER TABLE "people"."empty" ADD COLUMN "must" INTEGER NOT NULL',
            'ALTER TABLE "people"."empty" ADD COLUMN "u" TEXT UNIQUE',
        ]
    )
    assert store.column_types("people", "empty") == {"a": "INTEGER", "must": "INTEGER", "u": "TEXT"}


def test_drop_and_rename_columns(store: SqliteStore) -> None:
    people(store)
    store.execute_ddl(
        [
            'ALTER TABLE "shop"."bike" RENAME COLUMN "price" TO "cost"',
            'ALTER TABLE "people"."person" DROP COLUMN "name"',  # part of a UNIQUE: rebuilt
        ]
    )
    assert rows(store, 'SELECT "_entry_id", "cost" FROM "shop"."bike"') == [
        ("b1", Decimal("10.50"))
    ]
    assert rows(store, 'SELECT * FROM "people"."person" ORDER BY "_entry_id"') == [("p1",), ("p2",)]
    store.execute_ddl(['ALTER TABLE "shop"."bike" DROP COLUMN "cost"'])
    assert store.column_types("shop", "bike") == {
        "_entry_id": "VARCHAR(36)",
        "name": "VARCHAR(50)",
        "owner": "VARCHAR(36)",
    }
    with pytest.raises(StoreError, match="primary key"):
        store.execute_ddl(['ALTER TABLE "shop"."bike" DROP COLUMN "_entry_id"'])
    store.execute_ddl(
        [
            'CREATE TABLE "people"."tag" ("code" VARCHAR(5) UNIQUE, "x" INTEGER)',
            'CREATE TABLE "people"."tagged" ("tag" VARCHAR(5) REFERENCES "people"."tag" ("code"))',
        ]
    )
    with pytest.raises(ForeignKeyViolation, match=r"people\.tagged references it"):
        store.execute_ddl(['ALTER TABLE "people"."tag" DROP COLUMN "code"'])


def test_modify_nullability_and_defaults(store: SqliteStore) -> None:
    people(store)
    with store.connection() as conn:
        conn.execute('INSERT INTO "shop"."bike" ("_entry_id", "name") VALUES (?, ?)', ["b2", "Two"])
        conn.commit()
    with pytest.raises(NotNullViolation, match="1 entries hold NULL"):
        store.execute_ddl(['ALTER TABLE "shop"."bike" MODIFY COLUMN "price" SET NOT NULL'])
    store.execute_ddl(
        [
            'ALTER TABLE "shop"."bike" MODIFY COLUMN "price" SET DEFAULT 7.10',
            'ALTER TABLE "shop"."bike" MODIFY COLUMN "name" DROP NOT NULL',
        ]
    )
    with store.connection() as conn:
        conn.execute(
            'UPDATE "shop"."bike" SET "price" = ? WHERE "price" IS NULL', [Decimal("0.00")]
        )
        conn.execute('INSERT INTO "shop"."bike" ("_entry_id") VALUES (?)', ["b3"])
        conn.commit()
    store.execute_ddl(['ALTER TABLE "shop"."bike" MODIFY COLUMN "price" SET NOT NULL'])
    assert rows(
        store,
        'SELECT "_entry_id", "name", "price", "owner" FROM "shop"."bike" ORDER BY "_entry_id"',
    ) == [
        ("b1", "One", Decimal("10.50"), "p1"),
        ("b2", "Two", Decimal("0.00"), None),
        ("b3", None, Decimal("7.10"), None),
    ]
    store.execute_ddl(['ALTER TABLE "shop"."bike" MODIFY COLUMN "price" DROP DEFAULT'])
    with store.connection() as conn, pytest.raises(NotNullViolation, match="price"):
        conn.execute('INSERT INTO "shop"."bike" ("_entry_id") VALUES (?)', ["b4"])
    # the rebuilt child still checks its foreign key, at commit
    with store.connection() as conn:
        conn.execute('UPDATE "shop"."bike" SET "owner" = ? WHERE "_entry_id" = ?', ["ghost", "b2"])
        with pytest.raises(ForeignKeyViolation):
            conn.commit()


def test_set_type_converts_values(store: SqliteStore) -> None:
    store.execute_ddl(
        [
            'CREATE TABLE "public"."m" ("id" INTEGER NOT NULL, "v" VARCHAR(10) DEFAULT \'5\', '
            'PRIMARY KEY ("id"))'
        ]
    )
    with store.connection() as conn:
        conn.execute(
            'INSERT INTO "m" ("id", "v") VALUES (?, ?), (?, ?), (?, ?)', [1, "12", 2, "3", 3, None]
        )
        conn.commit()
    store.execute_ddl(['ALTER TABLE "public"."m" MODIFY COLUMN "v" SET TYPE INTEGER'])
    assert rows(store, 'SELECT "v" FROM "m" ORDER BY "v"') == [(None,), (3,), (12,)]
    store.execute_ddl(['ALTER TABLE "public"."m" MODIFY COLUMN "v" SET TYPE DECIMAL(6, 2)'])
    assert rows(store, 'SELECT "v" FROM "m" ORDER BY "v" DESC') == [
        (Decimal("12.00"),),
        (Decimal("3.00"),),
        (None,),
    ]
    assert store.column_types("public", "m")["v"] == "DECIMAL(6, 2)"
    with store.connection() as conn:
        conn.execute('INSERT INTO "m" ("id") VALUES (?)', [4])
        conn.commit()
    assert rows(store, 'SELECT "v" FROM "m" WHERE "id" = 4') == [(Decimal("5.00"),)]
    with pytest.raises(StoreError, match=r"default of public\.m\.v does not fit BOOLEAN"):
        store.execute_ddl(['ALTER TABLE "public"."m" MODIFY COLUMN "v" SET TYPE BOOLEAN'])
    with pytest.raises(StoreError, match=r"cannot convert .*12\.00"):
        store.execute_ddl(
            [
                'ALTER TABLE "public"."m" MODIFY COLUMN "v" DROP DEFAULT',
                'ALTER TABLE "public"."m" MODIFY COLUMN "v" SET TYPE BOOLEAN',
            ]
        )
    assert store.column_types("public", "m")["v"] == "DECIMAL(6, 2)", (
        "a failed change leaves the table"
    )


def test_add_constraints(store: SqliteStore) -> None:
    people(store)
    with pytest.raises(UniqueViolation):
        store.execute_ddl(
            [
                'ALTER TABLE "shop"."bike" ADD COLUMN "color" TEXT DEFAULT \'red\'',
                'ALTER TABLE "people"."person" ADD COLUMN "c" TEXT DEFAULT \'x\'',
                'ALTER TABLE "people"."person" ADD CONSTRAINT "u_c" UNIQUE ("c")',
            ]
        )
    assert "color" not in store.column_types("shop", "bike"), "the failed batch left nothing"
    store.execute_ddl(
        [
            'ALTER TABLE "people"."person" ADD COLUMN "c" TEXT',
            'ALTER TABLE "people"."person" ADD UNIQUE ("c")',
        ]
    )
    with store.connection() as conn:
        with pytest.raises(UniqueViolation, match=r"people\.person\.c"):
            conn.execute('UPDATE "people"."person" SET "c" = ?', ["same"])
        assert not conn.in_transaction
    with pytest.raises(
        ForeignKeyViolation, match=r"shop\.bike\.maker = 'ghost' references people\.person"
    ):
        store.execute_ddl(
            [
                'ALTER TABLE "shop"."bike" ADD COLUMN "maker" VARCHAR(36) DEFAULT \'ghost\'',
                'ALTER TABLE "shop"."bike" ADD FOREIGN KEY ("maker") '
                'REFERENCES "people"."person" ("_entry_id")',
            ]
        )


def test_a_foreign_key_must_reference_a_key(store: SqliteStore) -> None:
    shop(store)
    with pytest.raises(StoreError, match="neither its primary key nor unique"):
        store.execute_ddl(
            ['CREATE TABLE "shop"."x" ("b" VARCHAR(50) REFERENCES "shop"."bike" ("name"))']
        )
    store.execute_ddl(['CREATE TABLE "shop"."x" ("p" VARCHAR(50) REFERENCES "people"."person")'])


def test_ddl_waits_for_an_open_writer_then_conflicts(store: SqliteStore) -> None:
    shop(store)
    with store.connection() as writer:
        writer.execute(
            'INSERT INTO "people"."person" ("_entry_id", "name") VALUES (?, ?)', ["1", "a"]
        )
        with pytest.raises(ConflictError, match="holds the write lock"):
            store.execute_ddl(['CREATE TABLE "people"."later" ("x" INTEGER)'])
        writer.commit()
    store.execute_ddl(['CREATE TABLE "people"."later" ("x" INTEGER)'])
