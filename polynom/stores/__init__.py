"""Stores: where the data lives, behind one interface (:mod:`polynom.stores.base`).

:func:`open_store` picks the store from an address: the embedded SQLite store for
``sqlite://`` addresses, Polypheny (through the ``polypheny`` driver) for the others.
"""

from __future__ import annotations

from typing import Any

from polynom.stores._address import (
    ACCEPTED_FORMS,
    PolyphenyAddress,
    SqliteAddress,
    parse_address,
)
from polynom.stores.base import Capabilities, Result, Store, StoreConnection

__all__ = [
    "ACCEPTED_FORMS",
    "Capabilities",
    "PolyphenyAddress",
    "Result",
    "SqliteAddress",
    "Store",
    "StoreConnection",
    "open_store",
    "parse_address",
]


def open_store(
    address: Any = None,
    *,
    user: str = "pa",
    password: str = "",
    transport: str = "plain",
    **options: Any,
) -> Store:
    """Open the store an address names.

    ``address`` is ``("host", 20590)``, ``"polypheny://user:pass@host:port"``, a socket path
    with ``transport="unix"``, ``"polypheny+unix:///path"``, ``"sqlite:///file.db"``,
    ``"sqlite://"`` (in memory), or None for ``$POLYNOM_URL`` (else ``sqlite:///polynom.db``
    in the working directory). ``options`` go to the store (``pool_size``, ``timeout``...).
    Raises :class:`~polynom.errors.ConfigurationError` for anything else.
    """
    parsed = parse_address(address, user=user, password=password, transport=transport)
    if isinstance(parsed, SqliteAddress):
        from polynom.stores.sqlite import SqliteStore

        return SqliteStore(parsed, **options)
    from polynom.stores.polypheny import PolyphenyStore  # imported lazily: needs the driver

    return PolyphenyStore(parsed, **options)
