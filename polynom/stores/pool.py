"""A small, thread-safe connection pool shared by every store.

The pool knows nothing about databases: it is given how to open, reset, test and close one
connection. It hands each connection to one thread at a time (the ``polypheny`` driver has
``threadsafety = 0``), caps how many exist, makes callers wait (up to a timeout) when all are
busy, rolls a connection back when it comes home, and never hands out a broken one again.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from polynom.errors import StoreConnectionError, StoreError

C = TypeVar("C")


class Pool(Generic[C]):
    """Up to ``max_size`` connections made by ``factory``, checked out and in by threads.

    ``reset`` runs on every connection given back (a rollback); if it raises, or
    ``is_broken`` says so, the connection is closed and forgotten instead of pooled.
    """

    def __init__(
        self,
        factory: Callable[[], C],
        *,
        reset: Callable[[C], None],
        close: Callable[[C], None],
        is_broken: Callable[[C], bool],
        max_size: int = 10,
        timeout: float = 30.0,
        name: str = "pool",
    ) -> None:
        if max_size < 1:
            raise ValueError("a pool needs max_size >= 1")
        self._factory = factory
        self._reset = reset
        self._close_one = close
        self._is_broken = is_broken
        self.max_size = max_size
        self.timeout = timeout
        self.name = name
        # ``_lock`` guards everything below; ``_cond`` (on the same lock) is for waiting.
        # Sections that never wait take the bare lock: its ``with`` runs in C.
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._idle: list[C] = []  # LIFO: the most recently used connection is warmest
        self._out: set[int] = set()  # ids of checked-out connections
        self._open = 0  # idle + checked out + being opened
        self._waiting = 0  # threads waiting in acquire: only they need a notify
        self._closed = False

    # -- introspection (for tests and diagnostics) -----------------------------------------

    @property
    def size(self) -> int:
        """How many connections exist now (idle, checked out, or being opened)."""
        return self._open

    @property
    def idle(self) -> int:
        """How many connections wait in the pool."""
        return len(self._idle)

    @property
    def closed(self) -> bool:
        return self._closed

    # -- checkout / checkin ----------------------------------------------------------------

    def acquire(self, timeout: float | None = None) -> C:
        """Check a connection out; wait up to ``timeout`` seconds when all are in use.

        Raises :class:`StoreConnectionError` when the pool is closed, when none frees up in
        time, or when a new connection cannot be opened.
        """
        with self._lock:  # the common case first: a sound idle connection
            idle = self._idle
            if idle and not self._closed:
                conn = idle.pop()
                try:
                    broken = self._is_broken(conn)
                except Exception:
                    broken = True
                if not broken:
                    self._out.add(id(conn))
                    return conn
                idle.append(conn)  # the loop below discards it
        return self._acquire(timeout)

    def _acquire(self, timeout: float | None) -> C:
        deadline: float | None = None
        broken: list[C] = []
        try:
            with self._lock:
                while True:
                    if self._closed:
                        raise StoreConnectionError(f"{self.name}: the pool is closed")
                    idle = self._idle
                    while idle:
                        conn = idle.pop()
                        if self._broken(conn):
                            self._open -= 1
                            broken.append(conn)
                            continue
                        self._out.add(id(conn))
                        return conn
                    if self._open < self.max_size:
                        self._open += 1
                        break
                    wait = self.timeout if timeout is None else timeout
                    if deadline is None:
                        deadline = time.monotonic() + wait
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise StoreConnectionError(
                            f"{self.name}: no connection became free within {wait:g} s "
                            f"(all {self.max_size} are in use); give connections back "
                            f"sooner or raise the pool size"
                        )
                    self._waiting += 1
                    try:
                        self._cond.wait(remaining)
                    finally:
                        self._waiting -= 1
        finally:
            for conn in broken:  # closed outside the lock: closing may talk to a server
                self._safe_close(conn)
        return self._open_new()

    def _open_new(self) -> C:
        """Open a connection for a slot already counted in ``_open`` (outside the lock)."""
        try:
            conn = self._factory()
        except BaseException as exc:
            with self._cond:
                self._open -= 1
                self._cond.notify()
            if isinstance(exc, StoreError) or not isinstance(exc, Exception):
                raise
            raise StoreConnectionError(f"{self.name}: cannot open a connection: {exc}") from exc
        with self._cond:
            if not self._closed:
                self._out.add(id(conn))
                return conn
            self._open -= 1
            self._cond.notify_all()
        self._safe_close(conn)
        raise StoreConnectionError(f"{self.name}: the pool is closed")

    def release(self, conn: C) -> None:
        """Give a connection back: reset (rolled back) and pooled, or closed if broken."""
        try:
            # no lock needed: set.remove is atomic, so of two threads giving the same
            # connection back only one gets past this
            self._out.remove(id(conn))
        except KeyError:
            raise StoreError(
                f"{self.name}: this connection was not checked out of this pool"
            ) from None
        is_broken = self._is_broken
        try:  # not broken, reset without error, and still not broken (_broken(), inline)
            keep = not is_broken(conn)
            if keep:
                self._reset(conn)
                keep = not is_broken(conn)
        except Exception:
            keep = False
        with self._lock:
            if keep and not self._closed:
                self._idle.append(conn)
                if self._waiting:
                    self._cond.notify()
                return
            self._open -= 1
            if self._waiting:
                self._cond.notify()
        self._safe_close(conn)

    @contextmanager
    def connection(self, timeout: float | None = None) -> Iterator[C]:
        """A checked-out connection for the ``with`` block, given back on every path."""
        conn = self.acquire(timeout)
        try:
            yield conn
        finally:
            self.release(conn)

    def close(self) -> None:
        """Close every idle connection now and every checked-out one when it comes back."""
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._open -= len(idle)
            self._cond.notify_all()
        for conn in idle:
            self._safe_close(conn)

    # -- helpers ---------------------------------------------------------------------------

    def _broken(self, conn: C) -> bool:
        try:
            return bool(self._is_broken(conn))
        except Exception:
            return True

    def _safe_close(self, conn: C) -> None:
        # it is being thrown away: a failure to close it changes nothing for the caller
        with contextlib.suppress(Exception):
            self._close_one(conn)
