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
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Result:
    """What one statement returned: the rows of a query, or the count of a DML statement."""

    columns: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    rowcount: int = -1


class StoreConnection(abc.ABC):
    """One connection to a store, used by one thread at a time, inside a transaction."""

    @abc.abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> Result:
        """Run one Polypheny SQL statement with bound ``?`` parameters."""

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run one statement once per parameter row; return the total rows affected.

        Stores override this to send the rows in one batch (one round trip).
        """
        total = 0
        for params in rows:
            count = self.execute(sql, params).rowcount
            total += max(count, 0)
        return total

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
