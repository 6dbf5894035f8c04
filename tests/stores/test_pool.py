"""The connection pool, with stand-in connections (the pool knows nothing of databases)."""

from __future__ import annotations

import itertools
import threading
import time

import pytest

from polynom.errors import StoreConnectionError, StoreError
from polynom.stores.pool import Pool


class FakeConn:
    _ids = itertools.count(1)

    def __init__(self) -> None:
        self.id = next(self._ids)
        self.broken = False
        self.closed = False
        self.resets = 0
        self.fail_reset = False

    def reset(self) -> None:
        self.resets += 1
        if self.fail_reset:
            raise RuntimeError("rollback failed")


def make_pool(max_size: int = 2, timeout: float = 5.0) -> tuple[Pool[FakeConn], list[FakeConn]]:
    made: list[FakeConn] = []

    def factory() -> FakeConn:
        conn = FakeConn()
        made.append(conn)
        return conn

    pool: Pool[FakeConn] = Pool(
        factory,
        reset=FakeConn.reset,
        close=lambda c: setattr(c, "closed", True),
        is_broken=lambda c: c.broken,
        max_size=max_size,
        timeout=timeout,
        name="test pool",
    )
    return pool, made


def test_a_returned_connection_is_reset_and_reused() -> None:
    pool, made = make_pool()
    with pool.connection() as first:
        pass
    assert first.resets == 1
    with pool.connection() as again:
        assert again is first
    assert len(made) == 1 and pool.size == 1 and pool.idle == 1


def test_max_size_is_respected_and_waiting_times_out() -> None:
    pool, _ = make_pool(max_size=2, timeout=0.2)
    a, b = pool.acquire(), pool.acquire()
    started = time.monotonic()
    with pytest.raises(StoreConnectionError, match=r"no connection became free within 0\.2 s"):
        pool.acquire()
    assert time.monotonic() - started >= 0.19
    pool.release(a)
    assert pool.acquire() is a  # a freed slot is usable again
    pool.release(b)


def test_a_waiting_thread_gets_the_connection_another_releases() -> None:
    pool, _ = make_pool(max_size=1, timeout=5)
    held = pool.acquire()
    got: list[FakeConn] = []
    waiter = threading.Thread(target=lambda: got.append(pool.acquire()))
    waiter.start()
    time.sleep(0.05)
    assert not got, "the waiter must block while the only connection is out"
    pool.release(held)
    waiter.join(2)
    assert got == [held]


def test_eight_threads_contending_for_two_connections() -> None:
    pool, made = make_pool(max_size=2, timeout=10)
    lock = threading.Lock()
    out = 0
    peak = 0
    users: dict[int, int] = {}
    errors: list[BaseException] = []

    def worker() -> None:
        nonlocal out, peak
        try:
            for _ in range(50):
                with pool.connection() as conn:
                    with lock:
                        out += 1
                        peak = max(peak, out)
                        assert conn.id not in users, "a connection went to two threads at once"
                        users[conn.id] = threading.get_ident()
                    time.sleep(0.0005)
                    with lock:
                        del users[conn.id]
                        out -= 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert peak == 2
    assert len(made) == 2 and pool.size == 2 and pool.idle == 2
    assert sum(c.resets for c in made) == 8 * 50


def test_a_connection_broken_while_out_is_closed_and_never_handed_out_again() -> None:
    pool, made = make_pool()
    conn = pool.acquire()
    conn.broken = True
    pool.release(conn)
    assert conn.closed and conn.resets == 0 and pool.size == 0
    with pool.connection() as fresh:
        assert fresh is not conn
    assert len(made) == 2


def test_a_connection_that_broke_while_idle_is_discarded_at_checkout() -> None:
    pool, _ = make_pool()
    with pool.connection() as conn:
        pass
    conn.broken = True  # e.g. the server went away while it sat in the pool
    with pool.connection() as other:
        assert other is not conn
    assert conn.closed and pool.size == 1


def test_a_connection_whose_rollback_fails_is_discarded() -> None:
    pool, _ = make_pool()
    conn = pool.acquire()
    conn.fail_reset = True
    pool.release(conn)
    assert conn.closed and pool.size == 0 and pool.idle == 0


def test_a_failing_factory_frees_its_slot() -> None:
    calls = 0

    def factory() -> FakeConn:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OSError("server down")
        return FakeConn()

    pool: Pool[FakeConn] = Pool(
        factory, reset=FakeConn.reset, close=lambda c: None, is_broken=lambda c: c.broken,
        max_size=1, timeout=0.1,
    )  # fmt: skip
    with pytest.raises(StoreConnectionError, match="cannot open a connection: server down"):
        pool.acquire()
    assert pool.size == 0
    assert isinstance(pool.acquire(), FakeConn)


def test_close_closes_idle_connections_now_and_busy_ones_when_returned() -> None:
    pool, _ = make_pool()
    idle = pool.acquire()
    busy = pool.acquire()
    pool.release(idle)
    pool.close()
    assert idle.closed and not busy.closed
    pool.release(busy)
    assert busy.closed and pool.size == 0
    with pytest.raises(StoreConnectionError, match="closed"):
        pool.acquire()


def test_close_wakes_waiting_threads() -> None:
    pool, _ = make_pool(max_size=1, timeout=10)
    held = pool.acquire()
    errors: list[BaseException] = []

    def wait() -> None:
        try:
            pool.acquire()
        except BaseException as exc:
            errors.append(exc)

    waiter = threading.Thread(target=wait)
    waiter.start()
    time.sleep(0.05)
    pool.close()
    waiter.join(2)
    assert not waiter.is_alive()
    assert isinstance(errors[0], StoreConnectionError)
    pool.release(held)


def test_releasing_a_connection_that_is_not_checked_out_is_an_error() -> None:
    pool, _ = make_pool()
    conn = pool.acquire()
    pool.release(conn)
    with pytest.raises(StoreError, match="not checked out"):
        pool.release(conn)
    with pytest.raises(StoreError, match="not checked out"):
        pool.release(FakeConn())
