"""Polypheny over its Prism protocol, through the ``polypheny`` driver.

:class:`PolyphenyStore` keeps a pool of driver connections. The driver is not thread-safe
(``threadsafety = 0``): a pooled connection is used by one thread at a time, from checkout to
release. A connection whose socket broke (server restarted, network dropped) is detected --
on checkout without a round trip, and on use -- discarded and replaced; it is never handed
out again.

Values are adapted exactly, which the driver alone does not do (driver 1.0.0; see
:mod:`.values`), and the driver's message reader is replaced per connection by one that reads
a whole message (:mod:`.driver`).

Driver errors become polynom errors (:mod:`.errors`, one table):
:class:`~polynom.errors.StoreConnectionError` when Polypheny cannot be reached or the
connection broke, :class:`~polynom.errors.UniqueViolation`,
:class:`~polynom.errors.ForeignKeyViolation`, :class:`~polynom.errors.NotNullViolation`,
:class:`~polynom.errors.ConflictError`, else :class:`~polynom.errors.StoreError`.

The modules: :mod:`.store` (the store and its pool), :mod:`.connection` (one connection),
:mod:`.values` (parameters as ``ProtoValue``), :mod:`.driver` (the driver made safe to pool)
and :mod:`.errors`.
"""

from polynom.stores.polypheny.connection import PolyphenyConnection
from polynom.stores.polypheny.store import PolyphenyStore
from polynom.stores.polypheny.values import encode_param

__all__ = ["PolyphenyConnection", "PolyphenyStore", "encode_param"]
