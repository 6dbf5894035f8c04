"""Table definitions: the rebuild procedure SQLite's missing ALTER forms turn into."""

from __future__ import annotations

from polynom.stores.sqlite.translate.parser import parse_type
from polynom.stores.sqlite.translate.tables import ColumnDef, TableDef, rebuild_statements


def test_rebuild_copies_rows_into_a_new_table_and_swaps_names() -> None:
    old = TableDef("n.t", [ColumnDef("a", parse_type("INTEGER"))])
    new = TableDef("n.t", [ColumnDef("a", parse_type("TEXT"), not_null=True)])
    assert rebuild_statements(old, new, {"a": '"a"'}) == [
        'CREATE TABLE "n.t$rebuild" ("a" TEXT NOT NULL)',
        'INSERT INTO "n.t$rebuild" ("a") SELECT "a" FROM "n.t"',
        'DROP TABLE "n.t"',
        'ALTER TABLE "n.t$rebuild" RENAME TO "n.t"',
    ]
