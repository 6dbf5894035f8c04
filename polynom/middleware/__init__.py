"""Polydatum context middleware for polynom: transactions and the changelog.

Register them in this order (polydatum sets middleware up in registration order and tears
it down in reverse)::

    dm.register_context_middleware(TransactionMiddleware(), ChangelogMiddleware(), *yours)

1. ``TransactionMiddleware`` -- outermost, so its teardown runs last among middleware and
   commits (or rolls back) everything the context and the other middleware wrote.
2. ``ChangelogMiddleware`` -- sets the context's changelog user before anything can open
   the session.
3. your own middleware -- it may use ``ctx.session``; its writes are in the transaction
   and are logged under the context's user.

Middleware teardown always runs before resource teardown, so the session is committed or
rolled back before its connection goes back to the pool.
"""

from __future__ import annotations

from polynom.middleware._changelog import ChangelogMiddleware
from polynom.middleware._transaction import TransactionMiddleware

__all__ = ["ChangelogMiddleware", "TransactionMiddleware"]
