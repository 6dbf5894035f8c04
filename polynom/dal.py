"""One call to set up a polydatum ``DataManager`` for a polynom ``Application``.

::

    dm = create_data_manager(app, services={"bikes": ModelService(Bike)})
    with dm.context(meta={"user": "alice"}) as ctx:
        ctx.dal.bikes.create(name="Moots")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from polydatum import DataManager
from werkzeug.local import LocalStack

from polynom.middleware import ChangelogMiddleware, TransactionMiddleware
from polynom.resources import ConnectionResource, SessionResource

if TYPE_CHECKING:
    from polynom.application import Application

__all__ = ["create_data_manager"]


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
    (:class:`~polynom.resources.SessionResource`), then the middleware in their documented
    order: :class:`~polynom.middleware.TransactionMiddleware`,
    :class:`~polynom.middleware.ChangelogMiddleware` (``system_user``, ``user_from``), then
    ``middleware``. The application must be open (``with app:``) while contexts run.

    Polydatum keeps the active contexts of *every* ``DataManager`` on one shared stack;
    with ``own_context_stack`` (the default) this manager gets its own (still per thread
    and per asyncio task), so a context of another manager never shadows this one's.
    """
    dm = DataManager()
    if own_context_stack:
        dm.ctx_stack = LocalStack()
    dm.register_resources(connection=ConnectionResource(application), session=SessionResource())
    dm.register_context_middleware(
        TransactionMiddleware(),
        ChangelogMiddleware(system_user=system_user, user_from=user_from),
        *middleware,
    )
    if services:
        dm.register_services(**services)
    return dm
