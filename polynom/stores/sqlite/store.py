"""The embedded store: a database file (or a private one in memory) and its pool of
connections (see :mod:`polynom.stores.sqlite`)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
import threading
import weakref
from collections.abc import Sequence
from pathlib import Path

from polynom.errors import StoreConnectionError, StoreError
from polynom.stores._address import SqliteAddress, parse_address
from polynom.stores.base import Capabilities, Store, StoreConnection
from polynom.stores.pool import Pool
from polynom.stores.sqlite.catalog import Catalog
from polynom.stores.sqlite.connection import SqliteConnection, is_broken
from polynom.stores.sqlite.translate.types import DECIMAL_COLLATION
from polynom.stores.sqlite.translate.values import decimal_collation

__all__ = ["POLYPHENY_SEMANTICS", "SqliteStore"]

#: What the embedded store guarantees with ``semantics="polypheny"``: what a default
#: Polypheny does, except that its batches count exactly and its reads take no locks (the
#: Prism stand-in adds Polypheny's locking and batch counts in front of it).
POLYPHENY_SEMANTICS = Capabilities(
    enforces_unique=False,
    enforces_foreign_keys=False,
    self_referencing_fk=False,
    exact_batch_counts=True,
    transactional_ddl=False,
)


def _memory_directory() -> Path:
    """A private directory in RAM (``/dev/shm``) when the machine has one, else temp."""
    shm = Path("/dev/shm")
    base = str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="polynom-memory-", dir=base))


class SqliteStore(Store):
    """The embedded store (see :mod:`polynom.stores.sqlite`).

    :param address: ``"sqlite:///file.db"``, ``"sqlite://"`` or a :class:`SqliteAddress`.
    :param pool_size: most connections open at once.
    :param timeout: seconds to wait for a free connection before :class:`StoreConnectionError`.
    :param busy_timeout: seconds a writer waits for another writer's lock before
        :class:`ConflictError`.
    :param semantics: ``"sqlite"`` (the embedded store's own: every key enforced, DDL all or
        nothing) or ``"polypheny"``: it answers as a default-configured Polypheny does, for
        the Prism stand-in (no key enforced, NOT NULL checked logically, DDL that commits,
        Polypheny's grammar, NULL order and messages; see ``docs/testing.md``).
    """

    #: SQLite's default limit of bound parameters per statement (SQLITE_MAX_VARIABLE_NUMBER).
    max_params = 32766

    def __init__(
        self,
        address: SqliteAddress | str | None = "sqlite://",
        *,
        pool_size: int = 10,
        timeout: float = 30.0,
        busy_timeout: float = 5.0,
        semantics: str = "sqlite",
    ) -> None:
        if semantics not in ("sqlite", "polypheny"):
            raise StoreError(f"semantics is 'sqlite' or 'polypheny', not {semantics!r}")
        self.semantics = semantics
        self.polypheny = semantics == "polypheny"
        if self.polypheny:
            self.capabilities = POLYPHENY_SEMANTICS
        if not isinstance(address, SqliteAddress):
            parsed = parse_address(address)
            if not isinstance(parsed, SqliteAddress):
                raise StoreError(f"{address!r} is not an address of the embedded store")
            address = parsed
        self.address = address
        self.url = address.url
        self.busy_timeout = busy_timeout
        self._directory: Path | None = None
        self._cleanup: weakref.finalize | None = None
        if address.path is None:
            self._directory = _memory_directory()
            self._cleanup = weakref.finalize(self, shutil.rmtree, self._directory, True)
            self.path = self._directory / "memory.db"
        else:
            self.path = address.path.absolute()  # later chdir() must not move the database
        self._lock = threading.Lock()
        self._closed = False
        self._catalog = Catalog(self.path, busy_timeout, polypheny=self.polypheny)
        self._pool: Pool[SqliteConnection] = Pool(
            self._connect,
            reset=SqliteConnection.rollback,
            close=SqliteConnection.close,
            is_broken=is_broken,
            max_size=pool_size,
            timeout=timeout,
            name=f"SQLite store {self.url}",
        )
        try:
            self._bootstrap()
        except BaseException:
            self.close()
            raise

    @property
    def in_memory(self) -> bool:
        return self.address.path is None

    @property
    def pool(self) -> Pool[SqliteConnection]:
        return self._pool

    def _connect(self) -> SqliteConnection:
        try:
            raw = sqlite3.connect(
                str(self.path),
                timeout=self.busy_timeout,
                isolation_level=None,
                check_same_thread=False,
                detect_types=sqlite3.PARSE_DECLTYPES,
                cached_statements=256,
            )
        except sqlite3.Error as exc:
            raise StoreConnectionError(
                f"cannot open the SQLite database {self.url}: {exc}"
            ) from None
        try:
            # Polypheny's semantics: no foreign key is an SQLite constraint (see ddl_polypheny)
            raw.execute(f"PRAGMA foreign_keys={'OFF' if self.polypheny else 'ON'}")
            raw.execute("PRAGMA case_sensitive_like=ON")
            if self.in_memory:
                raw.execute("PRAGMA synchronous=OFF")  # nothing to make durable
            raw.create_collation(DECIMAL_COLLATION, decimal_collation)
        except sqlite3.Error as exc:
            raw.close()
            raise StoreConnectionError(f"cannot set up a connection to {self.url}: {exc}") from None
        return SqliteConnection(raw, self.url, self._catalog, polypheny=self.polypheny)

    def _bootstrap(self) -> None:
        """WAL mode and the namespace catalog (with Polypheny's ``public`` namespace)."""
        conn = self._pool.acquire()
        try:
            limit = conn.prepare_database()
            self.max_params = min(type(self).max_params, limit)
        finally:
            self._pool.release(conn)

    # -- Store -----------------------------------------------------------------------------

    def acquire(self) -> SqliteConnection:
        return self._pool.acquire()

    def release(self, connection: StoreConnection) -> None:
        if not isinstance(connection, SqliteConnection):
            raise StoreError("this connection does not belong to an SQLite store")
        self._pool.release(connection)

    def execute_ddl(self, statements: Sequence[str], *, namespace: str | None = None) -> None:
        """Run DDL on a connection of its own, in one transaction: all of it or nothing."""
        with self.connection() as conn:
            assert isinstance(conn, SqliteConnection)
            conn.run_ddl(statements, namespace=namespace)

    def column_types(self, namespace: str, entity: str) -> dict[str, str]:
        """Each column of ``"namespace"."entity"`` with its Polypheny type (``DECIMAL(10, 2)``,
        ``VARCHAR(36)``...), in column order."""
        with self.connection() as conn:
            assert isinstance(conn, SqliteConnection)
            return conn.column_types(namespace, entity)

    def close(self) -> None:
        """Close every connection; an in-memory database is deleted."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._catalog.close()
        self._pool.close()
        if self._cleanup is not None:
            self._cleanup()
