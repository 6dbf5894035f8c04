"""Polydatum context middleware for polynom: transactions and the changelog.

Register the transaction middleware first (polydatum sets middleware up in registration
order and tears it down in reverse), and let the session resource choose the changelog
user::

    dm.register_resources(
        connection=ConnectionResource(app),
        session=SessionResource(changelog=ChangelogMiddleware(system_user="system")),
    )
    dm.register_context_middleware(TransactionMiddleware(), *yours)

1. ``TransactionMiddleware`` -- outermost, so its teardown runs last among middleware and
   commits (or rolls back) everything the context and the other middleware wrote.
2. your own middleware -- it may use ``ctx.session``; its writes are in the transaction
   and are logged under the context's user.

``ChangelogMiddleware`` can still be registered as middleware instead (right after the
transaction middleware): it then picks the user when the context is entered.

Middleware teardown always runs before resource teardown, so the session is committed or
rolled back before its connection goes back to the pool.
"""

from __future__ import annotations

from polynom.middleware._changelog import ChangelogMiddleware
from polynom.middleware._transaction import TransactionMiddleware

__all__ = ["ChangelogMiddleware", "TransactionMiddleware"]
