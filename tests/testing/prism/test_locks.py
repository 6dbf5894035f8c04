"""The stand-in's lock manager on its own: an exclusive lock has one holder at a time, however
the waiters it wakes are scheduled."""

from __future__ import annotations

import sys
import threading

from polynom.testing.prism.locks import EXCLUSIVE, LockManager, Transaction, entity_lockable


def test_an_exclusive_lock_has_one_holder_while_its_waiters_come_and_go() -> None:
    locks = LockManager()
    lockable = entity_lockable("public", "item")
    holders: list[Transaction] = []
    overlaps: list[int] = []
    guard = threading.Lock()

    def work() -> None:
        for _ in range(2000):
            txn = Transaction()
            locks.acquire(txn, lockable, EXCLUSIVE)
            with guard:
                holders.append(txn)
                if len(holders) > 1:
                    overlaps.append(len(holders))
            with guard:
                holders.remove(txn)
            locks.release_all(txn)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads switch as often as a loaded machine makes them
    try:
        threads = [threading.Thread(target=work) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        sys.setswitchinterval(interval)
    assert not any(t.is_alive() for t in threads)
    assert overlaps == []
