"""The interface every store implements.

The mapper writes Polypheny SQL with ``?`` placeholders and hands it to a store; the store
executes it on its own backend (the embedded SQLite database, or Polypheny through the
``polypheny`` driver). Values cross this boundary as plain Python values:
``None, bool, int, float, str, bytes, decimal.Decimal, datetime.date, datetime.time`` and
timezone-aware ``datetime.datetime`` in UTC. A store adapts them to its wire on the way in;
on the way out it may return them in its own representation (text for decimals on SQLite,
for instance) -- polytypes turn those back into exact Python values.
"""

from __future__ import annotations

import abc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

#: The Polypheny types the mapper declares (``polytype.sql_type`` without arguments).
ALL_TYPES = frozenset(
    {
        "VARCHAR",
        "TEXT",
        "INTEGER",
        "SMALLINT",
        "TINYINT",
        "BIGINT",
        "DOUBLE",
        "REAL",
        "DECIMAL",
        "BOOLEAN",
        "DATE",
        "TIME",
        "TIMESTAMP",
        "FILE",
    }
)


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a store guarantees by itself, so the mapper does the rest -- and nothing more.

    The mapper keeps every guarantee (no lost update, declared uniqueness and foreign keys,
    all-or-nothing migrations) on every store with one code path; a store that does a job
    itself says so here, and the mapper skips that job there (the embedded store pays
    nothing for Polypheny's needs).

    * ``enforces_unique``: primary keys and ``UNIQUE`` constraints are refused by the store.
    * ``enforces_foreign_keys``: dangling foreign keys are refused by the store.
    * ``self_referencing_fk``: a foreign key may reference its own table.
    * ``exact_batch_counts``: a batch (``execute_many``) reports the rows each row matched,
      so its total can be trusted; otherwise checked updates run one row at a time.
    * ``transactional_ddl``: a list of DDL statements runs all or nothing.
    * ``reads_lock``: reads take locks held to commit (strict two-phase locking), so a value
      read in a transaction cannot change before it ends.
    * ``exact_equality``: the column types whose ``=`` compares stored values exactly; a
      conflict check on another type compares in Python, which needs ``reads_lock``.
    """

    enforces_unique: bool = True
    enforces_foreign_keys: bool = True
    self_referencing_fk: bool = True
    exact_batch_counts: bool = True
    transactional_ddl: bool = True
    reads_lock: bool = False
    exact_equality: frozenset[str] = ALL_TYPES

    def __post_init__(self) -> None:
        if not self.reads_lock and self.exact_equality != ALL_TYPES:
            missing = ", ".join(sorted(ALL_TYPES - self.exact_equality))
            raise ValueError(
                f"a store whose reads take no locks must compare every type exactly in SQL "
                f"(it does not for {missing}): the mapper's own comparison would race"
            )

    def compares_exactly(self, sql_type: str) -> bool:
        """True when ``=`` on a column of ``sql_type`` (``"DECIMAL(10, 2)"``) is exact."""
        return sql_type.split("(", 1)[0].strip().upper() in self.exact_equality


@dataclass(slots=True, init=False)
class Result:
    """What one statement returned: the rows of a query, or the count of a DML statement."""

    columns: list[str]
    rows: list[tuple[Any, ...]]
    rowcount: int

    def __init__(
        self,
        columns: list[str] | None = None,
        rows: list[tuple[Any, ...]] | None = None,
        rowcount: int = -1,
    ) -> None:
        # written out: the generated one calls two default factories, and every write
        # returns a Result
        self.columns = [] if columns is None else columns
        self.rows = [] if rows is None else rows
        self.rowcount = rowcount


class StoreConnection(abc.ABC):
    """One connection to a store, used by one thread at a time, inside a transaction."""

    @abc.abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        """Run one Polypheny SQL statement with bound ``?`` parameters."""

    def fetch_rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one query and return just its rows (what the mapper's own reads need).

        The rows of ``execute(sql, params).rows``, but a value may come in the form the store
        holds it (a decimal as a float, a boolean as 0 or 1, a timestamp as ISO text): the
        mapper converts each by its field's polytype (``PolyType.from_db``). Stores override
        it to skip building the :class:`Result` and converting values twice."""
        return self.execute(sql, params).rows

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run one statement once per parameter row; return the total rows affected.

        Stores override this to send the rows in one batch (one round trip). Whether the
        total counts the rows each row matched is the store's
        :attr:`Capabilities.exact_batch_counts`.
        """
        return sum(self.execute_each(sql, rows))

    def execute_each(self, sql: str, rows: Sequence[Sequence[Any]]) -> list[int]:
        """Run one statement once per parameter row; the rows each one matched, in order.

        Exact on every store (one statement per row); stores override it to prepare the
        statement once."""
        return [max(self.execute(sql, params).rowcount, 0) for params in rows]

    @abc.abstractmethod
    def commit(self) -> None:
        """Make the transaction's writes durable and visible to others."""

    @abc.abstractmethod
    def rollback(self) -> None:
        """Discard the transaction's writes."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close the underlying connection for good (an open transaction is rolled back)."""

    @property
    def broken(self) -> bool:
        """True when the connection can no longer be used and must not go back to a pool."""
        return False


class Store(abc.ABC):
    """A place where data lives, with a pool of connections to it."""

    #: The address the store was opened with, for messages and for ``repr``.
    url: str
    #: How many bound parameters one statement may carry (used to size multi-row inserts).
    max_params: int = 999
    #: What the store guarantees by itself (see :class:`Capabilities`).
    capabilities: Capabilities = Capabilities()

    @abc.abstractmethod
    def acquire(self) -> StoreConnection:
        """Check a connection out of the pool (opening one if the pool is empty)."""

    @abc.abstractmethod
    def release(self, connection: StoreConnection) -> None:
        """Give a connection back: rolled back and pooled, or closed if it is broken."""

    @contextmanager
    def connection(self) -> Iterator[StoreConnection]:
        """A pooled connection for the ``with`` block, returned on every path."""
        conn = self.acquire()
        try:
            yield conn
        finally:
            self.release(conn)

    @abc.abstractmethod
    def execute_ddl(self, statements: Sequence[str]) -> None:
        """Run DDL outside any data transaction (Polypheny commits on DDL)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Close every pooled connection; the store cannot be used afterwards."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"
