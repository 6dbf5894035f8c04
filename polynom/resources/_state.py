"""Per-context state the DAL pieces share, kept on the polydatum context itself.

Polydatum gives each context its own object and nothing else that is per-context, so the
connection resource, the session resource and the changelog middleware keep their small
shared state in the context's ``__dict__`` under one private key. Reading ``__dict__``
directly matters: ``getattr`` on a context would look the name up as a *resource*.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

_KEY = "_polynom_dal_state"
_log = logging.getLogger("polynom.dal")


class _ContextState:
    """What one context's DAL pieces tell each other."""

    __slots__ = ("before_release", "log_user", "log_user_set")

    def __init__(self) -> None:
        self.before_release: list[Callable[[], None]] = []
        self.log_user: str | None = None
        self.log_user_set = False


def _state(ctx: Any) -> _ContextState:
    """The DAL state of ``ctx``, created on first use."""
    d = ctx.__dict__
    st = d.get(_KEY)
    if st is None:
        st = d[_KEY] = _ContextState()
    return st


def _peek_state(ctx: Any) -> _ContextState | None:
    """The DAL state of ``ctx`` if any piece created it, without creating it."""
    st: _ContextState | None = ctx.__dict__.get(_KEY)
    return st


def _before_release(ctx: Any, callback: Callable[[], None]) -> None:
    """Run ``callback`` before the context's connection goes back to the pool.

    Polydatum tears resources down newest-first, and a session resource that asks for the
    connection creates the connection resource *after* itself, so the connection would go
    back first. Dependents register here instead, so they always finish before it does.
    """
    _state(ctx).before_release.append(callback)


def _run_before_release(ctx: Any) -> None:
    """Run (once) the callbacks registered with :func:`_before_release`, newest first.

    A failing callback is logged and the others still run: the connection must go back.
    """
    st = _peek_state(ctx)
    if st is None:
        return
    callbacks, st.before_release = st.before_release, []
    for callback in reversed(callbacks):
        try:
            callback()
        except Exception:
            _log.exception("polynom DAL: cleanup before connection release failed")
