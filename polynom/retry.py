"""Running a unit of work again when it lost a conflict: :func:`retry_on_conflict`.

A :class:`~polynom.errors.ConflictError` means another session changed the same entries
first, or the store aborted the transaction to break a deadlock (Polypheny does, with its
entity locks). Either way the transaction was rolled back and nothing of it was written;
running the whole unit of work again -- reading afresh, deciding again, writing -- is the
cure. Errors say whether that may help in their ``retryable`` attribute; this helper retries
exactly those, a few times, with a short randomised backoff so two contenders do not collide
again in step::

    @retry_on_conflict
    def add_stock(app, entry_id, n):
        with Session(app) as session:               # a new session on every attempt
            item = session.get(Item, entry_id)
            item.qty += n
            session.commit()

    retry_on_conflict(add_stock, attempts=10)(app, item_id, 1)   # or as a call

The function must open its own session (or DAL context) on every call: retrying a session
that already failed cannot work, since its transaction is gone.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar, overload

from polynom.errors import ConfigurationError, PolynomError

__all__ = ["retry_on_conflict"]

F = TypeVar("F", bound=Callable[..., Any])


@overload
def retry_on_conflict(func: F, /) -> F: ...


@overload
def retry_on_conflict(
    func: F,
    /,
    *,
    attempts: int = ...,
    delay: float = ...,
    max_delay: float = ...,
    on_retry: Callable[[PolynomError, int], None] | None = ...,
) -> F: ...


@overload
def retry_on_conflict(
    func: None = None,
    /,
    *,
    attempts: int = ...,
    delay: float = ...,
    max_delay: float = ...,
    on_retry: Callable[[PolynomError, int], None] | None = ...,
) -> Callable[[F], F]: ...


def retry_on_conflict(
    func: Callable[..., Any] | None = None,
    /,
    *,
    attempts: int = 5,
    delay: float = 0.01,
    max_delay: float = 0.5,
    on_retry: Callable[[PolynomError, int], None] | None = None,
) -> Any:
    """Call ``func`` again (up to ``attempts`` calls in all) while it raises a retryable
    polynom error; the last error, or any other, propagates.

    Before attempt ``n + 1`` it sleeps about ``delay * 2**(n - 1)`` seconds (at most
    ``max_delay``, times a random factor between 0.5 and 1.5) and calls ``on_retry(error,
    n)`` when given. Use it as ``@retry_on_conflict``, ``@retry_on_conflict(attempts=10)``
    or ``retry_on_conflict(func, attempts=10)(*args)``.
    """
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise ConfigurationError(f"attempts must be an int >= 1, got {attempts!r}")
    if delay < 0 or max_delay < 0:
        raise ConfigurationError("delay and max_delay must not be negative")

    def decorate(target: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(target)
        def run(*args: Any, **kwargs: Any) -> Any:
            for attempt in range(1, attempts + 1):
                try:
                    return target(*args, **kwargs)
                except PolynomError as exc:
                    if not exc.retryable or attempt == attempts:
                        raise
                    if on_retry is not None:
                        on_retry(exc, attempt)
                    pause = min(max_delay, delay * 2 ** (attempt - 1))
                    time.sleep(pause * random.uniform(0.5, 1.5))
            raise AssertionError("unreachable")  # pragma: no cover

        return run

    return decorate if func is None else decorate(func)
