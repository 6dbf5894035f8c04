"""What connections ask of the catalog: result column types, homes of bare table names."""

from __future__ import annotations

import pytest

from polynom.errors import (
    StoreError,
)
from polynom.stores.sqlite import SqliteResult, SqliteStore
from tests.stores.sqlite._data import add_bikes, rows, shop


def test_query_results_name_the_polypheny_type_of_plain_columns(store: SqliteStore) -> None:
    shop(store)
    query = (
        'SELECT "t0"."price" AS "p", "t0".*, COUNT(*) FROM "shop"."bike" AS "t0" '
        'GROUP BY "t0"."_entry_id"'
    )
    with store.connection() as conn:
        result = conn.execute(query)
        assert isinstance(result, SqliteResult)
        assert result.types == [
            "DECIMAL(10, 2)",
            "VARCHAR(36)",
            "VARCHAR(50)",
            "DECIMAL(10, 2)",
            "VARCHAR(36)",
            None,
        ]
        joined = conn.execute(
            'SELECT "owner", "people"."person"."name", UPPER("bike"."name") FROM "people"."person" '
            'JOIN "shop"."bike" ON "bike"."owner" = "person"."_entry_id"'
        )
        assert joined.types == ["VARCHAR(36)", "VARCHAR(50)", None]
    store.execute_ddl(['ALTER TABLE "shop"."bike" MODIFY COLUMN "price" SET TYPE DECIMAL(12, 3)'])
    with store.connection() as conn:
        assert conn.execute('SELECT "price" FROM "shop"."bike"').types == ["DECIMAL(12, 3)"]


def test_bare_table_names_are_found_in_the_one_namespace_that_has_them(store: SqliteStore) -> None:
    shop(store)  # PolyNOM 0.3 queries 'SELECT * FROM "bike"' without naming the namespace
    add_bikes(store, ("a", "a", "1"))
    with store.connection() as conn:
        assert conn.execute('SELECT "bike"."name" FROM "bike"').rows == [("a",)]
        conn.execute('UPDATE "bike" SET "name" = ? WHERE "_entry_id" = ?', ["b", "a"])
        conn.commit()
        store.execute_ddl(['CREATE TABLE "public"."bike" ("name" TEXT)'])
        assert conn.execute('SELECT "name" FROM "bike"').rows == []  # public has one now
        conn.rollback()  # leave the snapshot that still has public.bike
        store.execute_ddl(['DROP TABLE "public"."bike"', 'CREATE TABLE "people"."bike" ("x" INT)'])
        with pytest.raises(StoreError, match=r"no such table: public\.bike"):
            conn.execute('SELECT * FROM "bike"')  # two namespaces have one: ambiguous
    assert rows(store, 'SELECT "name" FROM "shop"."bike"') == [("b",)]
