"""The Polypheny store: an address, a pool of driver connections, and a connection of its own
for DDL."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from typing import Any

import polypheny

from polynom.errors import ConfigurationError, StoreConnectionError, StoreError
from polynom.stores._address import DEFAULT_POLYPHENY_PORT, PolyphenyAddress, parse_address
from polynom.stores.base import ALL_TYPES, Capabilities, Store, StoreConnection
from polynom.stores.polypheny.connection import PolyphenyConnection
from polynom.stores.polypheny.driver import adapt_driver
from polynom.stores.pool import Pool

__all__ = ["POLYPHENY", "PolyphenyStore"]

#: What a default-configured Polypheny guarantees by itself (Polypheny-DB's
#: ``core/src/main/java/org/polypheny/db/config/RuntimeConfig.java`` and the sources cited
#: in ``docs/guide/stores.md``): no key is enforced (``uniqueConstraintEnforcement``,
#: ``foreignKeyEnforcement`` off), no foreign key may reference its own table, a batch
#: answers the number of rows sent, DDL commits (so a list of it is not all or nothing),
#: reads take entity locks held to commit (strict two-phase locking), and a ``FILE`` column
#: (HSQLDB's ``BLOB``) is not trusted with ``=``.
POLYPHENY = Capabilities(
    enforces_unique=False,
    enforces_foreign_keys=False,
    self_referencing_fk=False,
    exact_batch_counts=False,
    transactional_ddl=False,
    reads_lock=True,
    exact_equality=ALL_TYPES - {"FILE"},
)


class PolyphenyStore(Store):
    """Polypheny through the ``polypheny`` driver, with a pool of connections.

    ``address`` is anything :func:`polynom.stores._address.parse_address` takes for Polypheny
    (``("host", port)``, ``"polypheny://user:pass@host:port"``, a socket path with
    ``transport="unix"``, ``"polypheny+unix:///path"``), a parsed ``PolyphenyAddress``, or
    nothing with ``host``/``port`` or ``path`` given instead. ``user``/``password`` apply when
    the address carries none.
    """

    #: Polypheny plans every statement; very long statements cost more to plan than they
    #: save in round trips. 1000 values per statement keeps multi-row inserts fast.
    max_params = 1000
    capabilities = POLYPHENY

    def __init__(
        self,
        address: Any = None,
        *,
        user: str | None = None,
        password: str | None = None,
        transport: str | None = None,
        host: str | None = None,
        port: int | None = None,
        path: str | None = None,
        pool_size: int = 8,
        timeout: float = 30.0,
    ) -> None:
        self.address = _polypheny_address(
            address,
            user=user,
            password=password,
            transport=transport,
            host=host,
            port=port,
            path=path,
        )
        self.url = self.address.url
        self._pool: Pool[PolyphenyConnection] = Pool(
            self._new_connection,
            reset=_reset,
            close=PolyphenyConnection.close,
            is_broken=lambda conn: not conn.check_alive(),
            max_size=pool_size,
            timeout=timeout,
            name=f"Polypheny at {self.where}",
        )
        self._ddl_lock = threading.Lock()
        self._ddl_conn: PolyphenyConnection | None = None

    @property
    def where(self) -> str:
        """``host:port`` or the socket path, for messages."""
        if self.address.transport == "unix":
            return str(self.address.path)
        return f"{self.address.host}:{self.address.port}"

    @property
    def pool(self) -> Pool[PolyphenyConnection]:
        return self._pool

    # -- connecting ----------------------------------------------------------------

    def _new_connection(self) -> PolyphenyConnection:
        return PolyphenyConnection(self._connect, self.where)

    def _connect(self) -> Any:
        address = self.address
        try:
            conn = polypheny.connect(
                address.target,
                username=address.user,
                password=address.password,
                transport=address.transport,
            )
        except (polypheny.Error, OSError, EOFError) as exc:
            raise self._unreachable(exc) from None
        adapt_driver(conn)
        return conn

    def _unreachable(self, exc: BaseException) -> StoreError:
        detail = str(exc) or type(exc).__name__
        lowered = detail.lower()
        if "authentication" in lowered or "password" in lowered:
            return StoreConnectionError(
                f"Polypheny at {self.where} refused the login of user "
                f"{self.address.user!r}: {detail}"
            )
        if "incompatible" in lowered:
            return StoreConnectionError(f"Polypheny at {self.where} is incompatible: {detail}")
        if self.address.transport == "unix":
            return StoreConnectionError(
                f"cannot reach Polypheny through the unix socket {self.address.path} "
                f"({detail}): Polypheny is not running there, or the socket path is wrong"
            )
        return StoreConnectionError(
            f"cannot reach Polypheny at {self.where} ({detail}): Polypheny is not running or "
            "not reachable there (is its Prism interface listening on that port?)"
        )

    # -- Store ---------------------------------------------------------------------

    def acquire(self) -> PolyphenyConnection:
        return self._pool.acquire()

    def release(self, connection: StoreConnection) -> None:
        assert isinstance(connection, PolyphenyConnection)
        self._pool.release(connection)

    def execute_ddl(self, statements: Sequence[str]) -> None:
        """Run DDL on the store's own DDL connection, outside every data transaction."""
        with self._ddl_lock:
            conn = self._ddl_conn
            if conn is None or not conn.check_alive():
                if conn is not None:
                    conn.close()
                conn = self._ddl_conn = self._new_connection()
            try:
                for sql in statements:
                    conn.execute(sql)
                conn.commit()
            except StoreConnectionError:
                self._ddl_conn = None
                conn.close()
                raise

    def close(self) -> None:
        self._pool.close()
        with self._ddl_lock:
            if self._ddl_conn is not None:
                self._ddl_conn.close()
                self._ddl_conn = None


def _reset(conn: PolyphenyConnection) -> None:
    """Roll back what a released connection left open (no round trip when it is clean)."""
    if conn.dirty and not conn.broken:
        conn.rollback()


def _polypheny_address(
    address: Any,
    *,
    user: str | None,
    password: str | None,
    transport: str | None,
    host: str | None,
    port: int | None,
    path: str | None,
) -> PolyphenyAddress:
    if isinstance(address, PolyphenyAddress):
        if user is None and password is None:
            return address
        return dataclasses.replace(
            address,
            user=user if user is not None else address.user,
            password=password if password is not None else address.password,
        )
    if address is None:
        if path is not None:
            address, transport = path, transport or "unix"
        elif host is not None or port is not None:
            address = (host or "localhost", port if port is not None else DEFAULT_POLYPHENY_PORT)
        else:
            raise ConfigurationError(
                "PolyphenyStore needs an address: ('host', port), "
                "'polypheny://user:pass@host:port', a socket path with transport='unix' "
                "or 'polypheny+unix:///path'"
            )
    parsed = parse_address(
        address,
        user=user if user is not None else "pa",
        password=password if password is not None else "",
        transport=transport or "plain",
    )
    if not isinstance(parsed, PolyphenyAddress):
        raise ConfigurationError(f"{address!r} is not a Polypheny address (it is {parsed.url})")
    return parsed
