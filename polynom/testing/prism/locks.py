"""Polypheny's concurrency control, for the stand-in: strict two-phase locking on whole
entities, with a wait-for graph that aborts the transaction whose wait closes a cycle.

Modelled on Polypheny-DB's ``dbms/src/main/java/org/polypheny/db/transaction/locking/
LockableImpl.java`` (shared and exclusive locks, parents taken shared first, fair queueing:
a new shared request waits while anyone waits; an upgrade waits to be the sole owner),
``LockablesRegistry.java`` (global <- namespace <- entity), ``deadlocks/
GraphDeadlockDetector.java`` and ``DeadlockHandler.java`` (edges from a waiter to the
owners; the requester that closes a cycle is aborted), with ``RuntimeConfig.java``'s defaults
(``S2PL_LOCKING_LEVEL = ENTITY``, ``GRAPH_DEADLOCK_DETECTOR``). Locks are held until the
transaction commits or rolls back; waits never time out on Polypheny (``lock_wait_timeout``
is the stand-in's own safety net, off by default).

One more lockable is the stand-in's own: :data:`STORE_WRITER`, SQLite's single write lock,
taken exclusively before a transaction's first write so that waiting for it is part of the
same graph (a cycle through it is found at once instead of timing out in SQLite). Polypheny
has no such lock: two transactions writing different entities wait for each other here,
and may be aborted where Polypheny would let both go on (``docs/testing.md``).
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass, field

__all__ = [
    "EXCLUSIVE",
    "GLOBAL",
    "SHARED",
    "STORE_WRITER",
    "Deadlock",
    "LockManager",
    "LockWaitTimeout",
    "Transaction",
    "entity_lockable",
    "namespace_lockable",
]

SHARED, EXCLUSIVE = "SHARED", "EXCLUSIVE"
#: What is locked: ``("global",)``, ``("namespace", ns)``, ``("entity", ns, entity)``.
Lockable = tuple[str, ...]
#: The root of the lock tree (``GlobalLockable.java``).
GLOBAL: Lockable = ("global",)
#: SQLite's write lock, a lockable of the stand-in's own (see the module docstring).
STORE_WRITER: Lockable = ("store-writer",)

_ids = itertools.count()


def namespace_lockable(namespace: str) -> Lockable:
    return ("namespace", namespace.lower())


def entity_lockable(namespace: str, entity: str) -> Lockable:
    return ("entity", namespace.lower(), entity.lower())


def _parent(lockable: Lockable) -> Lockable | None:
    kind = lockable[0]
    if kind == "entity":
        return namespace_lockable(lockable[1])
    if kind == "namespace":
        return GLOBAL
    return None


class Deadlock(Exception):
    """The transaction was chosen to break a deadlock; its locks are released. The message
    is Polypheny's."""


class LockWaitTimeout(Exception):
    """The stand-in gave up waiting for a lock (Polypheny would wait forever)."""


@dataclass(eq=False)
class Transaction:
    """One client transaction: Polypheny's id (a server-wide counter) and its locks."""

    id: int = field(default_factory=lambda: next(_ids))
    held: dict[Lockable, str] = field(default_factory=dict)
    #: Entities it wrote (``(namespace, entity)``): the foreign keys checked at commit.
    written: set[tuple[str, str]] = field(default_factory=set)


@dataclass(eq=False)
class _Lock:
    owners: set[Transaction] = field(default_factory=set)
    exclusive: bool = False
    waiting: set[Transaction] = field(default_factory=set)


def _describe(lockable: Lockable) -> str:
    """The lockable as Polypheny prints it in the deadlock message (``toString``)."""
    kind = lockable[0]
    if kind == "entity":
        # core/.../catalog/entity/logical/LogicalTable.java (toString); the stand-in has no
        # catalog ids to print
        return f"LogicalTable{{entityType=ENTITY, namespaceType=RELATIONAL, name='{lockable[2]}'}}"
    if kind == "namespace":
        return f"LogicalNamespace(name={lockable[1]}, dataModel=RELATIONAL)"
    return "org.polypheny.db.transaction.locking.GlobalLockable"


class LockManager:
    """The locks of one stand-in, shared by all its clients."""

    def __init__(self, wait_timeout: float | None = None) -> None:
        self.wait_timeout = wait_timeout
        self._cond = threading.Condition()
        self._locks: dict[Lockable, _Lock] = {}
        self._edges: dict[Transaction, set[Transaction]] = {}

    # -- acquiring ------------------------------------------------------------------------

    def acquire(self, txn: Transaction, lockable: Lockable, mode: str) -> None:
        """Take ``lockable`` in ``mode`` (its parents shared first); wait while others hold
        it. Raises :class:`Deadlock` (all of ``txn``'s locks released) when the wait would
        close a cycle."""
        with self._cond:
            try:
                self._acquire(txn, lockable, mode)
            except (Deadlock, LockWaitTimeout):
                self._release_all(txn)
                raise

    def _acquire(self, txn: Transaction, lockable: Lockable, mode: str) -> None:
        held = txn.held.get(lockable)
        if held in (mode, EXCLUSIVE):
            return
        lock = self._locks.setdefault(lockable, _Lock())
        if held == SHARED:  # an upgrade (LockableImpl.upgradeToExclusive)
            while len(lock.owners) != 1:
                self._wait(txn, lock, lock.owners - {txn}, "Deadlock detected")
            lock.exclusive = True
            txn.held[lockable] = EXCLUSIVE
            return
        parent = _parent(lockable)
        if parent is not None:
            self._acquire(txn, parent, SHARED)
        message = (
            f"Transaction {txn.id:,} encountered a deadlock while acquiring a lock of type "
            f"{mode} on entry {_describe(lockable)}."
        )
        if mode == SHARED:
            while lock.exclusive or (lock.waiting - {txn}):
                self._wait(txn, lock, set(lock.owners), message)
        else:
            while lock.owners:
                self._wait(txn, lock, set(lock.owners), message)
            lock.exclusive = True
        lock.owners.add(txn)
        txn.held[lockable] = mode

    def _wait(self, txn: Transaction, lock: _Lock, owners: set[Transaction], message: str) -> None:
        """Wait for ``owners`` to let go (DeadlockHandler.addAndResolveDeadlock first)."""
        self._edges.setdefault(txn, set()).update(owners)
        if self._in_cycle(txn):
            self._edges.pop(txn, None)
            raise Deadlock(message)
        lock.waiting.add(txn)
        started = time.monotonic()
        timeout = self.wait_timeout
        woken = self._cond.wait(timeout)
        lock.waiting.discard(txn)
        if not woken and timeout is not None and time.monotonic() - started >= timeout:
            self._edges.pop(txn, None)
            raise LockWaitTimeout(
                f"The Prism stand-in gave up waiting {timeout:g} s for a lock that another "
                "transaction holds (Polypheny itself waits without limit): commit or roll "
                "back the other transaction"
            )

    def _in_cycle(self, start: Transaction) -> bool:
        seen: set[Transaction] = set()
        stack = list(self._edges.get(start, ()))
        while stack:
            current = stack.pop()
            if current is start:
                return True
            if current in seen:
                continue
            seen.add(current)
            stack.extend(self._edges.get(current, ()))
        return False

    # -- releasing ------------------------------------------------------------------------

    def release_all(self, txn: Transaction) -> None:
        """Release every lock of ``txn`` (commit, rollback, a lost client)."""
        with self._cond:
            self._release_all(txn)

    def _release_all(self, txn: Transaction) -> None:
        for lockable in txn.held:
            lock = self._locks.get(lockable)
            if lock is None:
                continue
            lock.owners.discard(txn)
            if not lock.owners:
                lock.exclusive = False
            # The lock stays registered, as in Polypheny's LockablesRegistry: a waiter woken
            # below still looks at this object, and a fresh one made for a later request
            # would let both hold it.
            lock.waiting.clear()  # everyone waiting looks again (signalAll)
        txn.held.clear()
        txn.written.clear()
        self._edges.pop(txn, None)
        for successors in self._edges.values():
            successors.discard(txn)
        self._cond.notify_all()

    def wake_all(self) -> None:
        """Let every waiter look again (after it was woken, the graph may have changed)."""
        with self._cond:
            self._cond.notify_all()
