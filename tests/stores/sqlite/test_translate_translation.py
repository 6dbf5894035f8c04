"""translate(): statement kinds, the cache, the INSERT fast path, where result columns come
from, and bare table names."""

from __future__ import annotations

import sqlite3

import pytest

from polynom.errors import StoreError
from polynom.stores.sqlite.translate.translation import (
    COMMIT,
    DDL,
    DML,
    ROLLBACK,
    result_types,
    translate,
)


def test_big_multi_row_insert_keeps_its_placeholders() -> None:
    rows = ", ".join(["(?, ?, ?)"] * 10_000)
    sql = f'INSERT INTO "ns"."t" ("a", "b", "c") VALUES {rows};'
    out = translate(sql)
    assert out.writes and out.kind == DML
    assert out.sql.startswith("INSERT INTO `ns.t` (`a`, `b`, `c`) VALUES (?, ?, ?), ")
    assert out.sql.count("?") == 30_000


def test_statement_kinds_and_terminators() -> None:
    assert translate('CREATE RELATIONAL NAMESPACE "x"').kind == DDL
    assert translate("  -- note\n ALTER TABLE a RENAME TO b").kind == DDL
    assert translate("COMMIT").kind == COMMIT
    assert translate("ROLLBACK").kind == ROLLBACK
    assert translate('SELECT 1 FROM "a"."b";').sql == "SELECT 1 FROM `a.b` AS `b`"
    assert not translate('SELECT 1 FROM "a"."b"').writes
    assert translate('DELETE FROM "a"."b"').writes
    with pytest.raises(StoreError, match="one statement at a time"):
        translate('SELECT 1; DROP TABLE "a"."b"')


def test_translation_is_cached_by_statement_text() -> None:
    sql = 'SELECT "q"."z" FROM "cache"."q"'
    first = translate(sql, "public")
    assert translate(sql, "public") is first


def test_select_sources_name_each_result_columns_table() -> None:
    out = translate(
        'SELECT DISTINCT "t0"."a", "b" AS "x", "ns"."u"."c", "t0".*, 1 + 2, COUNT(*) '
        'FROM "ns"."t" AS "t0", "ns"."u" WHERE "t0"."a" IN (SELECT "z" FROM "o"."v")'
    )
    assert out.sources == (
        (("t0", "ns.t"), ("u", "ns.u")),
        (("t0", "a"), (None, "b"), ("ns.u", "c"), ("t0", "*"), None, None),
    )
    columns = {"ns.t": [("a", "INTEGER"), ("b", "TEXT")], "ns.u": [("c", "DATE")]}
    assert result_types(out.sources, 7, lambda t: columns[t]) == [
        "INTEGER",
        "TEXT",
        "DATE",
        "INTEGER",
        "TEXT",
        None,
        None,
    ]
    assert result_types(out.sources, 3, lambda t: columns[t]) == [None] * 3  # mismatch
    assert translate('INSERT INTO "a"."b" ("x") VALUES (?)').sources is None


def test_a_selects_stored_text_reads_its_plain_columns_as_stored() -> None:
    """``stored_sql`` (what the mapper's reads run): a unary plus on each plain result column,
    so SQLite names no declared type and runs no converter; expressions and ``*`` as written."""
    out = translate(
        'SELECT DISTINCT "t0"."a", "b" AS "x", "ns"."u"."c", "t0".*, 1 + 2, COUNT(*) '
        'FROM "ns"."t" AS "t0", "ns"."u" WHERE "t0"."a" > 1 ORDER BY "t0"."a" OFFSET 2'
    )
    assert out.stored_sql == (
        "SELECT DISTINCT likely(`t0`.`a`), +`b` AS `x`, +`u`.`c`, `t0`.*, 1 + 2, COUNT(*) "
        "FROM `ns.t` AS `t0`, `ns.u` AS `u` WHERE `t0`.`a` > 1 ORDER BY likely(`t0`.`a`) "
        "LIMIT -1 OFFSET 2"
    )
    assert out.sql == (
        "SELECT DISTINCT `t0`.`a`, `b` AS `x`, `u`.`c`, `t0`.*, 1 + 2, COUNT(*) "
        "FROM `ns.t` AS `t0`, `ns.u` AS `u` WHERE `t0`.`a` > 1 ORDER BY `t0`.`a` "
        "LIMIT -1 OFFSET 2"
    )
    assert (
        translate('SELECT COUNT(*) FROM "ns"."t"').stored_sql
        == "SELECT COUNT(*) FROM `ns.t` AS `t`"
    )
    assert translate('DELETE FROM "ns"."t"').stored_sql is None


@pytest.mark.parametrize("polypheny", [False, True])
def test_a_column_a_select_sorts_by_is_hidden_the_same_way_in_its_order_by(
    polypheny: bool,
) -> None:
    """A selected column the ORDER BY names (qualified) is read through ``likely()`` on both
    sides, so SQLite sees one expression; the NULLS clause of Polypheny's order stays after
    the closed expression. Unqualified names (they may be aliases) keep the unary plus."""
    out = translate(
        'SELECT "t0"."a", "t0"."b" AS "x", "c" FROM "ns"."t" AS "t0" '
        'ORDER BY "T0"."B" DESC, "t0"."a", "c" LIMIT 20 OFFSET 40',
        "public",
        (),
        polypheny,
    )
    nulls = " NULLS FIRST" if polypheny else ""
    assert out.stored_sql == (
        "SELECT likely(`t0`.`a`), likely(`t0`.`b`) AS `x`, +`c` FROM `ns.t` AS `t0` "
        f"ORDER BY likely(`T0`.`B`) DESC{nulls}, likely(`t0`.`a`){nulls}, `c`{nulls} "
        "LIMIT 20 OFFSET 40"
    )
    assert out.sql == (
        "SELECT `t0`.`a`, `t0`.`b` AS `x`, `c` FROM `ns.t` AS `t0` "
        f"ORDER BY `T0`.`B` DESC{nulls}, `t0`.`a`{nulls}, `c`{nulls} LIMIT 20 OFFSET 40"
    )


def test_an_index_still_serves_the_order_by_of_a_stored_text() -> None:
    """SQLite sees through ``likely()`` when it picks an index for the ORDER BY (it would not
    through a unary plus), and the rows come back in the same order, in their stored form."""
    raw = sqlite3.connect(":memory:", detect_types=sqlite3.PARSE_DECLTYPES)
    sqlite3.register_converter("TEST_NEVER_CONVERTED", lambda b: pytest.fail("converted"))
    raw.execute("CREATE TABLE `ns.t` (a TEXT, b TEST_NEVER_CONVERTED)")
    raw.execute("CREATE INDEX `ns.t_b` ON `ns.t` (b)")
    raw.executemany("INSERT INTO `ns.t` VALUES (?, ?)", [("x", 2.5), ("y", None), ("z", 1.0)])
    out = translate('SELECT "t"."a", "t"."b" FROM "ns"."t" ORDER BY "t"."b" DESC')
    assert out.stored_sql is not None
    plan = " ".join(str(row[-1]) for row in raw.execute("EXPLAIN QUERY PLAN " + out.stored_sql))
    assert "USING INDEX ns.t_b" in plan and "TEMP B-TREE" not in plan
    assert raw.execute(out.stored_sql).fetchall() == [("x", 2.5), ("z", 1.0), ("y", None)]
    raw.close()


def test_a_union_and_a_subquery_keep_their_order_by_as_written() -> None:
    union = translate(
        'SELECT "t"."a" FROM "ns"."t" UNION SELECT "u"."a" FROM "ns"."u" ORDER BY "t"."a"'
    )
    assert union.stored_sql is not None and "likely" not in union.stored_sql
    inner = translate(
        'SELECT "t0"."a" FROM "ns"."t" AS "t0" WHERE "t0"."a" IN '
        '(SELECT "u"."a" FROM "ns"."u" ORDER BY "u"."a" LIMIT 3) ORDER BY "t0"."a"'
    )
    assert inner.stored_sql == (
        "SELECT likely(`t0`.`a`) FROM `ns.t` AS `t0` WHERE `t0`.`a` IN "
        "(SELECT `u`.`a` FROM `ns.u` AS `u` ORDER BY `u`.`a` LIMIT 3) ORDER BY likely(`t0`.`a`)"
    )


def test_bare_names_are_reported_and_can_be_placed_elsewhere() -> None:
    out = translate('SELECT * FROM "bike" JOIN "x"."y" ON 1 = 1 JOIN "owner"')
    assert out.bare == ("bike", "owner")
    placed = translate(
        'SELECT * FROM "bike" JOIN "x"."y" ON 1 = 1 JOIN "owner"', "public", (("bike", "shop"),)
    )
    assert placed.sql == (
        "SELECT * FROM `shop.bike` AS `bike` JOIN `x.y` AS `y` ON 1 = 1 "
        "JOIN `public.owner` AS `owner`"
    )
    assert placed.bare == ("owner",)


def test_a_statement_names_the_tables_it_reads_and_the_one_it_writes() -> None:
    """What the Prism stand-in locks (entity-level strict two-phase locking)."""
    query = translate('SELECT * FROM "a"."T" AS "x" JOIN "b"."u" ON 1 = 1 WHERE 1 IN (SELECT 1)')
    assert (query.entities, query.target) == ((("a", "t"), ("b", "u")), None)
    update = translate('UPDATE "a"."t" SET "x" = (SELECT MAX("y") FROM "b"."u")')
    assert (update.entities, update.target) == ((("a", "t"), ("b", "u")), ("a", "t"))
    insert = translate('INSERT INTO "a"."t" ("x") VALUES (?), (?)')
    assert (insert.entities, insert.target) == ((("a", "t"),), ("a", "t"))
    delete = translate('DELETE FROM "a"."t" WHERE "x" IN (SELECT "y" FROM "b"."u")')
    assert delete.target == ("a", "t")
