"""The embedded store: opening, its pool, memory databases, files."""

from __future__ import annotations

import sqlite3
import threading
from decimal import Decimal
from pathlib import Path

import pytest

from polynom.errors import (
    StoreConnectionError,
    StoreError,
)
from polynom.stores import open_store
from polynom.stores.sqlite import SqliteConnection, SqliteStore
from tests.stores.sqlite._data import rows


def test_an_unopenable_file_is_a_connection_error(tmp_path: Path) -> None:
    with pytest.raises(StoreConnectionError, match="no-such-dir"):
        open_store(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")


def test_max_params_fit_one_statement(store: SqliteStore) -> None:
    store.execute_ddl(['CREATE TABLE "public"."w" ("a" INTEGER, "b" INTEGER)'])
    per_row = 2
    n = store.max_params // per_row
    sql = 'INSERT INTO "w" ("a", "b") VALUES ' + ", ".join(["(?, ?)"] * n)
    with store.connection() as conn:
        assert conn.execute(sql, list(range(n * per_row))).rowcount == n
        conn.commit()
    assert store.max_params == 32766
    assert rows(store, 'SELECT COUNT(*) FROM "w"') == [(n,)]


# -- pool behaviour on the real store -----------------------------------------------------------


def test_eight_threads_share_two_connections(tmp_path: Path) -> None:
    with_file = open_store(f"sqlite:///{tmp_path / 'threads.db'}", pool_size=2, timeout=30)
    try:
        with_file.execute_ddl(['CREATE TABLE "public"."n" ("t" INTEGER, "i" INTEGER)'])
        errors: list[BaseException] = []

        def work(t: int) -> None:
            try:
                for i in range(20):
                    with with_file.connection() as conn:
                        conn.execute('INSERT INTO "n" ("t", "i") VALUES (?, ?)', [t, i])
                        conn.commit()
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
        assert not errors
        assert rows(with_file, 'SELECT COUNT(*), COUNT(DISTINCT "t") FROM "n"') == [(160, 8)]  # type: ignore[arg-type]
        assert with_file.pool.size <= 2
    finally:
        with_file.close()


def test_a_broken_connection_is_discarded(store: SqliteStore) -> None:
    conn = store.acquire()
    assert isinstance(conn, SqliteConnection)
    conn._raw.close()  # type: ignore[union-attr]  # the database connection dies under us
    with pytest.raises(StoreConnectionError):
        conn.execute("SELECT 1")
    assert conn.broken
    before = store.pool.size
    store.release(conn)
    assert store.pool.size == before - 1
    with store.connection() as fresh:
        assert fresh is not conn
        assert fresh.execute("SELECT 1").rows == [(1,)]


def test_closing_the_store_closes_connections_and_deletes_a_memory_database() -> None:
    st = open_store("sqlite://")
    assert isinstance(st, SqliteStore)
    where = st.path.parent
    assert where.exists()
    st.close()
    assert not where.exists()
    with pytest.raises(StoreConnectionError, match="closed"):
        st.acquire()


def test_memory_stores_are_private() -> None:
    a, b = open_store("sqlite://"), open_store("sqlite://")
    try:
        a.execute_ddl(['CREATE TABLE "public"."only_a" ("x" INTEGER)'])
        with b.connection() as conn, pytest.raises(StoreError, match="no such table"):
            conn.execute('SELECT * FROM "only_a"')
    finally:
        a.close()
        b.close()


def test_user_sqlite3_code_is_not_changed_by_the_store(store: SqliteStore) -> None:
    raw = sqlite3.connect(":memory:")
    assert raw.execute("SELECT ?", [True]).fetchone() == (1,)
    with pytest.raises(sqlite3.ProgrammingError):
        raw.execute("SELECT ?", [Decimal("1.5")])  # no global adapter was registered
    raw.close()


def test_a_relative_file_stays_put_when_the_working_directory_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path / "a")
    st = open_store("sqlite:///rel.db")
    try:
        assert isinstance(st, SqliteStore) and st.url == "sqlite:///rel.db"
        monkeypatch.chdir(tmp_path)
        with st.connection() as _pooled, st.connection() as opened_after_chdir:
            opened_after_chdir.execute('CREATE TABLE "public"."t" ("x" INTEGER)')
    finally:
        st.close()
    assert (tmp_path / "a" / "rel.db").exists() and not (tmp_path / "rel.db").exists()
