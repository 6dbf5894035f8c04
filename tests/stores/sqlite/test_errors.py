"""SQLite's errors as polynom errors: each row of the table on an error SQLite really raises,
and the mapping through the store."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from polynom.errors import (
    ConflictError,
    ForeignKeyViolation,
    IntegrityError,
    NotNullViolation,
    StoreConnectionError,
    StoreError,
    UniqueViolation,
)
from polynom.stores.sqlite import SqliteStore
from polynom.stores.sqlite.errors import ERRORS, map_error
from tests.stores.sqlite._data import add_bikes, rows, shop

# -- the table, row by row, on errors SQLite raises -------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """A WAL database file with a parent, a child and a checked table."""
    conn = sqlite3.connect(tmp_path / "errors.db", isolation_level=None, timeout=0)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute('CREATE TABLE "p" ("id" TEXT PRIMARY KEY, "name" TEXT NOT NULL UNIQUE)')
    conn.execute('CREATE TABLE "c" ("p" TEXT REFERENCES "p" ("id"), "n" INT CHECK ("n" > 0))')
    conn.execute("INSERT INTO \"p\" VALUES ('a', 'Ann')")
    yield conn
    conn.close()


def _raised(action: Callable[[], object]) -> BaseException:
    try:
        action()
    except (sqlite3.Error, OverflowError) as exc:
        return exc
    raise AssertionError("SQLite raised nothing")


def _second(db: sqlite3.Connection) -> sqlite3.Connection:
    row = db.execute("PRAGMA database_list").fetchone()
    return sqlite3.connect(row[2], isolation_level=None, timeout=0)


def _stale_snapshot(db: sqlite3.Connection) -> BaseException:
    db.execute("BEGIN")
    db.execute('SELECT * FROM "p"').fetchall()  # this transaction's snapshot
    other = _second(db)
    other.execute("INSERT INTO \"p\" VALUES ('b', 'Bob')")  # commits a newer one
    other.close()
    try:
        return _raised(lambda: db.execute("INSERT INTO \"p\" VALUES ('c', 'Cy')"))
    finally:
        db.execute("ROLLBACK")


def _write_locked(db: sqlite3.Connection) -> BaseException:
    other = _second(db)
    other.execute("BEGIN IMMEDIATE")
    try:
        return _raised(lambda: db.execute("BEGIN IMMEDIATE"))
    finally:
        other.execute("ROLLBACK")
        other.close()


def _table_locked(db: sqlite3.Connection) -> BaseException:
    reading = db.execute('SELECT * FROM "p"')  # a statement still running on the table
    try:
        return _raised(lambda: db.execute('DROP TABLE "c"'))
    finally:
        reading.close()


def _not_a_database(db: sqlite3.Connection) -> BaseException:
    path = Path(db.execute("PRAGMA database_list").fetchone()[2]).with_name("junk.db")
    path.write_bytes(b"this is no database " * 100)
    junk = sqlite3.connect(path)
    try:
        return _raised(lambda: junk.execute("SELECT * FROM sqlite_master"))
    finally:
        junk.close()


def _closed(db: sqlite3.Connection) -> BaseException:
    gone = sqlite3.connect(":memory:")
    gone.close()
    return _raised(lambda: gone.execute("SELECT 1"))


def _running(sql: str, *params: object) -> Callable[[sqlite3.Connection], BaseException]:
    """What SQLite raises running ``sql`` on the test's database."""
    return lambda db: _raised(lambda: db.execute(sql, params))


def _opening_a_missing_directory(db: sqlite3.Connection) -> BaseException:
    return _raised(lambda: sqlite3.connect(Path("/nonexistent-dir") / "x.db"))


#: (row of ERRORS it is for, how SQLite raises it, the polynom class, words of the message)
CASES: list[tuple[int, Callable[[sqlite3.Connection], BaseException], type, str]] = [
    (0, _running("INSERT INTO \"p\" VALUES ('b', 'Ann')"), UniqueViolation, "on p.name"),
    (0, _running("INSERT INTO \"p\" VALUES ('a', 'Al')"), UniqueViolation, "on p.id"),
    (1, _running("INSERT INTO \"p\" VALUES ('b', NULL)"), NotNullViolation, "p.name may not"),
    (2, _running("INSERT INTO \"c\" VALUES ('zz', 1)"), ForeignKeyViolation, "foreign key"),
    (3, _running("INSERT INTO \"c\" VALUES ('a', -1)"), IntegrityError, "CHECK constraint"),
    (4, _stale_snapshot, ConflictError, "its snapshot is out of date"),
    (5, _write_locked, ConflictError, "(database is locked)"),
    (5, _table_locked, ConflictError, "(database table is locked)"),
    (6, _opening_a_missing_directory, StoreConnectionError, "unable to open database file"),
    (6, _not_a_database, StoreConnectionError, "file is not a database"),
    (7, _closed, StoreConnectionError, "Cannot operate on a closed database"),
    (8, _running("SELECT ?", 2**70), StoreError, "(Python int too large"),
]


@pytest.mark.parametrize(
    ("row", "raise_it", "expected", "words"), CASES, ids=[case[3] for case in CASES]
)
def test_each_row_maps_what_sqlite_raises(
    db: sqlite3.Connection,
    row: int,
    raise_it: Callable[[sqlite3.Connection], BaseException],
    expected: type,
    words: str,
) -> None:
    exc = raise_it(db)
    error = map_error(exc, 'INSERT INTO "shop"."bike" ("x")\nVALUES (?)')
    assert type(error) is expected is ERRORS[row].error
    fixed = ERRORS[row].message.split("{", 1)[0]  # the row's own words, before a field
    assert str(error).startswith(fixed), (str(error), fixed)
    assert words in str(error)
    if "{statement}" in ERRORS[row].message:
        assert str(error).endswith('; statement: INSERT INTO "shop"."bike" ("x")')


def test_every_row_has_a_case() -> None:
    assert {case[0] for case in CASES} == set(range(len(ERRORS)))


def test_what_no_row_matches_is_a_plain_store_error(db: sqlite3.Connection) -> None:
    error = map_error(_raised(lambda: db.execute("SELEC 1")), "SELEC 1")
    assert type(error) is StoreError
    assert str(error) == 'near "SELEC": syntax error; statement: SELEC 1'
    already = UniqueViolation("ours")
    assert map_error(already, "SELECT 1") is already


# -- through the store ---------------------------------------------------------------------


def test_constraint_errors_are_mapped_and_roll_back(store: SqliteStore) -> None:
    shop(store)
    add_bikes(store, ("a", "a", None))
    with store.connection() as conn:
        conn.execute('INSERT INTO "shop"."bike" ("_entry_id", "name") VALUES (?, ?)', ["z", "z"])
        with pytest.raises(UniqueViolation, match=r"shop\.bike\._entry_id"):
            conn.execute(
                'INSERT INTO "shop"."bike" ("_entry_id", "name") VALUES (?, ?)', ["a", "b"]
            )
        assert not conn.in_transaction, "the transaction was rolled back"
        with pytest.raises(NotNullViolation, match=r"shop\.bike\.name"):
            conn.execute('INSERT INTO "shop"."bike" ("_entry_id") VALUES (?)', ["c"])
    assert rows(store, 'SELECT "_entry_id" FROM "shop"."bike"') == [("a",)]


def test_other_errors_name_the_statement(store: SqliteStore) -> None:
    with store.connection() as conn:
        with pytest.raises(StoreError, match=r'no such table: nope\.t.*SELECT \* FROM "nope"\."t"'):
            conn.execute('SELECT * FROM "nope"."t"')
        with pytest.raises(StoreError, match="syntax error"):
            conn.execute("SELEC 1")
        with pytest.raises(StoreError, match="bindings"):
            conn.execute("SELECT ?", [1, 2])
        with pytest.raises(StoreError, match="too large"):
            conn.execute("SELECT ?", [2**70])


def test_cross_namespace_foreign_keys_are_checked_at_commit(store: SqliteStore) -> None:
    shop(store)
    with store.connection() as conn:
        # child before parent in one transaction: fine, the check waits for the commit
        conn.execute(
            'INSERT INTO "shop"."bike" ("_entry_id", "name", "owner") VALUES (?, ?, ?)',
            ["b1", "one", "p1"],
        )
        conn.execute(
            'INSERT INTO "people"."person" ("_entry_id", "name") VALUES (?, ?)', ["p1", "Ann"]
        )
        conn.commit()

        conn.execute(
            'INSERT INTO "shop"."bike" ("_entry_id", "name", "owner") VALUES (?, ?, ?)',
            ["b2", "two", "ghost"],
        )
        with pytest.raises(
            ForeignKeyViolation, match=r"shop\.bike\.owner = 'ghost' references people\.person"
        ):
            conn.commit()
        assert not conn.in_transaction

        conn.execute('DELETE FROM "people"."person" WHERE "_entry_id" = ?', ["p1"])
        with pytest.raises(ForeignKeyViolation):
            conn.commit()
    assert rows(store, 'SELECT "_entry_id" FROM "shop"."bike"') == [("b1",)]
    assert rows(store, 'SELECT "_entry_id" FROM "people"."person"') == [("p1",)]
