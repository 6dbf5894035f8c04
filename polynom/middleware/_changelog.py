"""Changelog middleware: the context's user becomes its session's ``log_user``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from polynom.errors import ConfigurationError
from polynom.resources.context_state import set_log_user


class ChangelogMiddleware:
    """Record every change of a context in the changelog under the context's user.

    The user is ``meta.user`` (``dm.context(meta={"user": "alice"})``), or ``system_user``
    when the meta names none -- background jobs, migrations. ``system_user=None`` turns the
    changelog off for such contexts. ``user_from`` replaces the lookup, for meta that holds
    a user *object* (``user_from=lambda meta: meta.user.email``).

    Two ways to use it. Passed to the session resource
    (``SessionResource(changelog=ChangelogMiddleware(...))``, what
    :func:`polynom.dal.create_data_manager` does), it is not registered as middleware: the
    resource asks :meth:`log_user` when it opens the session, so a context costs no extra
    middleware and a meta user that cannot be named fails at the first data access.
    Registered as middleware, it chooses the user when the context is entered (and fails
    there) and its choice wins over the resource's; a session opened before it ran gets
    the user too.
    """

    def __init__(
        self,
        *,
        system_user: str | None = "system",
        user_from: Callable[[Any], object] | None = None,
        session: str = "session",
    ) -> None:
        self.system_user = system_user
        self.user_from = user_from
        #: Resource name of the session (for a session opened before this middleware ran).
        self.session = session

    def log_user(self, context: Any) -> str | None:
        """The changelog user for ``context``: from its meta, else the system user."""
        user = self.user_from(context.meta) if self.user_from else context.meta.get("user")
        if user is None or user == "":
            return self.system_user
        if isinstance(user, str):
            return user
        if isinstance(user, int) and not isinstance(user, bool):
            return str(user)
        raise ConfigurationError(
            f"the context's meta user is a {type(user).__name__}, not a str; the changelog "
            "stores a user name: pass ChangelogMiddleware(user_from=lambda meta: ...)"
        )

    def __call__(self, context: Any) -> Iterator[None]:
        user = self.log_user(context)
        set_log_user(context, user)
        if self.session in context:
            getattr(context, self.session).log_user = user
        yield

    def __repr__(self) -> str:
        return f"<{type(self).__name__} system_user={self.system_user!r}>"
