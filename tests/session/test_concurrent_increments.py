"""No lost update, for every type, on every store: two threads increment a counter held in a
field of that type; each increment is a session of its own, retried on a ConflictError.
The final count is the number of increments that committed.

A conflict is found differently per store: the embedded store checks each changed value
against the one it replaced in the UPDATE (JSON text, bytes and GeoJSON too); a default
Polypheny makes the readers of an entity wait for its writer and aborts one of two
transactions that read and then write it (strict two-phase locking with deadlock detection,
Polypheny-DB's dbms/.../transaction/locking/LockableImpl.java), and the mapper compares
the values it read in Python under that lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from shapely.geometry import Point

from polynom.retry import retry_on_conflict
from polynom.session import Session
from tests.models import Everything

THREADS = 2
EACH = 5

_EPOCH = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)

#: field -> (start value, the value after one increment of a value, the count it holds)
COUNTERS: dict[str, tuple[Any, Callable[[Any], Any], Callable[[Any], int]]] = {
    "integer": (0, lambda v: v + 1, int),
    "smallint": (0, lambda v: v + 1, int),
    "tinyint": (0, lambda v: v + 1, int),
    "bigint": (2**40, lambda v: v + 1, lambda v: v - 2**40),
    "double": (0.0, lambda v: v + 1, int),
    "real": (0.0, lambda v: v + 1, int),
    "decimal": (Decimal("0.0000"), lambda v: v + 1, int),
    "varchar": ("0", lambda v: str(int(v) + 1), int),
    "text": ("0", lambda v: str(int(v) + 1), int),
    "date": (_EPOCH.date(), lambda v: v + dt.timedelta(days=1), lambda v: (v - _EPOCH.date()).days),
    "timestamp": (
        _EPOCH,
        lambda v: v + dt.timedelta(milliseconds=1),
        lambda v: (v - _EPOCH) // dt.timedelta(milliseconds=1),
    ),
    "time": (
        dt.time(0, 0),
        lambda v: (dt.datetime.combine(_EPOCH.date(), v) + dt.timedelta(seconds=1)).time(),
        lambda v: v.second + 60 * v.minute,
    ),
    # the types without an exact SQL equality on some store (issue 10: 358 of 600 JSON
    # increments were lost, with no ConflictError)
    "json": ({"n": 0, "tags": ["a"]}, lambda v: {**v, "n": v["n"] + 1}, lambda v: v["n"]),
    "file": (b"0", lambda v: str(int(v) + 1).encode(), int),
    "geometry": (Point(0, 0), lambda v: Point(v.x + 1, 0), lambda v: int(v.x)),
}


@pytest.mark.parametrize("name", list(COUNTERS))
def test_concurrent_increments_are_never_lost(app, name):
    start, step, count = COUNTERS[name]
    with Session(app) as session:
        counter = Everything(**{name: start})
        session.add(counter)
        session.commit()
    entry_id = counter._entry_id
    committed = [0] * THREADS
    conflicts = [0] * THREADS
    errors: list[BaseException] = []
    # both threads read before either writes, as long as both still have work: every round
    # is a real race (a thread that is done breaks the barrier; the other then goes alone)
    meet = threading.Barrier(THREADS)

    def worker(k: int) -> None:
        def lost(_error: Any, _attempt: int) -> None:
            conflicts[k] += 1

        @retry_on_conflict(attempts=50, on_retry=lost)
        def increment() -> None:
            with Session(app) as session:
                model = Everything.query(session).get(entry_id)
                setattr(model, name, step(getattr(model, name)))
                with contextlib.suppress(threading.BrokenBarrierError):
                    meet.wait(timeout=2)
                session.commit()

        try:
            for _ in range(EACH):
                increment()
                committed[k] += 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            meet.abort()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    with Session(app) as session:
        final = getattr(Everything.query(session).get(entry_id), name)
    assert sum(conflicts) >= EACH - 1  # they raced: every round one lost and ran again
    assert count(final) == sum(committed) == THREADS * EACH
