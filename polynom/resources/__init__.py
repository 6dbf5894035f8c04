"""Polydatum resources for polynom: the pooled connection and the context's ``Session``.

Register both on a polydatum ``DataManager``::

    dm.register_resources(connection=ConnectionResource(app), session=SessionResource())

or let :func:`polynom.dal.create_data_manager` do it. Both are lazy: a context that never
touches ``ctx.session`` (or ``ctx.connection``) checks no connection out.
"""

from __future__ import annotations

from polynom.resources._connection import ConnectionResource
from polynom.resources._session import SessionResource

__all__ = ["ConnectionResource", "SessionResource"]
