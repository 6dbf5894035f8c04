"""One call to set up a polydatum ``DataManager`` for a polynom ``Application``.

::

    dm = create_data_manager(app, services={"bikes": ModelService(Bike)})
    with dm.context(meta={"user": "alice"}) as ctx:
        ctx.dal.bikes.create(name="Moots")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from polydatum import DataManager
from werkzeug.local import LocalStack

from polynom.middleware import ChangelogMiddleware, TransactionMiddleware
from polynom.resources import ConnectionResource, SessionResource
from polynom.retry import retry_on_conflict

if TYPE_CHECKING:
    from polynom.application import Application

__all__ = ["create_data_manager", "run_in_context"]

T = TypeVar("T")


def create_data_manager(
    application: Application,
    *,
    services: Mapping[str, Any] | None = None,
    system_user: str | None = "system",
    user_from: Callable[[Any], object] | None = None,
    middleware: tuple[Callable[[Any], Iterator[Any]], ...] = (),
    own_context_stack: bool = True,
) -> Any:
    """A ``DataManager`` with the polynom resources, middleware and ``services``.

    Registers ``connection`` (:class:`~polynom.resources.ConnectionResource`), ``session``
    (:class:`~polynom.resources.SessionResource`, choosing the changelog user with a
    :class:`~polynom.middleware.ChangelogMiddleware` of ``system_user`` and ``user_from``
    when it opens the session), then the middleware:
    :class:`~polynom.middleware.TransactionMiddleware` first, then ``middleware``. The
    application must be open (``with app:``) while contexts run.

    Polydatum keeps the active contexts of *every* ``DataManager`` on one shared stack;
    with ``own_context_stack`` (the default) this manager gets its own (still per thread
    and per asyncio task), so a context of another manager never shadows this one's.
    """
    dm = DataManager()
    if own_context_stack:
        dm.ctx_stack = LocalStack()
    # The changelog user is chosen where the session opens rather than by a middleware of
    # its own: one generator less per context, and none at all for contexts without data.
    changelog = ChangelogMiddleware(system_user=system_user, user_from=user_from)
    dm.register_resources(
        connection=ConnectionResource(application), session=SessionResource(changelog=changelog)
    )
    dm.register_context_middleware(TransactionMiddleware(), *middleware)
    if services:
        dm.register_services(**services)
    return dm


def run_in_context(
    dm: Any,
    work: Callable[..., T],
    *args: Any,
    meta: Mapping[str, Any] | None = None,
    attempts: int = 5,
    **kwargs: Any,
) -> T:
    """``work(ctx, *args, **kwargs)`` in a context of its own, committed when it returns --
    and, when it loses a conflict (a retryable polynom error), run again in a fresh context,
    up to ``attempts`` runs in all (:func:`polynom.retry.retry_on_conflict`)::

        def restock(ctx, entry_id, n):
            bike = ctx.dal.bikes.get_or_raise(entry_id)
            return ctx.dal.bikes.update(entry_id, stock=bike.stock + n)

        run_in_context(dm, restock, bike_id, 1, meta={"user": "alice"})
    """

    def attempt() -> T:
        with dm.context(meta=dict(meta) if meta is not None else None) as ctx:
            return work(ctx, *args, **kwargs)

    return retry_on_conflict(attempt, attempts=attempts)()
