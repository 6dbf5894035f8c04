"""Celery: every task run in its own DAL context, its user carried in a message header.

::

    from polynom.integrations.celery import DalTask, apply_async_as, init_celery

    init_celery(celery_app, make_data_manager)      # a DataManager, or a factory for it

    @celery_app.task(base=DalTask, bind=True)
    def reprice(self, entry_id, price):
        self.dal.bikes.update(entry_id, price=price)    # committed when the task returns

    apply_async_as(reprice, "alice", args=(bike_id, 990))   # meta.user == "alice"

A run commits when the task returns -- before Celery stores its result, so whoever waits
for the result sees the data -- and rolls back when it raises, including ``Retry`` (a
retried run leaves nothing behind; the next attempt starts clean).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from celery import Celery, Task
from celery.signals import before_task_publish
from polydatum import DataManager

from polynom.errors import ConfigurationError, SessionError
from polynom.retry import retry_on_conflict

__all__ = ["CONF_KEY", "USER_HEADER", "DalTask", "apply_async_as", "init_celery"]

#: The message header that names the user a task runs for (its context's ``meta.user``).
USER_HEADER = "polynom_user"

#: The Celery setting ``init_celery`` stores the data manager (or its factory) in.
CONF_KEY = "polynom_data_manager"

DataManagerSource = Any  # a polydatum DataManager, or a zero-argument factory of one


class DalTask(Task):
    """Task base class: each run of the task in its own DAL context.

    ``meta`` is ``{"user": <the polynom_user header>, "task": name, "task_id": id}``. Reach
    the context with ``self.context`` / ``self.dal`` (``bind=True``) or
    ``celery.current_task.dal``.

    The data manager is the task's ``data_manager`` attribute (``@app.task(base=DalTask,
    data_manager=dm)`` or a subclass), else the app's (:func:`init_celery`). Either may be a
    factory, called once per process on first use -- after a prefork worker forked, so
    connections are never shared across processes.

    Calling the task function directly (``reprice(...)``, not ``delay``) inside an open
    context of the same data manager runs it in that context, like any function call; an
    eager or worker run always gets its own context.
    """

    #: A DataManager or a zero-argument factory; ``None`` means the app's (``init_celery``).
    data_manager: DataManagerSource = None
    #: How many times a run that lost a conflict (a retryable polynom error, such as the
    #: ``ConflictError`` of a deadlock Polypheny broke) runs again at once, each time in a
    #: fresh context: ``@app.task(base=DalTask, conflict_retries=3)``. 0: never.
    conflict_retries: int = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        dm = self.get_data_manager()
        request = self.request
        if request.called_directly:
            if dm.get_active_context() is not None:
                return super().__call__(*args, **kwargs)

            def direct() -> Any:
                with dm.context(meta=self._meta(request)):
                    return super(DalTask, self).__call__(*args, **kwargs)

            return self._retrying(direct)

        # Run by a worker or apply(): the tracer has pushed the request already, so call
        # run() (Task.__call__ would push a second, empty request).
        def run() -> Any:
            with dm.context(meta=self._meta(request)):
                return self.run(*args, **kwargs)

        return self._retrying(run)

    def _retrying(self, attempt: Callable[[], Any]) -> Any:
        retries = self.conflict_retries
        if not retries:
            return attempt()
        return retry_on_conflict(attempt, attempts=retries + 1)()

    def get_data_manager(self) -> Any:
        """The data manager this task runs with (created on first use from a factory)."""
        # Looked up on the class: a factory function stored there must not become a method.
        source = getattr(type(self), "data_manager", None)
        if source is None:
            source = self.app.conf.get(CONF_KEY)
        if source is None:
            raise ConfigurationError(
                f"task {self.name!r} has no data manager: call init_celery(app, dm) or pass "
                "@app.task(base=DalTask, data_manager=dm)"
            )
        return _materialise(source)

    @property
    def context(self) -> Any:
        """The context of the current run."""
        ctx = self.get_data_manager().get_active_context()
        if ctx is None:
            raise SessionError(f"task {self.name!r} is not running: no polynom context is active")
        return ctx

    @property
    def dal(self) -> Any:
        """The DAL of the current run's context."""
        return self.context.dal

    def _meta(self, request: Any) -> dict[str, Any]:
        return {"user": _header_user(request), "task": self.name, "task_id": request.id}


def _header_user(request: Any) -> str | None:
    """The ``polynom_user`` header of a task request (worker, eager or direct call)."""
    headers = request.headers or {}
    user = headers.get(USER_HEADER)
    if user is None:  # protocol 2 also makes custom headers request attributes
        user = getattr(request, USER_HEADER, None)
    return None if user is None else str(user)


# factory -> (pid, what it made in that process); keyed by the factory itself, not its
# id(), which a later factory could reuse.
_factories: dict[Any, tuple[int, Any]] = {}
_factories_lock = threading.RLock()  # a factory may publish (copy_user looks here)


def _materialise(source: DataManagerSource, *, create: bool = True) -> Any:
    """``source`` itself, or what its factory made in this process (made once, on first
    use; ``None`` when it was not made yet and ``create`` is false)."""
    if isinstance(source, DataManager) or not callable(source):
        return source
    pid = os.getpid()
    with _factories_lock:
        made = _factories.get(source)
        if made is None or made[0] != pid:  # first use, or first use after a fork
            if not create:
                return None
            made = _factories[source] = (pid, source())
        return made[1]


def apply_async_as(
    task: Task,
    user: str | int | None,
    args: Sequence[Any] | None = None,
    kwargs: Mapping[str, Any] | None = None,
    **options: Any,
) -> Any:
    """``task.apply_async(args, kwargs, **options)`` running for ``user`` (``meta.user``)."""
    headers = dict(options.pop("headers", None) or {})
    if user is not None:
        headers[USER_HEADER] = str(user)
    return task.apply_async(args, kwargs, headers=headers, **options)


def init_celery(
    app: Celery,
    data_manager: DataManagerSource,
    *,
    propagate_user: bool = True,
    header_from: Callable[[Any], str | None] | None = None,
) -> Callable[[], None]:
    """Make ``data_manager`` the one ``DalTask`` tasks of ``app`` use.

    With ``propagate_user``, a task published while a context of this data manager is
    active -- from a request handler, or from another task -- runs for the same user unless
    the publisher set the header. ``header_from(ctx)`` names that user; by default it is
    ``meta.user`` when that is a name (``str``/``int``).

    Returns a function that undoes the setup (for tests).
    """
    app.conf[CONF_KEY] = data_manager
    uid = f"polynom-user-{id(app)}-{id(data_manager)}"

    def undo() -> None:
        before_task_publish.disconnect(dispatch_uid=uid)
        if app.conf.get(CONF_KEY) is data_manager:
            app.conf[CONF_KEY] = None

    if not propagate_user:
        return undo

    def copy_user(headers: dict[str, Any] | None = None, **_: Any) -> None:
        if headers is None or headers.get(USER_HEADER) is not None:
            return
        dm = _materialise(data_manager, create=False)
        ctx = dm.get_active_context() if dm is not None else None
        if ctx is None:  # (a factory not used yet in this process has no context either)
            return
        user = header_from(ctx) if header_from else _name(ctx.meta.get("user"))
        if user is not None:
            headers[USER_HEADER] = user

    before_task_publish.connect(copy_user, weak=False, dispatch_uid=uid)
    return undo


def _name(user: object) -> str | None:
    if isinstance(user, str) and user:
        return user
    if isinstance(user, int) and not isinstance(user, bool):
        return str(user)
    return None
