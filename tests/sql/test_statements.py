"""The statement texts of polynom.sql: names quoted, values always ``?`` parameters."""

from __future__ import annotations

import pytest

from polynom.errors import SchemaError
from polynom.sql import ddl, dml, select
from polynom.sql.names import entity, quote
from tests.models import BikeSchema, PartSchema


def test_names_are_validated_and_quoted():
    assert entity("shop", "bike") == '"shop"."bike"'
    for bad in ["", 'a"b', "x\x00", "a" * 129, 5]:
        with pytest.raises(SchemaError, match="cannot be used as a name"):
            quote(bad)  # type: ignore[arg-type]


def test_create_table_declares_keys_and_references():
    text = ddl.create_table(PartSchema)
    assert text.startswith('CREATE TABLE IF NOT EXISTS "shop"."part" (')
    assert '"_entry_id" VARCHAR(36) NOT NULL' in text and '"label" TEXT NOT NULL' in text
    assert 'PRIMARY KEY ("_entry_id")' in text
    assert 'FOREIGN KEY ("bike_id") REFERENCES "shop"."bike" ("_entry_id")' in text
    assert "DEFAULT TRUE" in ddl.create_table(BikeSchema)  # in_stock defaults to True


def test_column_changes():
    t = '"shop"."bike"'
    assert ddl.rename_column(t, "a", "b") == f'ALTER TABLE {t} RENAME COLUMN "a" TO "b"'
    assert ddl.set_not_null(t, "a") == f'ALTER TABLE {t} MODIFY COLUMN "a" SET NOT NULL'
    assert ddl.set_column_default(t, "a", "'x'") == (
        f"ALTER TABLE {t} MODIFY COLUMN \"a\" SET DEFAULT 'x'"
    )
    assert dml.fill_nulls(t, "a") == f'UPDATE {t} SET "a" = ? WHERE "a" IS NULL'


def test_dml_binds_every_value():
    assert (
        dml.insert_rows('"t"', ["a", "b"], 2) == 'INSERT INTO "t" ("a", "b") VALUES (?, ?), (?, ?)'
    )
    assert dml.update_checked('"t"', ["a"], [("a", True)]) == (
        'UPDATE "t" SET "a" = ? WHERE "_entry_id" = ? AND "a" IS NULL'
    )
    assert dml.delete_where_ids('"t"', 3) == 'DELETE FROM "t" WHERE "_entry_id" IN (?, ?, ?)'
    assert dml.delete_all('"t"', ["app_uuid"]) == 'DELETE FROM "t" WHERE "app_uuid" = ?'


def test_select_paging_and_counts():
    # a bare OFFSET is Polypheny's grammar (Parser.jj); a LIMIT of 2^63 - 1 would be read as
    # a Java int (-1) and refused
    assert select.select("*", '"t"', offset=5) == 'SELECT * FROM "t" OFFSET 5'
    assert select.select("*", '"t"', ["a = ?"], distinct=True, order_by=['"a" DESC'], limit=2) == (
        'SELECT DISTINCT * FROM "t" WHERE a = ? ORDER BY "a" DESC LIMIT 2'
    )
    assert select.count_of("SELECT 1") == 'SELECT COUNT(*) FROM (SELECT 1) AS "q"'
    assert select.scan_page(["_entry_id"], '"t"', "_entry_id", 10, '"x" = ?') == (
        'SELECT "_entry_id" FROM "t" WHERE "x" = ? AND "_entry_id" > ? '
        'ORDER BY "_entry_id" LIMIT 10'
    )
