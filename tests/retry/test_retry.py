"""retry_on_conflict and the DAL and Celery hooks that use it."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest

from polynom.dal import create_data_manager, run_in_context
from polynom.errors import ConfigurationError, ConflictError, NotFound, StoreError
from polynom.retry import retry_on_conflict
from tests.dal.services import BikeService


def test_a_retryable_error_runs_the_function_again_until_it_succeeds():
    calls: list[int] = []
    seen: list[tuple[str, int]] = []

    @retry_on_conflict(attempts=4, delay=0, on_retry=lambda e, n: seen.append((str(e), n)))
    def flaky(x: int) -> int:
        calls.append(x)
        if len(calls) < 3:
            raise ConflictError("lost")
        return x * 2

    assert flaky(21) == 42
    assert calls == [21, 21, 21] and seen == [("lost", 1), ("lost", 2)]
    assert flaky.__name__ == "flaky"


def test_other_errors_and_the_last_conflict_propagate():
    calls: list[str] = []

    def refused() -> None:
        calls.append("x")
        raise StoreError("no")  # not retryable

    with pytest.raises(StoreError):
        retry_on_conflict(refused, delay=0)()
    assert calls == ["x"]

    def always() -> None:
        calls.append("c")
        raise ConflictError("again")

    with pytest.raises(ConflictError, match="again"):
        retry_on_conflict(always, attempts=3, delay=0)()
    assert calls.count("c") == 3
    assert not NotFound("x").retryable and ConflictError("x").retryable
    with pytest.raises(ConfigurationError):
        retry_on_conflict(always, attempts=0)


def test_run_in_context_retries_a_lost_race_in_a_fresh_context(app):
    """Two threads raise one bike's price at the same moment, on every store kind: one
    loses (a ConflictError: a changed field on the embedded store, a broken deadlock on
    Polypheny) and runs again in a new context; no raise is lost."""
    dm = create_data_manager(app, services={"bikes": BikeService()})
    with dm.context() as ctx:
        bike_id = ctx.dal.bikes.create(name="b", price=0)._entry_id
    meet = threading.Barrier(2)
    errors: list[BaseException] = []

    def raise_price(ctx: Any, entry_id: str) -> None:
        bike = ctx.dal.bikes.get_or_raise(entry_id)
        bike.price += 1
        with contextlib.suppress(threading.BrokenBarrierError):
            meet.wait(timeout=2)

    def worker() -> None:
        try:
            for _ in range(3):
                run_in_context(dm, raise_price, bike_id, meta={"user": "t"}, attempts=20)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            meet.abort()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    with dm.context() as ctx:
        assert ctx.dal.bikes.get(bike_id).price == 6
