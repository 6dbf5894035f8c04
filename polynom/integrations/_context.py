"""What the web and task integrations share about one DAL context entered by hand."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["CommitVeto", "RequestFailed", "context_meta", "default_commit_veto", "exit_context"]

#: Decides from a response's status code whether the request's work must be rolled back.
CommitVeto = Callable[[int], bool]


class RequestFailed(Exception):
    """Thrown into a request's context when its response has an error status.

    A handler that *returns* an error response (``abort(400)``, a ``500`` page) raised
    nothing the context could see, yet its writes must not be committed: the integration
    ends the context with this exception, so the transaction middleware rolls back. Your own
    middleware sees it too; ``error`` is the exception behind the response, when known.
    """

    def __init__(self, status: int, error: BaseException | None = None) -> None:
        super().__init__(f"the response has the error status {status}")
        self.status = status
        self.error = error


def default_commit_veto(status: int) -> bool:
    """Roll back a request whose response is a client or server error (``status >= 400``)."""
    return status >= 400


def context_meta(
    user: object,
    extra: Mapping[str, Any] | None,
    **framework: Any,
) -> dict[str, Any]:
    """A context's meta: the framework's request objects, ``extra``, then ``user``."""
    meta: dict[str, Any] = dict(framework)
    if extra:
        meta.update(extra)
    meta["user"] = user
    return meta


def exit_context(data_manager: Any, ctx: Any, error: BaseException | None) -> None:
    """End a polydatum context entered by hand: commit, or roll back for ``error``.

    Polydatum's ``__exit__`` re-raises the exception it was given; that one is swallowed
    here (the caller already handles it). Anything *else* -- a failed commit, middleware
    that raised -- propagates. Either way the context leaves the calling thread's (or
    task's) context stack: one exited in a worker thread pops itself off that thread's
    *copy* of the context-local stack only.
    """
    try:
        if error is None:
            ctx.__exit__(None, None, None)
            return
        try:
            ctx.__exit__(type(error), error, error.__traceback__)
        except BaseException as raised:
            if raised is not error:
                raise
    finally:
        pop_if_top(data_manager, ctx)


def pop_if_top(data_manager: Any, ctx: Any) -> None:
    """Take ``ctx`` off the current execution context's stack if it is still there."""
    stack = data_manager.ctx_stack
    if stack.top is ctx:
        stack.pop()
