"""Pages of one table read by their rowids first (``translate/paging.py``): which queries
get the deferred text, what it says, and that it returns the pages the plain text does."""

from __future__ import annotations

import sqlite3
from collections import Counter

import pytest

from polynom.stores.sqlite.translate.translation import translate


@pytest.mark.parametrize("polypheny", [False, True])
def test_a_page_of_one_table_reads_its_rowids_first(polypheny: bool) -> None:
    """The rows' ids are sorted and paged in a subquery; the outer query reads those rows and
    sorts them again. The WHERE, the ORDER BY with its NULLS clause (Polypheny's order) and
    the paging stay as the stored text has them, parameters in their order."""
    out = translate(
        'SELECT "t0"."a", "t0"."b" AS "x" FROM "ns"."t" AS "t0" WHERE "t0"."a" > ? '
        'ORDER BY "t0"."b" DESC, "t0"."c" LIMIT 20 OFFSET ?',
        "public",
        (),
        polypheny,
    )
    nulls = " NULLS FIRST" if polypheny else ""
    order = f"ORDER BY likely(`t0`.`b`) DESC{nulls}, `t0`.`c`{nulls}"
    assert out.paged_sql == (
        "SELECT +`t0`.`a`, likely(`t0`.`b`) AS `x` FROM `ns.t` AS `t0` "
        "WHERE `t0`._rowid_ IN (SELECT `t0`._rowid_ FROM `ns.t` AS `t0` WHERE `t0`.`a` > ? "
        f"{order} LIMIT 20 OFFSET ?) {order}"
    )
    assert out.stored_sql == (
        "SELECT +`t0`.`a`, likely(`t0`.`b`) AS `x` FROM `ns.t` AS `t0` WHERE `t0`.`a` > ? "
        f"{order} LIMIT 20 OFFSET ?"
    )


def test_an_unaliased_table_is_named_by_the_alias_the_rewriter_gives_it() -> None:
    out = translate('SELECT "t"."a" FROM "ns"."t" ORDER BY "t"."a" LIMIT 5')
    assert out.paged_sql == (
        "SELECT likely(`t`.`a`) FROM `ns.t` AS `t` WHERE `t`._rowid_ IN "
        "(SELECT `t`._rowid_ FROM `ns.t` AS `t` ORDER BY likely(`t`.`a`) LIMIT 5) "
        "ORDER BY likely(`t`.`a`)"
    )


@pytest.mark.parametrize(
    "sql",
    [
        'SELECT "t"."a" FROM "ns"."t" ORDER BY "t"."a"',  # not paged
        'SELECT "t"."a" FROM "ns"."t" ORDER BY "t"."a" OFFSET 5',  # no LIMIT
        'SELECT "t"."a" FROM "ns"."t" LIMIT 5',  # not sorted
        'SELECT DISTINCT "t"."a" FROM "ns"."t" ORDER BY "t"."a" LIMIT 5',
        'SELECT COUNT(*) FROM "ns"."t" ORDER BY "t"."a" LIMIT 5',
        'SELECT "t"."a" + 1 FROM "ns"."t" ORDER BY "t"."a" LIMIT 5',
        'SELECT "t"."a", ? FROM "ns"."t" ORDER BY "t"."a" LIMIT 5',
        'SELECT "t"."a" FROM "ns"."t" ORDER BY "a" LIMIT 5',  # may be an alias
        'SELECT "t"."a" FROM "ns"."t" ORDER BY 1 LIMIT 5',  # a position
        'SELECT "t"."a" FROM "ns"."t" ORDER BY LOWER("t"."a") LIMIT 5',
        'SELECT "t"."a" FROM "ns"."t" ORDER BY "t"."a" + ? LIMIT 5',
        'SELECT "t"."a" FROM "ns"."t" JOIN "ns"."u" ON "t"."a" = "u"."a" ORDER BY "t"."a" LIMIT 5',
        'SELECT "t"."a" FROM "ns"."t", "ns"."u" ORDER BY "t"."a" LIMIT 5',
        'SELECT "t"."a" FROM "ns"."t", json_each("t"."a") ORDER BY "t"."a" LIMIT 5',
        'SELECT "t"."a" FROM "ns"."t" WHERE "t"."a" IN (SELECT "u"."a" FROM "ns"."u") '
        'ORDER BY "t"."a" LIMIT 5',
        'SELECT "t"."a" FROM "ns"."t" GROUP BY "t"."a" ORDER BY "t"."a" LIMIT 5',
        'SELECT "t"."a" FROM "ns"."t" UNION SELECT "u"."a" FROM "ns"."u" ORDER BY 1 LIMIT 5',
        'WITH "w" AS (SELECT 1) SELECT "t"."a" FROM "ns"."t" ORDER BY "t"."a" LIMIT 5',
        'SELECT "t"."a" FROM "ns"."t" INDEXED BY "i" ORDER BY "t"."a" LIMIT 5',
        'DELETE FROM "ns"."t" WHERE "a" = 1',
    ],
)
def test_other_queries_have_no_deferred_text(sql: str) -> None:
    """More than one table's plain columns sorted by column names and paged: the plain text
    is the only one (a second copy of an alias, a position, an expression or a parameter
    would not mean the same, and other shapes gain nothing)."""
    assert translate(sql).paged_sql is None


def _table() -> sqlite3.Connection:
    """Keys that tie in threes, and NULLs, in a scattered order, with a wide column."""
    raw = sqlite3.connect(":memory:")
    raw.execute("CREATE TABLE `ns.t` (id TEXT PRIMARY KEY, k INTEGER, v TEXT, pad TEXT)")
    rows = [
        (f"id{i}", None if i % 11 == 0 else (i * 37) % 17, f"v{i % 5}", "x" * (i % 300))
        for i in range(200)
    ]
    raw.executemany("INSERT INTO `ns.t` VALUES (?, ?, ?, ?)", rows)
    return raw


@pytest.mark.parametrize("polypheny", [False, True])
@pytest.mark.parametrize("direction", ["", " DESC"])
def test_the_deferred_pages_are_the_plain_pages(polypheny: bool, direction: str) -> None:
    """Page by page, the deferred text returns rows with the keys the plain text returns, in
    order; over all pages every matching row comes once (ties are broken the same way on
    every page, so none is skipped or repeated)."""
    raw = _table()
    out = translate(
        'SELECT "t"."id", "t"."k", "t"."pad" FROM "ns"."t" WHERE "t"."v" <> ? '
        f'ORDER BY "t"."k"{direction} LIMIT 7 OFFSET ?',
        "public",
        (),
        polypheny,
    )
    assert out.paged_sql is not None and out.stored_sql is not None
    pages, plain_pages = [], []
    for offset in range(0, 210, 7):
        pages.append(raw.execute(out.paged_sql, ("v3", offset)).fetchall())
        plain_pages.append(raw.execute(out.stored_sql, ("v3", offset)).fetchall())
    for page, plain in zip(pages, plain_pages, strict=True):
        assert [r[1] for r in page] == [r[1] for r in plain]
        assert len(page) <= 7
    every = [r for page in pages for r in page]
    expected = raw.execute("SELECT id, k, pad FROM `ns.t` WHERE v <> 'v3'").fetchall()
    assert Counter(every) == Counter(expected) and len(every) == 160
    nulls_first = polypheny or not direction
    keys = [r[1] for r in every]
    nones = keys.count(None)
    assert nones > 0
    assert (keys[:nones] if nulls_first else keys[-nones:]) == [None] * nones
    known = [k for k in keys if k is not None]
    assert known == sorted(known, reverse=bool(direction))
    raw.close()
