"""What persistence, migration and dump run statements through: a narrow executor.

Persistence never sees the session: the session hands it an :class:`Executor` bound to its
connection (like a transport in httpx), which runs statements and logs them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from polynom.stores.base import Capabilities, Result, StoreConnection

__all__ = ["ConnectionExecutor", "Executor", "StatementLog", "Statements"]

#: Called with each statement and its parameters before it runs (statement logging).
StatementLog = Callable[[str, Sequence[Any]], None]


class Statements(Protocol):
    """Anything that runs one statement: a session, a store connection, an executor."""

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Result: ...


class Executor(Statements, Protocol):
    """Runs statements in one transaction, also as batches, and knows the store's limits and
    what it guarantees by itself."""

    @property
    def max_params(self) -> int:
        """How many bound parameters one statement may carry."""
        ...

    @property
    def capabilities(self) -> Capabilities:
        """What the store enforces and reports itself (the mapper does the rest)."""
        ...

    def execute_many(self, statement: str, rows: Sequence[Sequence[Any]]) -> int:
        """Run ``statement`` once per row of parameters as one batch; the count the store
        reports (the rows matched only where ``capabilities.exact_batch_counts``)."""
        ...


class ConnectionExecutor:
    """An :class:`Executor` on one store connection, logging through ``log`` when given."""

    __slots__ = ("capabilities", "connection", "log", "max_params")

    def __init__(
        self,
        connection: StoreConnection,
        max_params: int,
        log: StatementLog | None = None,
        capabilities: Capabilities | None = None,
    ) -> None:
        self.connection = connection
        self.max_params = max_params
        self.log = log
        self.capabilities = capabilities if capabilities is not None else Capabilities()

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Result:
        log = self.log
        if log is not None:
            log(statement, params)
        return self.connection.execute(statement, params)

    def execute_many(self, statement: str, rows: Sequence[Sequence[Any]]) -> int:
        log = self.log
        if log is not None:
            log(statement, rows[0] if rows else ())
        return self.connection.execute_many(statement, rows)
