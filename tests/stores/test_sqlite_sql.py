"""Unit tests of the Polypheny SQL -> SQLite translator (no store needed)."""

from __future__ import annotations

import enum
import sqlite3
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest

from polynom.errors import StoreError
from polynom.stores import _sqlite_sql as sq


def tr(sql: str, ns: str = "public") -> str:
    return sq.translate(sql, ns).sql


# -- tokenizer -------------------------------------------------------------------------------


def test_tokenizer_keeps_strings_identifiers_and_comments_whole() -> None:
    sql = """SELECT 'it''s "x"."y"', "a""b" -- FROM "n"."t"\n/* FROM "n"."t" */ FROM x"""
    kinds = [(t.kind, t.text) for t in sq.tokenize(sql) if t.kind != sq.WS]
    assert (sq.STRING, "'it''s \"x\".\"y\"'") in kinds
    assert (sq.QIDENT, '"a""b"') in kinds
    assert (sq.COMMENT, '-- FROM "n"."t"') in kinds
    assert (sq.COMMENT, '/* FROM "n"."t" */') in kinds
    assert "".join(t.text for t in sq.tokenize(sql)) == sql


@pytest.mark.parametrize("bad", ["SELECT 'open", 'SELECT "open', "SELECT /* open", "SELECT #"])
def test_tokenizer_rejects_unreadable_sql(bad: str) -> None:
    with pytest.raises(StoreError, match=r"cannot read the SQL|never closed"):
        sq.tokenize(bad)


# -- DML: namespaces and names -------------------------------------------------------------


def test_two_part_table_becomes_one_table_with_its_bare_name_as_alias() -> None:
    assert tr('SELECT "t"."a" FROM "ns"."t"') == 'SELECT "t"."a" FROM "ns.t" AS "t"'


def test_explicit_alias_is_kept_and_no_alias_is_added() -> None:
    out = tr('SELECT "t0"."a" FROM "ns"."t" AS "t0" LEFT JOIN "o"."u" "t1" ON "t0"."x" = "t1"."y"')
    assert out == 'SELECT "t0"."a" FROM "ns.t" AS "t0" LEFT JOIN "o.u" "t1" ON "t0"."x" = "t1"."y"'


def test_three_part_column_reference_uses_the_tables_name_in_the_statement() -> None:
    assert (
        tr('SELECT "ns"."t"."a" FROM "ns"."t" WHERE "ns"."t"."b" = ?')
        == 'SELECT "t"."a" FROM "ns.t" AS "t" WHERE "t"."b" = ?'
    )
    assert tr('SELECT "ns"."t"."a" FROM "ns"."t" AS "q"') == 'SELECT "q"."a" FROM "ns.t" AS "q"'


def test_same_table_name_in_two_namespaces_gets_no_ambiguous_alias() -> None:
    out = tr('SELECT "a"."t"."x", "b"."t"."x" FROM "a"."t", "b"."t"')
    assert out == 'SELECT "a.t"."x", "b.t"."x" FROM "a.t", "b.t"'


def test_one_part_table_lives_in_the_default_namespace() -> None:
    assert tr('SELECT * FROM "bike" WHERE "x" = 1', "shop") == (
        'SELECT * FROM "shop.bike" AS "bike" WHERE "x" = 1'
    )
    assert tr("SELECT bike.name FROM bike") == 'SELECT bike.name FROM "public.bike" AS "bike"'


def test_text_inside_literals_and_comments_is_never_rewritten() -> None:
    sql = """SELECT 'FROM "ns"."t"' AS "s" FROM "ns"."t" -- FROM "ns"."u"\n"""
    out = tr(sql)
    assert """'FROM "ns"."t"'""" in out
    assert '-- FROM "ns"."u"' in out
    assert 'FROM "ns.t" AS "t"' in out


def test_comma_separated_from_list_and_subqueries() -> None:
    out = tr(
        'SELECT COUNT(*) FROM (SELECT DISTINCT "t0"."a" FROM "ns"."t" AS "t0", "ns"."u" '
        'WHERE "t0"."a" IN (SELECT "b" FROM "ns"."v")) AS "q"'
    )
    assert out == (
        'SELECT COUNT(*) FROM (SELECT DISTINCT "t0"."a" FROM "ns.t" AS "t0", "ns.u" AS "u" '
        'WHERE "t0"."a" IN (SELECT "b" FROM "ns.v" AS "v")) AS "q"'
    )


def test_from_inside_extract_is_not_a_table() -> None:
    out = tr('SELECT EXTRACT(YEAR FROM "d") FROM "ns"."t"')
    assert out == 'SELECT EXTRACT(YEAR FROM "d") FROM "ns.t" AS "t"'


def test_cte_names_are_not_namespaced() -> None:
    out = tr('WITH "c" AS (SELECT "a" FROM "ns"."t") SELECT * FROM "c"')
    assert out == 'WITH "c" AS (SELECT "a" FROM "ns.t" AS "t") SELECT * FROM "c"'


def test_insert_update_delete_truncate() -> None:
    assert tr('INSERT INTO "ns"."t" ("a", "b") VALUES (?, ?), (?, ?)') == (
        'INSERT INTO "ns.t" ("a", "b") VALUES (?, ?), (?, ?)'
    )
    assert tr('INSERT INTO "ns"."t" ("a") SELECT "a" FROM "o"."u"') == (
        'INSERT INTO "ns.t" ("a") SELECT "a" FROM "o.u" AS "u"'
    )
    assert tr('UPDATE "ns"."t" SET "a" = ? WHERE "_entry_id" = ? AND "a" = ?') == (
        'UPDATE "ns.t" AS "t" SET "a" = ? WHERE "_entry_id" = ? AND "a" = ?'
    )
    assert tr('DELETE FROM "ns"."t" WHERE "ns"."t"."a" IS NULL') == (
        'DELETE FROM "ns.t" AS "t" WHERE "t"."a" IS NULL'
    )
    assert tr('TRUNCATE TABLE "ns"."t"') == 'DELETE FROM "ns.t"'


def test_big_multi_row_insert_keeps_its_placeholders() -> None:
    rows = ", ".join(["(?, ?, ?)"] * 10_000)
    sql = f'INSERT INTO "ns"."t" ("a", "b", "c") VALUES {rows};'
    out = sq.translate(sql)
    assert out.writes and out.kind == sq.DML
    assert out.sql.startswith('INSERT INTO "ns.t" ("a", "b", "c") VALUES (?, ?, ?), ')
    assert out.sql.count("?") == 30_000


def test_a_quoted_values_in_the_insert_head_is_not_mistaken_for_the_values_clause() -> None:
    out = tr('INSERT INTO "ns"."t" ("VALUES", "x") VALUES (?, ?)')
    assert out == 'INSERT INTO "ns.t" ("VALUES", "x") VALUES (?, ?)'


def test_statement_kinds_and_terminators() -> None:
    assert sq.translate('CREATE RELATIONAL NAMESPACE "x"').kind == sq.DDL
    assert sq.translate("  -- note\n ALTER TABLE a RENAME TO b").kind == sq.DDL
    assert sq.translate("COMMIT").kind == sq.COMMIT
    assert sq.translate("ROLLBACK").kind == sq.ROLLBACK
    assert sq.translate('SELECT 1 FROM "a"."b";').sql == 'SELECT 1 FROM "a.b" AS "b"'
    assert not sq.translate('SELECT 1 FROM "a"."b"').writes
    assert sq.translate('DELETE FROM "a"."b"').writes
    with pytest.raises(StoreError, match="one statement at a time"):
        sq.translate('SELECT 1; DROP TABLE "a"."b"')


def test_polypheny_functions_sqlite_spells_differently() -> None:
    assert tr('SELECT CHAR_LENGTH("a") FROM "n"."t"') == 'SELECT LENGTH("a") FROM "n.t" AS "t"'


def test_translation_is_cached_by_statement_text() -> None:
    sql = 'SELECT "q"."z" FROM "cache"."q"'
    first = sq.translate(sql, "public")
    assert sq.translate(sql, "public") is first


def test_four_part_table_names_are_refused() -> None:
    with pytest.raises(StoreError, match=r"namespace\.table"):
        tr('SELECT * FROM "a"."b"."c"')


# -- types -------------------------------------------------------------------------------------

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


@pytest.mark.parametrize("text", POLY_TYPES)
def test_every_type_is_recoverable_from_its_sqlite_declaration(text: str) -> None:
    ptype = sq.parse_type(text)
    assert str(ptype) == text
    assert sq.type_from_decl(ptype.sqlite_decl) == ptype


@pytest.mark.parametrize(
    ("text", "affinity_probe", "expected"),
    [
        ("DECIMAL(10, 2)", "1.10", ("text", "1.10")),  # NUMERIC affinity would give 1.1
        ("DATE", "2020-01-02", ("text", "2020-01-02")),
        ("TIME(3)", "01:02:03.000000", ("text", "01:02:03.000000")),
        ("TIMESTAMP(3)", "2020-01-02 03:04:05.000000", ("text", "2020-01-02 03:04:05.000000")),
        ("VARCHAR(5)", "007", ("text", "007")),
        ("BOOLEAN", 1, ("integer", 1)),
        ("INTEGER", "12", ("integer", 12)),
        ("DOUBLE", 1, ("real", 1.0)),
        ("FILE", b"\x00\x01", ("blob", b"\x00\x01")),
    ],
)
def test_declared_affinity_never_changes_a_stored_value(
    text: str, affinity_probe: object, expected: tuple[str, object]
) -> None:
    db = sqlite3.connect(":memory:")
    db.create_collation(sq.DECIMAL_COLLATION, sq.decimal_collation)
    db.execute(f'CREATE TABLE t ("c" {sq.parse_type(text).column_sql})')
    db.execute("INSERT INTO t VALUES (?)", (affinity_probe,))
    assert db.execute("SELECT typeof(c), c FROM t").fetchone() == expected


def test_integer_is_not_declared_as_a_rowid_alias() -> None:
    # "INTEGER PRIMARY KEY" would make SQLite fill in NULLs instead of refusing them
    assert sq.parse_type("INTEGER").sqlite_decl == "INT"
    assert sq.parse_type("INT") == sq.parse_type("INTEGER")


@pytest.mark.parametrize("bad", ["FLOATY", "VARCHAR(1, 2)", "BOOLEAN(1)", "DECIMAL(1, 2, 3)"])
def test_unknown_types_and_wrong_arguments_are_refused(bad: str) -> None:
    with pytest.raises(StoreError):
        sq.parse_type(bad)


# -- values in -------------------------------------------------------------------------------


def test_values_are_adapted_to_exact_sortable_text() -> None:
    plus2 = timezone(timedelta(hours=2))
    assert sq.adapt_value(Decimal("1.10")) == "1.10"
    assert sq.adapt_value(Decimal("1E+2")) == "100"
    assert sq.adapt_value(Decimal("-0.000")) == "-0.000"
    assert sq.adapt_value(datetime(2020, 1, 1, 12, tzinfo=plus2)) == "2020-01-01 10:00:00.000000"
    assert sq.adapt_value(datetime(2020, 1, 1, 12)) == "2020-01-01 12:00:00.000000"  # UTC
    assert sq.adapt_value(datetime(999, 1, 1)) == "0999-01-01 00:00:00.000000"
    assert sq.adapt_value(date(2020, 2, 3)) == "2020-02-03"
    assert sq.adapt_value(time(1, 2, 3)) == "01:02:03.000000"
    assert sq.adapt_value(time(12, 0, tzinfo=plus2)) == "10:00:00.000000"
    assert sq.adapt_value(True) == 1 and sq.adapt_value(False) == 0
    assert sq.adapt_value(bytearray(b"ab")) == b"ab"
    for plain in ("x", 1, 1.5, b"x", None):
        assert sq.adapt_value(plain) == plain


def test_subclasses_adapt_like_their_base_type() -> None:
    class Color(str, enum.Enum):  # noqa: UP042 - str() of this mixin is not its value
        RED = "red"

    class Level(enum.IntEnum):
        HIGH = 3

    assert sq.adapt_value(Color.RED) == "red"
    assert sq.adapt_value(Level.HIGH) == 3 and type(sq.adapt_value(Level.HIGH)) is int


def test_adapt_params_returns_the_input_when_nothing_changes() -> None:
    params = ["a", 1, 2.5, None, b"x"]
    assert sq.adapt_params(params) is params
    assert sq.adapt_params([Decimal("2.50"), True]) == ["2.50", 1]


def test_non_finite_decimals_are_refused() -> None:
    with pytest.raises(StoreError, match="finite"):
        sq.adapt_value(Decimal("NaN"))


def test_fixed_width_timestamps_sort_as_time_sorts() -> None:
    values = [
        datetime(2020, 1, 1, 0, 0, 0, 5, tzinfo=UTC),
        datetime(2020, 1, 1, tzinfo=timezone(timedelta(hours=-1))),  # 01:00 UTC
        datetime(2019, 12, 31, 23, 59, 59, tzinfo=UTC),
        datetime(2020, 1, 1, tzinfo=UTC),
    ]
    assert sorted(values) == sorted(values, key=sq.adapt_value)


# -- values out -------------------------------------------------------------------------------


def test_decimal_collation_orders_by_value_and_never_raises() -> None:
    import functools

    texts = ["1000.00", "999.50", "20", "1.10", "-3", "abc", "NaN", "1e2"]
    ordered = sorted(texts, key=functools.cmp_to_key(sq.decimal_collation))
    assert ordered == ["-3", "1.10", "20", "1e2", "999.50", "1000.00", "NaN", "abc"]
    assert sq.decimal_collation("1.1", "1.10") == 0
    assert sq.decimal_collation("sNaN", "x") in (-1, 1)


def test_converters_return_canonical_values() -> None:
    sq.register_converters()
    db = sqlite3.connect(":memory:", detect_types=sqlite3.PARSE_DECLTYPES)
    cols = ", ".join(f'"c{i}" {sq.parse_type(t).column_sql}' for i, t in enumerate(POLY_TYPES))
    db.create_collation(sq.DECIMAL_COLLATION, sq.decimal_collation)
    db.execute(f"CREATE TABLE t ({cols})")
    values = [
        "x",
        "y",
        1,
        2,
        3,
        2**40,
        1.5,
        2.5,
        Decimal("1.10"),
        True,
        date(2020, 1, 2),
        time(1, 2, 3, 4000),
        datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC),
        b"\x00",
    ]
    db.execute(f"INSERT INTO t VALUES ({', '.join('?' * len(values))})", sq.adapt_params(values))
    row = db.execute("SELECT * FROM t").fetchone()
    assert list(row) == values
    assert [type(v) for v in row] == [type(v) for v in values]


def test_unreadable_stored_text_comes_back_as_text_instead_of_failing() -> None:
    sq.register_converters()
    db = sqlite3.connect(":memory:", detect_types=sqlite3.PARSE_DECLTYPES)
    db.execute('CREATE TABLE t ("d" DECIMAL_TEXT, "ts" TIMESTAMP_TEXT, "b" BOOLEAN_INT)')
    db.execute("INSERT INTO t VALUES ('oops', 'never', 'maybe')")
    assert db.execute("SELECT * FROM t").fetchone() == ("oops", "never", "maybe")


# -- coercion (defaults, SET TYPE) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "type_text", "expected"),
    [
        ("12", "INTEGER", 12),
        (Decimal("3.00"), "INTEGER", 3),
        (1.5, "DECIMAL(5, 2)", Decimal("1.50")),
        (Decimal("1.005"), "DECIMAL(5, 2)", Decimal("1.01")),
        (7, "VARCHAR(3)", "7"),
        (True, "TEXT", "true"),
        ("true", "BOOLEAN", True),
        (0, "BOOLEAN", False),
        ("2020-01-02 03:04:05", "TIMESTAMP(0)", datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)),
        (date(2020, 1, 2), "TIMESTAMP(0)", datetime(2020, 1, 2, tzinfo=UTC)),
        ("2020-01-02", "DATE", date(2020, 1, 2)),
        ("x", "FILE", b"x"),
        (None, "INTEGER", None),
    ],
)
def test_coerce(value: object, type_text: str, expected: object) -> None:
    assert sq.coerce(value, sq.parse_type(type_text)) == expected


@pytest.mark.parametrize(
    ("value", "type_text"),
    [
        ("abc", "INTEGER"),
        (1.5, "INTEGER"),
        (300, "TINYINT"),
        ("toolong", "VARCHAR(3)"),
        (Decimal("12345.6"), "DECIMAL(5, 2)"),
        ("maybe", "BOOLEAN"),
        ("never", "DATE"),
    ],
)
def test_coerce_refuses_what_does_not_fit(value: object, type_text: str) -> None:
    with pytest.raises((ValueError, ArithmeticError)):
        sq.coerce(value, sq.parse_type(type_text))


# -- DDL ---------------------------------------------------------------------------------------


def test_create_table_renders_sqlite_ddl_with_deferred_foreign_keys() -> None:
    cmd = sq.parse_ddl(
        'CREATE TABLE IF NOT EXISTS "shop"."bike" ("_entry_id" VARCHAR(36) NOT NULL, '
        '"price" DECIMAL(10, 2) DEFAULT 1.10, "ok" BOOLEAN NOT NULL DEFAULT TRUE, '
        '"at" TIMESTAMP(3) DEFAULT \'2020-01-01 10:00:00\', "owner" VARCHAR(36), '
        'PRIMARY KEY ("_entry_id"), UNIQUE ("price"), '
        'FOREIGN KEY ("owner") REFERENCES "people"."person" ("_entry_id") ON DELETE CASCADE)'
    )
    assert isinstance(cmd, sq.CreateTable) and cmd.if_not_exists
    assert (cmd.namespace, cmd.entity) == ("shop", "bike")
    assert cmd.table.create_sql() == (
        'CREATE TABLE "shop.bike" ("_entry_id" VARCHAR(36) NOT NULL, '
        "\"price\" DECIMAL_TEXT(10, 2) COLLATE polynom_decimal DEFAULT '1.10', "
        '"ok" BOOLEAN_INT NOT NULL DEFAULT 1, '
        '"at" TIMESTAMP_TEXT(3) DEFAULT \'2020-01-01 10:00:00.000000\', "owner" VARCHAR(36), '
        'PRIMARY KEY ("_entry_id"), UNIQUE ("price"), FOREIGN KEY ("owner") REFERENCES '
        '"people.person" ("_entry_id") ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED)'
    )


def test_polynom_03_create_table_form_is_accepted() -> None:
    # PolyNOM 0.3: unquoted key column, 'File' type, NULL keyword, trailing semicolon
    cmd = sq.parse_ddl(
        'CREATE TABLE IF NOT EXISTS "ns"."doc" ("_entry_id" VARCHAR(36) NOT NULL, '
        '"blob" File NULL, "n" INTEGER DEFAULT -5, PRIMARY KEY (_entry_id));'
    )
    assert isinstance(cmd, sq.CreateTable)
    assert [str(c.type) for c in cmd.table.columns] == ["VARCHAR(36)", "FILE", "INTEGER"]
    assert cmd.table.primary_key == ["_entry_id"]
    assert cmd.table.columns[2].default == "-5"


def test_inline_primary_key_unique_and_references() -> None:
    cmd = sq.parse_ddl('CREATE TABLE "t" ("id" BIGINT PRIMARY KEY, "u" TEXT UNIQUE REFERENCES "o")')
    assert isinstance(cmd, sq.CreateTable)
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
        sq.parse_ddl(sql)


def test_namespace_and_table_commands() -> None:
    cmd = sq.parse_ddl('CREATE DOCUMENT NAMESPACE IF NOT EXISTS "docs"')
    assert cmd == sq.CreateNamespace("docs", True, "DOCUMENT")
    assert sq.parse_ddl('DROP NAMESPACE IF EXISTS "docs"') == sq.DropNamespace("docs", True)
    assert sq.parse_ddl('DROP TABLE "a"."b"') == sq.DropTable("a", "b", False)


@pytest.mark.parametrize(
    ("sql", "action"),
    [
        ('RENAME TO "u"', sq.RenameTable("u")),
        ('RENAME COLUMN "a" TO "b"', sq.RenameColumn("a", "b")),
        ('DROP COLUMN "a"', sq.DropColumn("a")),
        ('MODIFY COLUMN "a" SET NOT NULL', sq.ModifyColumn("a", "set_not_null")),
        ('MODIFY COLUMN "a" DROP NOT NULL', sq.ModifyColumn("a", "drop_not_null")),
        ('MODIFY COLUMN "a" SET DEFAULT 5', sq.ModifyColumn("a", "set_default", 5)),
        ('MODIFY COLUMN "a" DROP DEFAULT', sq.ModifyColumn("a", "drop_default")),
        (
            'MODIFY COLUMN "a" SET TYPE DECIMAL(5, 1)',
            sq.ModifyColumn("a", "set_type", new_type=sq.PolyType("DECIMAL", (5, 1))),
        ),
        ('ADD UNIQUE ("a")', sq.AddConstraint("unique", ["a"])),
    ],
)
def test_alter_table_forms(sql: str, action: sq.AlterAction) -> None:
    cmd = sq.parse_ddl(f'ALTER TABLE "n"."t" {sql}')
    assert isinstance(cmd, sq.AlterTable)
    assert (cmd.namespace, cmd.entity, cmd.action) == ("n", "t", action)


def test_add_column_parses_its_definition() -> None:
    cmd = sq.parse_ddl('ALTER TABLE "n"."t" ADD COLUMN "p" DECIMAL(8, 2) NOT NULL DEFAULT 1.50')
    assert isinstance(cmd, sq.AlterTable) and isinstance(cmd.action, sq.AddColumn)
    col = cmd.action.column
    assert (col.name, str(col.type), col.not_null, col.default) == (
        "p",
        "DECIMAL(8, 2)",
        True,
        "'1.50'",
    )


def test_rebuild_copies_rows_into_a_new_table_and_swaps_names() -> None:
    old = sq.TableDef("n.t", [sq.ColumnDef("a", sq.parse_type("INTEGER"))])
    new = sq.TableDef("n.t", [sq.ColumnDef("a", sq.parse_type("TEXT"), not_null=True)])
    assert sq.rebuild_statements(old, new, {"a": '"a"'}) == [
        'CREATE TABLE "n.t$rebuild" ("a" TEXT NOT NULL)',
        'INSERT INTO "n.t$rebuild" ("a") SELECT "a" FROM "n.t"',
        'DROP TABLE "n.t"',
        'ALTER TABLE "n.t$rebuild" RENAME TO "n.t"',
    ]


def test_select_sources_name_each_result_columns_table() -> None:
    out = sq.translate(
        'SELECT DISTINCT "t0"."a", "b" AS "x", "ns"."u"."c", "t0".*, 1 + 2, COUNT(*) '
        'FROM "ns"."t" AS "t0", "ns"."u" WHERE "t0"."a" IN (SELECT "z" FROM "o"."v")'
    )
    assert out.sources == (
        (("t0", "ns.t"), ("u", "ns.u")),
        (("t0", "a"), (None, "b"), ("ns.u", "c"), ("t0", "*"), None, None),
    )
    columns = {"ns.t": [("a", "INTEGER"), ("b", "TEXT")], "ns.u": [("c", "DATE")]}
    assert sq.result_types(out.sources, 7, lambda t: columns[t]) == [
        "INTEGER",
        "TEXT",
        "DATE",
        "INTEGER",
        "TEXT",
        None,
        None,
    ]
    assert sq.result_types(out.sources, 3, lambda t: columns[t]) == [None] * 3  # mismatch
    assert sq.translate('INSERT INTO "a"."b" ("x") VALUES (?)').sources is None


def test_bare_names_are_reported_and_can_be_placed_elsewhere() -> None:
    out = sq.translate('SELECT * FROM "bike" JOIN "x"."y" ON 1 = 1 JOIN "owner"')
    assert out.bare == ("bike", "owner")
    placed = sq.translate(
        'SELECT * FROM "bike" JOIN "x"."y" ON 1 = 1 JOIN "owner"', "public", (("bike", "shop"),)
    )
    assert placed.sql == (
        'SELECT * FROM "shop.bike" AS "bike" JOIN "x.y" AS "y" ON 1 = 1 '
        'JOIN "public.owner" AS "owner"'
    )
    assert placed.bare == ("owner",)
