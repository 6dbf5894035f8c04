"""What a stand-in's clients share with their server, handed to each client instead of the
server itself: the login they must give, the frame size limit, Polypheny's runtime settings,
the lock manager, the request counters and the statement record, the set of connected
clients (and how many may connect, and how long they may idle), and the store they borrow
connections from."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import Counter
from typing import TYPE_CHECKING, Protocol

from org.polypheny.prism import protointerface_pb2

from polynom.testing.prism.locks import LockManager

if TYPE_CHECKING:
    from polynom.stores.base import Store, StoreConnection

__all__ = ["Connected", "ServerState"]

log = logging.getLogger("polynom.testing.prism")


class Connected(Protocol):
    """A connected client, as the server sees it."""

    thread: threading.Thread | None
    #: True once the client is served (it counts against ``max_clients``).
    admitted: bool

    def disconnect(self) -> None:
        """Cut the client's connection now, as a crashed server or a broken network would."""


class ServerState:
    """The settings, counters, clients and store of one stand-in (see the module docstring).

    ``store`` is used as given; without one, a store is opened from ``url`` (a fresh in-memory
    embedded store by default) when first needed, and closed by :meth:`close_store`.
    """

    def __init__(
        self,
        store: Store | None,
        url: str | None,
        *,
        user: str | None,
        password: str | None,
        max_frame_bytes: int | None,
        record_statements: bool,
        unique_constraint_enforcement: bool = False,
        foreign_key_enforcement: bool = False,
        lock_wait_timeout: float | None = None,
        idle_timeout: float | None = None,
        max_clients: int | None = None,
    ) -> None:
        self.user = user
        self.password = password
        self.max_frame_bytes = max_frame_bytes
        self.record_statements = record_statements
        #: Polypheny's ``runtime/uniqueConstraintEnforcement`` and ``foreignKeyEnforcement``.
        self.unique_constraint_enforcement = unique_constraint_enforcement
        self.foreign_key_enforcement = foreign_key_enforcement
        #: Entity locks of all clients (strict two-phase locking, :mod:`.locks`).
        self.locks = LockManager(lock_wait_timeout)
        #: Seconds a client may send nothing before it is disconnected (None: no limit).
        self.idle_timeout = idle_timeout
        #: How many clients may be connected at once (None: no limit).
        self.max_clients = max_clients
        #: ``(language, statement, namespace)`` of every statement received, as sent, when
        #: ``record_statements`` is on.
        self.statements: list[tuple[str, str, str | None]] = []
        self._store = store
        self._store_url = url
        self._owns_store = store is None
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._clients: set[Connected] = set()

    # -- counters and the statement record ---------------------------------------------

    def count(self, request: protointerface_pb2.Request) -> None:
        with self._lock:
            self._counts[request.WhichOneof("type") or "empty"] += 1

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._counts)

    def record(self, language: str, sql: str, namespace: str | None) -> None:
        if self.record_statements:
            with self._lock:
                self.statements.append((language, sql, namespace))

    def reset_counts(self) -> None:
        with self._lock:
            self._counts.clear()
            self.statements.clear()

    # -- clients -----------------------------------------------------------------------

    def check_credentials(self, user: str | None, password: str | None) -> str | None:
        """Why a login is refused, or None. Without a configured user every login is taken
        (the message: ``ClientManager.java`` in Polypheny-DB's prism-interface plugin)."""
        if self.user is None:
            return None
        if user != self.user or (password or "") != (self.password or ""):
            return f"Authentication failed for user {user!r}: wrong user name or password"
        return None

    def admit(self, client: Connected) -> str | None:
        """Why a logged-in client cannot be served now, or None."""
        with self._lock:
            served = sum(1 for c in self._clients if c.admitted)
            if self.max_clients is not None and served >= self.max_clients:
                return (
                    f"The Prism stand-in serves at most {self.max_clients} clients at once "
                    f"(max_clients) and {served} are connected; close idle connections or "
                    "raise the limit"
                )
            client.admitted = True
        return None

    def add_client(self, client: Connected) -> None:
        with self._lock:
            self._clients.add(client)

    def forget_client(self, client: Connected) -> None:
        with self._lock:
            self._clients.discard(client)

    def clients(self) -> list[Connected]:
        with self._lock:
            return list(self._clients)

    # -- the store ---------------------------------------------------------------------

    def ensure_store(self) -> Store:
        if self._store is None:
            from polynom.stores import open_store

            # Every client holds one store connection while connected: the pool has no cap
            # that could lock clients out (max_clients limits them, and says so at once).
            self._store = open_store(
                self._store_url or "sqlite://", pool_size=2**31 - 1, semantics="polypheny"
            )
        return self._store

    def acquire(self) -> StoreConnection:
        return self.ensure_store().acquire()

    def release(self, conn: StoreConnection) -> None:
        store = self._store
        if store is None:
            with contextlib.suppress(Exception):
                conn.close()
            return
        try:
            store.release(conn)
        except Exception:
            log.debug("prism stand-in: releasing a store connection failed", exc_info=True)

    def close_store(self) -> None:
        """Close the store if the stand-in opened it."""
        if self._owns_store and self._store is not None:
            store, self._store = self._store, None
            store.close()
