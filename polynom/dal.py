"""One call to set up a polydatum ``DataManager`` for a polynom ``Application``.

::

    dm = create_data_manager(app, services={"bikes": ModelService(Bike)})
    with dm.context(meta={"user": "alice"}) as ctx:
        ctx.dal.bikes.create(name="Moots")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, TypeVar

from polydatum import DataManager
from polydatum.context import DataAccessContext
from polydatum.dal import DataAccessLayer
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

    The manager is a polydatum ``DataManager`` (a subclass doing less work per context and
    per ``ctx.dal.<service>`` lookup, with the same behaviour).

    Polydatum keeps the active contexts of *every* ``DataManager`` on one shared stack;
    with ``own_context_stack`` (the default) this manager gets its own (still per thread
    and per asyncio task), so a context of another manager never shadows this one's.
    """
    dm = _DataManager()
    if own_context_stack:
        dm.ctx_stack = _ContextStack()
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


class _DataManager(DataManager):
    """Polydatum's ``DataManager``, with less work per context and per service lookup.

    - ``ctx.dal.bikes`` on polydatum's DAL misses the instance, raises and catches an
      ``AttributeError`` and then calls ``DataAccessLayer.__getattr__``; here each registered
      service is a descriptor on the manager's own DAL class (one class per manager, so
      managers never see each other's services). Outside a context it still fails.
    - ``get_resource`` is one dict lookup (polydatum's asks its resource manager twice,
      and a context asks once per resource it opens).
    - contexts end their resources and middleware without an exception each (``_Context``).
    """

    def __init__(self) -> None:
        super().__init__()
        self._dal = type("DataAccessLayer", (_DataAccessLayer,), {})(self)
        self._by_name: dict[str, Any] = {}

    def register_resources(self, **resources: Any) -> None:
        super().register_resources(**resources)
        self._by_name.update(resources)

    def replace_resource(self, key: str, resource: Any) -> None:
        super().replace_resource(key, resource)
        self._by_name[key] = resource

    def get_resource(self, name: str) -> Any:
        """The resource registered as ``name``, or ``None``."""
        return self._by_name.get(name)

    def context(self, meta: Any = None) -> Any:
        """A new (not yet entered) data access context with ``meta``."""
        return _Context(self, meta=meta)

    def get_active_context(self) -> Any:
        """The innermost context open in this thread or task, or ``None``."""
        return self.ctx_stack.top


#: What ``next`` returns for a generator that finished (nothing yields this object).
_DONE = object()


class _Context(DataAccessContext):
    """Polydatum's context; a resource or middleware that ends normally is finished with
    ``next(generator, default)`` instead of catching the ``StopIteration`` polydatum's
    ``_exit`` waits for -- the same outcome, without raising an exception per generator."""

    def _exit(self, obj: Any, type: Any, value: Any, traceback: Any) -> Any:
        if type is None:
            if next(obj, _DONE) is not _DONE:
                raise RuntimeError(f"{obj} yielded more than once.")
            return None
        return super()._exit(obj, type, value, traceback)


class _DataAccessLayer(DataAccessLayer):
    def _init_service(self, key: str, service: Any) -> Any:
        service = super()._init_service(key, service)
        # polydatum's own names (register_services, ...) win over a service's, as there
        if not hasattr(DataAccessLayer, key):
            setattr(type(self), key, _ServiceAttribute(key))
        return service


class _ServiceAttribute:
    """``dal.<name>``: the registered service, while a context of the manager is open."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, dal: Any, owner: type | None = None) -> Any:
        if dal is None:
            return self
        # polydatum's check (an assert there too)
        assert dal._data_manager.ctx_stack.top is not None, (
            "A DataAccessContext must be started to access the DAL."
        )
        return dal._services[self.name]


class _ContextStack(LocalStack[Any]):
    """werkzeug's ``LocalStack`` (a stack per thread and asyncio task, in a ``ContextVar``),
    keeping the stack as a tuple: push and pop build the new one without copying a list,
    and ``top`` -- read on every service call -- needs no default list."""

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(ContextVar(f"polynom.dal.ctx_stack<{id(self)}>", default=()))  # type: ignore[arg-type]

    def __release_local__(self) -> None:
        self._storage.set(())  # type: ignore[arg-type]

    def push(self, obj: Any) -> Any:
        storage = self._storage
        stack = (*storage.get(), obj)
        storage.set(stack)  # type: ignore[arg-type]
        return stack

    def pop(self) -> Any:
        storage = self._storage
        stack = storage.get()
        if not stack:
            return None
        storage.set(stack[:-1])
        return stack[-1]

    @property
    def top(self) -> Any:
        stack = self._storage.get()
        return stack[-1] if stack else None


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
