"""What the embedded store's tests share: a table of every type, and a small shop."""

from __future__ import annotations

from decimal import Decimal

from polynom.stores.sqlite import SqliteStore

#: Every Polypheny type, as the mapper writes it.
POLY_TYPES = [
    "VARCHAR(36)",
    "TEXT",
    "INTEGER",
    "SMALLINT",
    "TINYINT",
    "BIGINT",
    "DOUBLE",
    "REAL",
    "DECIMAL(10, 2)",
    "BOOLEAN",
    "DATE",
    "TIME(3)",
    "TIMESTAMP(3)",
    "FILE",
]


def rows(store: SqliteStore, sql: str, params: list[object] | None = None) -> list[tuple]:
    """The rows a query returns, on a pooled connection."""
    with store.connection() as conn:
        return conn.execute(sql, params or []).rows


def shop(store: SqliteStore) -> None:
    """Namespaces ``shop`` and ``people``: a bike that may have a person as owner."""
    store.execute_ddl(
        [
            'CREATE RELATIONAL NAMESPACE IF NOT EXISTS "shop"',
            'CREATE RELATIONAL NAMESPACE IF NOT EXISTS "people"',
            'CREATE TABLE IF NOT EXISTS "people"."person" ("_entry_id" VARCHAR(36) NOT NULL, '
            '"name" VARCHAR(50) NOT NULL, PRIMARY KEY ("_entry_id"), UNIQUE ("name"))',
            'CREATE TABLE IF NOT EXISTS "shop"."bike" ("_entry_id" VARCHAR(36) NOT NULL, '
            '"name" VARCHAR(50) NOT NULL, "price" DECIMAL(10, 2), "owner" VARCHAR(36), '
            'PRIMARY KEY ("_entry_id"), '
            'FOREIGN KEY ("owner") REFERENCES "people"."person" ("_entry_id"))',
        ]
    )


def add_bikes(store: SqliteStore, *bikes: tuple[str, str, str | None]) -> None:
    """Insert and commit bikes given as (entry id, name, price text or None)."""
    with store.connection() as conn:
        for entry, name, price in bikes:
            conn.execute(
                'INSERT INTO "shop"."bike" ("_entry_id", "name", "price") VALUES (?, ?, ?)',
                [entry, name, Decimal(price) if price is not None else None],
            )
        conn.commit()


def people(store: SqliteStore) -> None:
    """The shop with Ann and Bob, and Ann's bike."""
    shop(store)
    with store.connection() as conn:
        conn.execute(
            'INSERT INTO "people"."person" ("_entry_id", "name") VALUES (?, ?), (?, ?)',
            ["p1", "Ann", "p2", "Bob"],
        )
        conn.execute(
            'INSERT INTO "shop"."bike" ("_entry_id", "name", "price", "owner") VALUES (?, ?, ?, ?)',
            ["b1", "One", Decimal("10.50"), "p1"],
        )
        conn.commit()
