"""DDL parsed into commands: every form the mapper and PolyNOM 0.3 write, and clear refusals."""

from __future__ import annotations

import pytest

from polynom.errors import StoreError
from polynom.stores.sqlite.translate.ddl import (
    AddColumn,
    AddConstraint,
    AlterAction,
    AlterTable,
    CreateNamespace,
    CreateTable,
    DropColumn,
    DropNamespace,
    DropTable,
    ModifyColumn,
    RenameColumn,
    RenameTable,
    parse_ddl,
)
from polynom.stores.sqlite.translate.types import ColumnType


def test_create_table_renders_sqlite_ddl_with_deferred_foreign_keys() -> None:
    cmd = parse_ddl(
        'CREATE TABLE IF NOT EXISTS "shop"."bike" ("_entry_id" VARCHAR(36) NOT NULL, '
        '"price" DECIMAL(10, 2) DEFAULT 1.10, "ok" BOOLEAN NOT NULL DEFAULT TRUE, '
        '"at" TIMESTAMP(3) DEFAULT \'2020-01-01 10:00:00\', "owner" VARCHAR(36), '
        'PRIMARY KEY ("_entry_id"), UNIQUE ("price"), '
        'FOREIGN KEY ("owner") REFERENCES "people"."person" ("_entry_id") ON DELETE CASCADE)'
    )
    assert isinstance(cmd, CreateTable) and cmd.if_not_exists
    assert (cmd.namespace, cmd.entity) == ("shop", "bike")
    assert cmd.table.create_sql() == (
        'CREATE TABLE "shop.bike" ("_entry_id" VARCHAR(36) NOT NULL, '
        '"price" DECIMAL_REAL_2(10, 2) DEFAULT 1.1, '
        '"ok" BOOLEAN_INT NOT NULL DEFAULT 1, '
        '"at" TIMESTAMP_TEXT(3) DEFAULT \'2020-01-01 10:00:00.000000\', "owner" VARCHAR(36), '
        'PRIMARY KEY ("_entry_id"), UNIQUE ("price"), FOREIGN KEY ("owner") REFERENCES '
        '"people.person" ("_entry_id") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED)'
    )


def test_polynom_03_create_table_form_is_accepted() -> None:
    # PolyNOM 0.3: unquoted key column, 'File' type, NULL keyword, trailing semicolon
    cmd = parse_ddl(
        'CREATE TABLE IF NOT EXISTS "ns"."doc" ("_entry_id" VARCHAR(36) NOT NULL, '
        '"blob" File NULL, "n" INTEGER DEFAULT -5, PRIMARY KEY (_entry_id));'
    )
    assert isinstance(cmd, CreateTable)
    assert [str(c.type) for c in cmd.table.columns] == ["VARCHAR(36)", "FILE", "INTEGER"]
    assert cmd.table.primary_key == ["_entry_id"]
    assert cmd.table.columns[2].default == "-5"


def test_inline_primary_key_unique_and_references() -> None:
    cmd = parse_ddl('CREATE TABLE "t" ("id" BIGINT PRIMARY KEY, "u" TEXT UNIQUE REFERENCES "o")')
    assert isinstance(cmd, CreateTable)
    assert cmd.namespace == "public"
    assert cmd.table.primary_key == ["id"] and cmd.table.columns[0].not_null
    assert cmd.table.uniques == [["u"]]
    assert cmd.table.foreign_keys[0].ref_table == "public.o"


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ('CREATE TABLE "n"."t" ("a" INTEGER, "a" TEXT)', "declared twice"),
        ('CREATE TABLE "n"."t" ("a" INTEGER, PRIMARY KEY ("b"))', "unknown column"),
        ('CREATE TABLE "n"."t" ("a" WIDGET)', "unknown column type"),
        ('CREATE TABLE "n"."t" ("a" BOOLEAN DEFAULT 7)', "does not fit"),
        ('CREATE RELATIONAL NAMESPACE "a.b"', "invalid namespace"),
        ('CREATE RELATIONAL NAMESPACE "sqlite_x"', "reserved"),
        ('CREATE VIEW "v" AS SELECT 1', "unsupported statement"),
        ('ALTER TABLE "n"."t" MODIFY COLUMN "a" SET SOMETHING', "expected SET NOT NULL"),
        ('ALTER TABLE "n"."t" RENAME TO "m"."u"', "another namespace"),
    ],
)
def test_bad_ddl_is_refused_with_a_reason(sql: str, message: str) -> None:
    with pytest.raises(StoreError, match=message):
        parse_ddl(sql)


def test_namespace_and_table_commands() -> None:
    cmd = parse_ddl('CREATE DOCUMENT NAMESPACE IF NOT EXISTS "docs"')
    assert cmd == CreateNamespace("docs", True, "DOCUMENT")
    assert parse_ddl('DROP NAMESPACE IF EXISTS "docs"') == DropNamespace("docs", True)
    assert parse_ddl('DROP TABLE "a"."b"') == DropTable("a", "b", False)


@pytest.mark.parametrize(
    ("sql", "action"),
    [
        ('RENAME TO "u"', RenameTable("u")),
        ('RENAME COLUMN "a" TO "b"', RenameColumn("a", "b")),
        ('DROP COLUMN "a"', DropColumn("a")),
        ('MODIFY COLUMN "a" SET NOT NULL', ModifyColumn("a", "set_not_null")),
        ('MODIFY COLUMN "a" DROP NOT NULL', ModifyColumn("a", "drop_not_null")),
        ('MODIFY COLUMN "a" SET DEFAULT 5', ModifyColumn("a", "set_default", 5)),
        ('MODIFY COLUMN "a" DROP DEFAULT', ModifyColumn("a", "drop_default")),
        (
            'MODIFY COLUMN "a" SET TYPE DECIMAL(5, 1)',
            ModifyColumn("a", "set_type", new_type=ColumnType("DECIMAL", (5, 1))),
        ),
        ('ADD UNIQUE ("a")', AddConstraint("unique", ["a"])),
    ],
)
def test_alter_table_forms(sql: str, action: AlterAction) -> None:
    cmd = parse_ddl(f'ALTER TABLE "n"."t" {sql}')
    assert isinstance(cmd, AlterTable)
    assert (cmd.namespace, cmd.entity, cmd.action) == ("n", "t", action)


def test_add_column_parses_its_definition() -> None:
    cmd = parse_ddl('ALTER TABLE "n"."t" ADD COLUMN "p" DECIMAL(8, 2) NOT NULL DEFAULT 1.50')
    assert isinstance(cmd, AlterTable) and isinstance(cmd.action, AddColumn)
    col = cmd.action.column
    assert (col.name, str(col.type), col.not_null, col.default) == (
        "p",
        "DECIMAL(8, 2)",
        True,
        "1.5",
    )
