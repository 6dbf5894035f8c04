"""Per-context state the DAL pieces share, kept on the polydatum context itself.

Polydatum gives each context its own object and nothing else that is per-context, so the
connection resource, the session resource and the changelog middleware keep their small
shared state in the context's ``__dict__`` under private keys. Reading ``__dict__``
directly matters: ``getattr`` on a context would look a missing name up as a *resource*.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

LOG_USER_KEY = "_polynom_log_user"
_BEFORE_RELEASE = "_polynom_before_release"
#: ``{connection resource: connection}``: connections a session resource checked out of a
#: connection resource's pool itself (without opening that resource); the connection
#: resource lends the same one if the context asks for it, so a context has one connection.
LENT_KEY = "_polynom_lent"
_log = logging.getLogger("polynom.dal")


def opened_resource(ctx: Any, name: str) -> Any:
    """The value of the resource ``name`` if ``ctx`` has opened it, else ``None``.

    ``name in ctx`` then ``getattr(ctx, name)`` are two Python-level calls into polydatum
    on every context; its ``DataAccessContext`` keeps the opened resources in its
    ``_resources`` dict, read here directly (with the public way as the fallback).
    """
    resources: dict[str, Any] | None = ctx.__dict__.get("_resources")
    if resources is not None:
        return resources.get(name)
    return getattr(ctx, name) if name in ctx else None


def open_resource(ctx: Any, name: str) -> Any:
    """``getattr(ctx, name)``: the resource ``name`` of ``ctx``, opened on first use.

    Polydatum opens resources in ``DataAccessContext.__getattr__``, which Python calls only
    after the ordinary attribute lookup failed -- on Python 3.11 that builds and drops an
    AttributeError on every access. Asking ``_resources``, then ``__getattr__``, skips it.
    """
    opened: dict[str, Any] | None = ctx.__dict__.get("_resources")
    if opened is None:  # not polydatum's context: the plain way
        return getattr(ctx, name)
    value = opened.get(name)
    return value if value is not None else ctx.__getattr__(name)


def set_log_user(ctx: Any, user: str | None) -> None:
    """Record the changelog user the context's session is to be opened with."""
    ctx.__dict__[LOG_USER_KEY] = user


def before_release(ctx: Any, callback: Callable[[], None]) -> None:
    """Run ``callback`` before the context's connection goes back to the pool.

    Polydatum tears resources down newest-first, and a session resource that asks for the
    connection creates the connection resource *after* itself, so the connection would go
    back first. Dependents register here instead, so they always finish before it does.
    """
    callbacks: list[Callable[[], None]] | None = ctx.__dict__.get(_BEFORE_RELEASE)
    if callbacks is None:
        ctx.__dict__[_BEFORE_RELEASE] = [callback]
    else:
        callbacks.append(callback)


def run_before_release(ctx: Any) -> None:
    """Run (once) the callbacks registered with :func:`before_release`, newest first.

    A failing callback is logged and the others still run: the connection must go back.
    """
    callbacks: list[Callable[[], None]] | None = ctx.__dict__.pop(_BEFORE_RELEASE, None)
    if not callbacks:
        return
    for callback in reversed(callbacks):
        try:
            callback()
        except Exception:
            _log.exception("polynom DAL: cleanup before connection release failed")


def quiet_rollback(target: Any) -> None:
    """Roll back without letting a rollback failure hide the error being handled."""
    try:
        target.rollback()
    except Exception:
        _log.exception("polynom DAL: rollback failed (the original error is raised)")
