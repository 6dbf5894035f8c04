"""DECIMAL columns on the embedded store: both storage forms are exact, compare by value, and
are compared, ordered and indexed by SQLite itself where they are stored as doubles."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from polynom.stores.sqlite import SqliteStore
from polynom.stores.sqlite.translate.types import type_from_decl

#: (Polypheny type, the SQLite declaration it gets): up to 15 digits a double, wider exact text.
FORMS = [("DECIMAL(10, 2)", "DECIMAL_REAL_2(10, 2)"), ("DECIMAL(20, 2)", "DECIMAL_TEXT_2(20, 2)")]

#: Decimals SQLite 3.40's own text-to-double conversion reads one unit off in the last place.
MISREAD = [Decimal("-66.476464"), Decimal("27.780169742"), Decimal("8010.3609712855")]


@pytest.fixture
def store(tmp_path) -> SqliteStore:  # type: ignore[no-untyped-def]
    s = SqliteStore(f"sqlite:///{tmp_path / 'dec.db'}")
    yield s
    s.close()


def _table(store: SqliteStore, ptype: str, *, unique: bool = False) -> None:
    constraint = ', UNIQUE ("p")' if unique else ""
    store.execute_ddl(
        [
            'CREATE TABLE "public"."t" ("id" VARCHAR(8) NOT NULL, '
            f'"p" {ptype}, PRIMARY KEY ("id"){constraint})'
        ]
    )


def _insert(store: SqliteStore, *values: Decimal | None) -> None:
    with store.connection() as conn:
        conn.execute_many(
            'INSERT INTO "t" ("id", "p") VALUES (?, ?)',
            [[str(i), v] for i, v in enumerate(values)],
        )
        conn.commit()


def _ids(store: SqliteStore, sql: str, params: list[object] | None = None) -> list[str]:
    with store.connection() as conn:
        return [r[0] for r in conn.execute(f'SELECT "id" FROM "t" {sql}', params or []).rows]


@pytest.mark.parametrize(("ptype", "decl"), FORMS)
def test_each_form_is_declared_and_read_back_as_a_polypheny_decimal(
    store: SqliteStore, ptype: str, decl: str
) -> None:
    _table(store, ptype)
    raw = sqlite3.connect(store.path)
    (sql,) = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'public.t'").fetchone()
    raw.close()
    assert f'"p" {decl}' in sql
    assert str(type_from_decl(decl)) == ptype  # the schema check sees the Polypheny type
    assert store.column_types("public", "t")["p"] == ptype
    _insert(store, Decimal("999.5"), Decimal("-0.01"), Decimal("20"), None)
    with store.connection() as conn:
        got = conn.execute('SELECT "p" FROM "t" ORDER BY "id"').rows
    assert got == [(Decimal("999.50"),), (Decimal("-0.01"),), (Decimal("20.00"),), (None,)]
    assert [str(v) for (v,) in got[:3]] == ["999.50", "-0.01", "20.00"]  # the column's scale


@pytest.mark.parametrize(("ptype", "decl"), FORMS)
def test_each_form_compares_and_orders_by_value(store: SqliteStore, ptype: str, decl: str) -> None:
    _table(store, ptype)
    _insert(store, Decimal("999.50"), Decimal("1000.00"), Decimal("20"), Decimal("1.10"))
    assert _ids(store, 'ORDER BY "p"') == ["3", "2", "0", "1"]
    assert _ids(store, 'ORDER BY "p" DESC') == ["1", "0", "2", "3"]
    for bound in (Decimal("999.60"), Decimal("999.6000"), 999.6, "999.6"):
        assert _ids(store, 'WHERE "p" > ?', [bound]) == ["1"], bound
    assert _ids(store, 'WHERE "p" = ?', [Decimal("1.1")]) == ["3"]  # any scale, same value
    assert _ids(store, 'WHERE "p" IN (?, ?) ORDER BY "p"', [Decimal("20.0"), 1000]) == ["2", "1"]
    assert _ids(store, 'WHERE "p" BETWEEN ? AND ? ORDER BY "p"', [10, Decimal("999.5")]) == [
        "2",
        "0",
    ]
    with store.connection() as conn:
        count = conn.execute('SELECT COUNT(*) FROM "t" WHERE "p" >= ?', [Decimal("20")]).rows
    assert count == [(3,)]


@pytest.mark.parametrize(("ptype", "decl"), FORMS)
def test_uniqueness_is_by_value(store: SqliteStore, ptype: str, decl: str) -> None:
    from polynom.errors import IntegrityError

    _table(store, ptype, unique=True)
    _insert(store, Decimal("1.10"))
    with store.connection() as conn, pytest.raises(IntegrityError):
        conn.execute('INSERT INTO "t" ("id", "p") VALUES (?, ?)', ["x", Decimal("1.1")])
        conn.commit()


def test_a_narrow_decimal_is_compared_and_ordered_through_its_index(store: SqliteStore) -> None:
    _table(store, "DECIMAL(10, 2)", unique=True)
    raw = sqlite3.connect(store.path)
    for sql in ('SELECT id FROM "public.t" WHERE p >= ?', 'SELECT id FROM "public.t" ORDER BY p'):
        params = [1.5] if "?" in sql else []
        plan = " ".join(r[-1] for r in raw.execute(f"EXPLAIN QUERY PLAN {sql}", params))
        assert "INDEX" in plan and "TEMP B-TREE" not in plan, plan
    raw.close()


@pytest.mark.parametrize("value", MISREAD)
def test_a_value_sqlite_would_misread_is_found_by_equality(
    store: SqliteStore, value: Decimal
) -> None:
    places = -value.as_tuple().exponent  # type: ignore[operator]
    _table(store, f"DECIMAL(15, {places})")
    _insert(store, value)
    assert _ids(store, 'WHERE "p" = ?', [value]) == ["0"]
    # a DEFAULT is written so that SQLite reads exactly the double the value is bound as
    store.execute_ddl(
        [f'ALTER TABLE "public"."t" ADD COLUMN "q" DECIMAL(15, {places}) DEFAULT {value}']
    )
    with store.connection() as conn:
        conn.execute('INSERT INTO "t" ("id") VALUES (?)', ["d"])
        conn.commit()
        assert conn.execute('SELECT "id" FROM "t" WHERE "q" = ? ORDER BY "id"', [value]).rows == [
            ("0",),
            ("d",),
        ]
        assert conn.execute('SELECT "q" FROM "t" WHERE "id" = ?', ["d"]).rows == [(value,)]


_narrow = st.integers(min_value=0, max_value=15).flatmap(
    lambda places: st.tuples(
        st.just(places),
        st.lists(
            st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1).map(
                lambda n: Decimal(n).scaleb(-places)
            ),
            min_size=1,
            max_size=12,
        ),
    )
)


@settings(max_examples=60, deadline=None)
@given(_narrow)
def test_every_decimal_of_15_digits_round_trips_and_sorts_exactly(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[int, list[Decimal]]
) -> None:
    places, values = case
    store = SqliteStore(f"sqlite:///{tmp_path_factory.mktemp('dec') / 'h.db'}")
    try:
        _table(store, f"DECIMAL(15, {places})")
        _insert(store, *values)
        with store.connection() as conn:
            got = conn.execute('SELECT "p" FROM "t" ORDER BY "p", "id"').rows
            assert [v for (v,) in got] == sorted(values)
            assert all(str(v) == str(w) for (v,), w in zip(got, sorted(values), strict=True))
            probe = values[0]
            hits = conn.execute('SELECT COUNT(*) FROM "t" WHERE "p" = ?', [probe]).rows
            assert hits == [(values.count(probe),)]
    finally:
        store.close()


def test_a_file_from_before_keeps_its_text_decimals_working(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from polynom.stores.sqlite.translate.types import DECIMAL_COLLATION
    from polynom.stores.sqlite.translate.values import decimal_collation

    path = tmp_path / "old.db"
    first = SqliteStore(f"sqlite:///{path}")
    first.execute_ddl(['CREATE TABLE "public"."t" ("id" VARCHAR(8) NOT NULL, PRIMARY KEY ("id"))'])
    first.close()
    raw = sqlite3.connect(path)  # the declaration earlier versions wrote
    raw.create_collation(DECIMAL_COLLATION, decimal_collation)
    raw.execute('ALTER TABLE "public.t" ADD COLUMN "p" DECIMAL_TEXT(10, 2) COLLATE polynom_decimal')
    raw.execute("""INSERT INTO "public.t" VALUES ('old', '999.50')""")
    raw.commit()
    raw.close()
    store = SqliteStore(f"sqlite:///{path}")
    try:
        assert store.column_types("public", "t")["p"] == "DECIMAL(10, 2)"
        with store.connection() as conn:
            conn.execute('INSERT INTO "t" ("id", "p") VALUES (?, ?)', ["new", Decimal("1000.00")])
            conn.commit()
        assert _ids(store, 'ORDER BY "p"') == ["old", "new"]
        assert _ids(store, 'WHERE "p" = ?', [Decimal("1000")]) == ["new"]
        assert _ids(store, 'WHERE "p" < ?', [Decimal("999.6")]) == ["old"]
        with store.connection() as conn:
            values = [v for (v,) in conn.execute('SELECT "p" FROM "t" ORDER BY "p"').rows]
        assert values == [Decimal("999.50"), Decimal("1000")]
    finally:
        store.close()
