"""Polydatum resources for polynom: the pooled connection and the context's ``Session``.

Register both on a polydatum ``DataManager``::

    dm.register_resources(connection=ConnectionResource(app), session=SessionResource())

or let :func:`polynom.dal.create_data_manager` do it (which also gives the session resource
a ``ChangelogMiddleware`` to choose the log user with). Both are lazy: a context that never
touches ``ctx.session`` (or ``ctx.connection``) checks no connection out, and one that uses
only ``ctx.session`` runs one polydatum resource -- the session resource checks the
connection out of the connection resource's pool itself; ``ctx.connection`` is then that
same connection.
"""

from __future__ import annotations

from polynom.resources._connection import ConnectionResource
from polynom.resources._session import SessionResource

__all__ = ["ConnectionResource", "SessionResource"]
