"""The stand-in's server: it listens, accepts clients, and serves each on its own thread.

Modelled on Polypheny-DB's ``plugins/prism-interface/src/main/java/org/polypheny/db/
prisminterface/PIServer.java`` (one thread per client connection).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from typing import TYPE_CHECKING, Any

from polynom.testing.prism.client import Client
from polynom.testing.prism.state import ServerState
from polynom.testing.prism.transport import PLAIN_VERSION, UNIX_VERSION, Transport

if TYPE_CHECKING:
    from polynom.stores.base import Store

__all__ = ["DEFAULT_IDLE_TIMEOUT", "DEFAULT_MAX_FRAME_BYTES", "PrismServer"]

log = logging.getLogger("polynom.testing.prism")

#: Soft limit on the size of one result frame. The Python driver 1.0.0 reads a message with a
#: single ``recv()``, which can return a partial message once it is larger than what the
#: socket delivers at once; smaller frames keep the driver working (it fetches the rest).
DEFAULT_MAX_FRAME_BYTES = 32 * 1024
#: Seconds a client may idle before it is disconnected (Polypheny itself has no limit; a
#: client the stand-in dropped reconnects, as PolyphenyStore's pool does by itself).
DEFAULT_IDLE_TIMEOUT = 600.0


class PrismServer:
    """A Prism (plain transport) server backed by an embedded store -- a TEST DOUBLE.

    :param store: the store statements run on; by default a fresh in-memory embedded store
        owned (and closed) by the server. Pass your own to inspect data from the test.
    :param url: instead of ``store``, a store address for ``polynom.stores.open_store``
        (``"sqlite:///tmp/x.db"``); that store is owned by the server.
    :param host: the interface to listen on (loopback by default).
    :param port: the TCP port; ``0`` picks a free one. A stopped server restarts on the port
        it had, so tests can simulate a server restart.
    :param user: when given, clients must log in with this user and ``password``; otherwise
        any user and password are accepted (as the URL, ``pa`` with an empty password).
    :param max_frame_bytes: soft limit of one result frame (see ``DEFAULT_MAX_FRAME_BYTES``);
        ``None`` cuts frames by ``fetch_size`` alone, as Polypheny does.
    :param record_statements: keep every statement received in :attr:`statements`.
    :param unix_socket: listen on this unix socket path (Prism's ``unix`` transport,
        version line ``unix-v1@polypheny.com``) instead of TCP.
    :param unique_constraint_enforcement: Polypheny's runtime setting of that name (off by
        default, as on Polypheny): unique keys checked after every write, in its words.
    :param foreign_key_enforcement: Polypheny's runtime setting of that name (off by
        default): foreign keys checked at commit, which a violation rolls back.
    :param lock_wait_timeout: seconds a statement waits for a lock another client holds
        before it fails; ``None`` (the default) waits as long as it takes, as Polypheny does.
    :param idle_timeout: seconds a client may send nothing before it is disconnected (its
        transaction rolled back and its locks released); ``None`` for no limit.
    :param max_clients: how many clients may be connected at once (``None``: no limit); one
        more is refused at once, with a message saying so.

    The server answers as a default-configured Polypheny does (``docs/testing.md``): when it
    opens its store itself, that is an embedded store with ``semantics="polypheny"``; a
    ``store`` you pass keeps its own semantics. Locking (entity-level strict two-phase
    locking with deadlock detection), batch counts and DDL that commits are the server's.

    Counters: :attr:`request_count` (all requests since the last :meth:`reset_counts`) and
    :attr:`request_counts` (per request kind, e.g. ``"prepare_indexed_statement_request"``).
    """

    def __init__(
        self,
        store: Store | None = None,
        *,
        url: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        user: str | None = None,
        password: str | None = None,
        max_frame_bytes: int | None = DEFAULT_MAX_FRAME_BYTES,
        record_statements: bool = False,
        unix_socket: str | None = None,
        unique_constraint_enforcement: bool = False,
        foreign_key_enforcement: bool = False,
        lock_wait_timeout: float | None = None,
        idle_timeout: float | None = DEFAULT_IDLE_TIMEOUT,
        max_clients: int | None = None,
    ) -> None:
        if store is not None and url is not None:
            raise ValueError("give either store or url, not both")
        self.host = host
        self._port = port
        self.unix_socket = os.fspath(unix_socket) if unix_socket else None
        self._state = ServerState(
            store,
            url,
            user=user,
            password=password,
            max_frame_bytes=max_frame_bytes,
            record_statements=record_statements,
            unique_constraint_enforcement=unique_constraint_enforcement,
            foreign_key_enforcement=foreign_key_enforcement,
            lock_wait_timeout=lock_wait_timeout,
            idle_timeout=idle_timeout,
            max_clients=max_clients,
        )
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._running = threading.Event()

    # -- settings (the clients read them live) ---------------------------------------

    @property
    def user(self) -> str | None:
        return self._state.user

    @user.setter
    def user(self, value: str | None) -> None:
        self._state.user = value

    @property
    def password(self) -> str | None:
        return self._state.password

    @password.setter
    def password(self, value: str | None) -> None:
        self._state.password = value

    @property
    def max_frame_bytes(self) -> int | None:
        return self._state.max_frame_bytes

    @max_frame_bytes.setter
    def max_frame_bytes(self, value: int | None) -> None:
        self._state.max_frame_bytes = value

    @property
    def record_statements(self) -> bool:
        return self._state.record_statements

    @record_statements.setter
    def record_statements(self, value: bool) -> None:
        self._state.record_statements = value

    @property
    def unique_constraint_enforcement(self) -> bool:
        return self._state.unique_constraint_enforcement

    @unique_constraint_enforcement.setter
    def unique_constraint_enforcement(self, value: bool) -> None:
        self._state.unique_constraint_enforcement = value

    @property
    def foreign_key_enforcement(self) -> bool:
        return self._state.foreign_key_enforcement

    @foreign_key_enforcement.setter
    def foreign_key_enforcement(self, value: bool) -> None:
        self._state.foreign_key_enforcement = value

    @property
    def idle_timeout(self) -> float | None:
        return self._state.idle_timeout

    @idle_timeout.setter
    def idle_timeout(self, value: float | None) -> None:
        self._state.idle_timeout = value

    @property
    def statements(self) -> list[tuple[str, str, str | None]]:
        """``(language, statement, namespace)`` of every statement received, as sent, when
        ``record_statements`` is on (cleared by :meth:`reset_counts`)."""
        return self._state.statements

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> PrismServer:
        """Start listening (again, on the same port after :meth:`stop`). Returns ``self``."""
        if self._running.is_set():
            return self
        self._state.ensure_store()
        if self.unix_socket:
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.unix_socket)
            target: Any = self.unix_socket
        else:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            target = (self.host, self._port)
        try:
            listener.bind(target)
        except OSError:
            listener.close()
            raise
        listener.listen(1024)
        if not self.unix_socket:
            self._port = listener.getsockname()[1]
        self._listener = listener
        self._running.set()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"prism-stand-in:{self._port}", daemon=True
        )
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and drop every client (their transactions roll back).

        The store and its data are kept, so :meth:`start` brings the "server" back.
        """
        if not self._running.is_set():
            return
        self._running.clear()
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
            if self.unix_socket:
                with contextlib.suppress(OSError):
                    os.unlink(self.unix_socket)
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=5)
            self._accept_thread = None
        self.disconnect_clients()

    def close(self) -> None:
        """Stop, and close the store if the server created it."""
        self.stop()
        self._state.close_store()

    def __enter__(self) -> PrismServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def disconnect_clients(self) -> None:
        """Drop every client connection now, as a crashed server or a broken network would."""
        clients = self._state.clients()
        for client in clients:
            client.disconnect()
        for client in clients:
            if client.thread is not None and client.thread is not threading.current_thread():
                client.thread.join(timeout=5)

    # -- addresses -------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def address(self) -> Any:
        """``(host, port)`` as ``polypheny.connect`` and PolyNOM's ``Application`` take it
        (the socket path with ``unix_socket``)."""
        if self.unix_socket:
            return self.unix_socket
        return (self.host, self._port)

    @property
    def url(self) -> str:
        """``polypheny://user:password@host:port`` for ``polynom.stores.open_store``."""
        user = self.user if self.user is not None else "pa"
        password = self.password if self.password is not None else ""
        if self.unix_socket:
            return f"polypheny+unix://{self.unix_socket}"
        return f"polypheny://{user}:{password}@{self.host}:{self._port}"

    @property
    def running(self) -> bool:
        return self._running.is_set()

    @property
    def store(self) -> Store:
        """The embedded store the statements run on."""
        return self._state.ensure_store()

    @property
    def client_count(self) -> int:
        """How many clients are connected right now."""
        return len(self._state.clients())

    # -- counters --------------------------------------------------------------------

    @property
    def request_count(self) -> int:
        """Requests received since the last :meth:`reset_counts` (one per round trip)."""
        return sum(self._state.counts().values())

    @property
    def request_counts(self) -> dict[str, int]:
        """Requests received per kind (``"commit_request"``...), since the last reset."""
        return self._state.counts()

    def reset_counts(self) -> None:
        """Zero the request counters (and forget the recorded statements)."""
        self._state.reset_counts()

    # -- accepting -------------------------------------------------------------------

    def _accept_loop(self) -> None:
        listener = self._listener
        assert listener is not None
        version = UNIX_VERSION if self.unix_socket else PLAIN_VERSION
        while self._running.is_set():
            try:
                sock, peer = listener.accept()
            except OSError:
                break
            if not self._running.is_set():
                sock.close()
                break
            if not self.unix_socket:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client = Client(Transport(sock, version), peer, self._state)
            thread = threading.Thread(
                target=client.run, name=f"prism-stand-in-client:{peer!r}", daemon=True
            )
            client.thread = thread
            self._state.add_client(client)
            thread.start()
