"""Recording fakes of a store and a session, to pin the DAL's lifecycle down exactly.

They stand in for the core only in the lifecycle tests; every other DAL test runs on the
real embedded store.
"""

from __future__ import annotations

import enum
import threading
from typing import Any


class State(enum.Enum):
    INITIALIZED = 1
    ACTIVE = 2
    COMPLETED = 3


class Boom(Exception):
    """The error the tests raise on purpose."""


class FakeConnection:
    def __init__(self, store: FakeStore, n: int) -> None:
        self.store = store
        self.n = n
        self.fail_commit = False

    def commit(self) -> None:
        self.store.events.append(f"conn{self.n}.commit")
        if self.fail_commit:
            raise Boom("commit failed")

    def rollback(self) -> None:
        self.store.events.append(f"conn{self.n}.rollback")


class FakeStore:
    def __init__(self) -> None:
        self.events: list[str] = []
        self.out: set[int] = set()
        self.acquired = 0
        self.fail_acquire = False
        self._lock = threading.Lock()

    def acquire(self) -> FakeConnection:
        if self.fail_acquire:
            raise Boom("pool exhausted")
        with self._lock:
            self.acquired += 1
            conn = FakeConnection(self, self.acquired)
            self.out.add(conn.n)
        self.events.append(f"acquire{conn.n}")
        return conn

    def release(self, conn: FakeConnection) -> None:
        with self._lock:
            assert conn.n in self.out, "released a connection twice"
            self.out.remove(conn.n)
        self.events.append(f"release{conn.n}")

    @property
    def checked_out(self) -> int:
        return len(self.out)


class FakeApp:
    def __init__(self) -> None:
        self.store = FakeStore()


class FakeSession:
    """Mimics the parts of ``polynom.session.Session`` the DAL relies on."""

    fail_commit = False
    fail_rollback = False
    fail_init = False

    def __init__(self, app: FakeApp, log_user: str | None = None, connection: Any = None):
        if self.fail_init:
            raise Boom("session init failed")
        self.app = app
        self.log_user = log_user
        self.connection = connection
        self.state = State.INITIALIZED
        self.events = app.store.events

    def get_session_state(self) -> State:
        return self.state

    @property
    def is_active(self) -> bool:
        return self.state is State.ACTIVE

    def __enter__(self) -> FakeSession:
        assert self.connection.n in self.app.store.out, "session opened on a returned conn"
        self.state = State.ACTIVE
        self.events.append("session.enter")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.state is State.ACTIVE:
            self.rollback()
        self.events.append("session.exit")

    def commit(self) -> None:
        assert self.state is State.ACTIVE
        assert self.connection.n in self.app.store.out, "commit on a returned connection"
        self.events.append("session.commit")
        if self.fail_commit:
            raise Boom("commit failed")
        self.state = State.COMPLETED

    def rollback(self) -> None:
        assert self.connection.n in self.app.store.out, "rollback on a returned connection"
        self.events.append("session.rollback")
        self.state = State.COMPLETED
        if self.fail_rollback:
            raise Boom("rollback failed")
