"""DML and queries: table names rewritten in place, nothing else touched."""

from __future__ import annotations

import pytest

from polynom.errors import StoreError
from polynom.stores.sqlite.translate.translation import translate


def tr(sql: str, ns: str = "public") -> str:
    return translate(sql, ns).sql


def test_two_part_table_becomes_one_table_with_its_bare_name_as_alias() -> None:
    assert tr('SELECT "t"."a" FROM "ns"."t"') == "SELECT `t`.`a` FROM `ns.t` AS `t`"


def test_explicit_alias_is_kept_and_no_alias_is_added() -> None:
    out = tr('SELECT "t0"."a" FROM "ns"."t" AS "t0" LEFT JOIN "o"."u" "t1" ON "t0"."x" = "t1"."y"')
    assert out == "SELECT `t0`.`a` FROM `ns.t` AS `t0` LEFT JOIN `o.u` `t1` ON `t0`.`x` = `t1`.`y`"


def test_three_part_column_reference_uses_the_tables_name_in_the_statement() -> None:
    assert (
        tr('SELECT "ns"."t"."a" FROM "ns"."t" WHERE "ns"."t"."b" = ?')
        == "SELECT `t`.`a` FROM `ns.t` AS `t` WHERE `t`.`b` = ?"
    )
    assert tr('SELECT "ns"."t"."a" FROM "ns"."t" AS "q"') == "SELECT `q`.`a` FROM `ns.t` AS `q`"


def test_same_table_name_in_two_namespaces_gets_no_ambiguous_alias() -> None:
    out = tr('SELECT "a"."t"."x", "b"."t"."x" FROM "a"."t", "b"."t"')
    assert out == "SELECT `a.t`.`x`, `b.t`.`x` FROM `a.t`, `b.t`"


def test_one_part_table_lives_in_the_default_namespace() -> None:
    assert tr('SELECT * FROM "bike" WHERE "x" = 1', "shop") == (
        "SELECT * FROM `shop.bike` AS `bike` WHERE `x` = 1"
    )
    assert tr("SELECT bike.name FROM bike") == "SELECT bike.name FROM `public.bike` AS `bike`"


def test_text_inside_literals_and_comments_is_never_rewritten() -> None:
    sql = """SELECT 'FROM "ns"."t"' AS "s" FROM "ns"."t" -- FROM "ns"."u"\n"""
    out = tr(sql)
    assert """'FROM "ns"."t"'""" in out
    assert '-- FROM "ns"."u"' in out
    assert "FROM `ns.t` AS `t`" in out


def test_comma_separated_from_list_and_subqueries() -> None:
    out = tr(
        'SELECT COUNT(*) FROM (SELECT DISTINCT "t0"."a" FROM "ns"."t" AS "t0", "ns"."u" '
        'WHERE "t0"."a" IN (SELECT "b" FROM "ns"."v")) AS "q"'
    )
    assert out == (
        "SELECT COUNT(*) FROM (SELECT DISTINCT `t0`.`a` FROM `ns.t` AS `t0`, `ns.u` AS `u` "
        "WHERE `t0`.`a` IN (SELECT `b` FROM `ns.v` AS `v`)) AS `q`"
    )


def test_from_inside_extract_is_not_a_table() -> None:
    out = tr('SELECT EXTRACT(YEAR FROM "d") FROM "ns"."t"')
    assert out == "SELECT EXTRACT(YEAR FROM `d`) FROM `ns.t` AS `t`"


def test_cte_names_are_not_namespaced() -> None:
    out = tr('WITH "c" AS (SELECT "a" FROM "ns"."t") SELECT * FROM "c"')
    assert out == "WITH `c` AS (SELECT `a` FROM `ns.t` AS `t`) SELECT * FROM `c`"


def test_insert_update_delete_truncate() -> None:
    assert tr('INSERT INTO "ns"."t" ("a", "b") VALUES (?, ?), (?, ?)') == (
        "INSERT INTO `ns.t` (`a`, `b`) VALUES (?, ?), (?, ?)"
    )
    assert tr('INSERT INTO "ns"."t" ("a") SELECT "a" FROM "o"."u"') == (
        "INSERT INTO `ns.t` (`a`) SELECT `a` FROM `o.u` AS `u`"
    )
    assert tr('UPDATE "ns"."t" SET "a" = ? WHERE "_entry_id" = ? AND "a" = ?') == (
        "UPDATE `ns.t` AS `t` SET `a` = ? WHERE `_entry_id` = ? AND `a` = ?"
    )
    assert tr('DELETE FROM "ns"."t" WHERE "ns"."t"."a" IS NULL') == (
        "DELETE FROM `ns.t` AS `t` WHERE `t`.`a` IS NULL"
    )
    assert tr('TRUNCATE TABLE "ns"."t"') == 'DELETE FROM "ns.t"'


def test_a_quoted_values_in_the_insert_head_is_not_mistaken_for_the_values_clause() -> None:
    out = tr('INSERT INTO "ns"."t" ("VALUES", "x") VALUES (?, ?)')
    assert out == "INSERT INTO `ns.t` (`VALUES`, `x`) VALUES (?, ?)"


def test_polypheny_functions_sqlite_spells_differently() -> None:
    assert tr('SELECT CHAR_LENGTH("a") FROM "n"."t"') == "SELECT LENGTH(`a`) FROM `n.t` AS `t`"


def test_quoted_names_become_identifiers_sqlite_never_reads_as_text() -> None:
    """SQLite takes a double-quoted name that matches no column for a string ("DQS"), so
    an unknown column would pass silently; the embedded store refuses it, as Polypheny does."""
    from polynom.stores.sqlite import SqliteStore

    store = SqliteStore("sqlite://")
    try:
        store.execute_ddl(['CREATE TABLE "t" ("a" INTEGER)'])
        with store.connection() as conn:
            conn.execute('INSERT INTO "t" ("a") VALUES (1)')
            assert conn.execute('SELECT "a" FROM "t" WHERE "a" = 1').rows == [(1,)]
            with pytest.raises(StoreError, match="no such column: nope"):
                conn.execute('SELECT "nope" FROM "t"')
            with pytest.raises(StoreError, match="no such column: nope"):
                conn.execute('UPDATE "t" SET "a" = 2 WHERE "nope" = 1')
    finally:
        store.close()


def test_a_bare_offset_is_polyphenys_grammar_and_offset_before_limit_is_not() -> None:
    assert (
        tr('SELECT "a" FROM "t" OFFSET 5') == "SELECT `a` FROM `public.t` AS `t` LIMIT -1 OFFSET 5"
    )
    assert tr('SELECT "a" FROM "t" LIMIT 2 OFFSET 5').endswith("LIMIT 2 OFFSET 5")
    with pytest.raises(StoreError, match='Encountered "LIMIT"'):
        tr('SELECT "a" FROM "t" OFFSET 5 LIMIT 2')


def test_four_part_table_names_are_refused() -> None:
    with pytest.raises(StoreError, match=r"namespace\.table"):
        tr('SELECT * FROM "a"."b"."c"')
