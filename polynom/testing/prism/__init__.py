"""The Prism stand-in: a TEST DOUBLE that speaks Polypheny's Prism protocol.

:class:`PrismServer` listens on a loopback TCP port and answers the plain transport of
Polypheny's Prism protocol (version line ``plain-v1@polypheny.com``, then 8-byte
little-endian length-prefixed protobuf ``Request``/``Response`` messages), so that the real
``polypheny`` driver -- and :class:`polynom.stores.polypheny.PolyphenyStore`, and PolyNOM
itself -- can run in tests without the Java server. It answers as a default-configured
Polypheny does: entity-level strict two-phase locking with deadlock detection, batch
counts, DDL that commits, no key enforced (unless switched on), Polypheny's refusals and
what they do to the transaction. Statements are executed on an embedded store (by default a
fresh in-memory :class:`~polynom.stores.sqlite.SqliteStore` with ``semantics="polypheny"``);
every client gets its own store connection, so its own transaction.

It is **not** a database to deploy and **not** Polypheny: it has no query planner, no
MQL/Cypher, no streaming of large values, no TLS transport, and it runs only the SQL the
embedded store's translator accepts; ``docs/testing.md`` says what it does not emulate.

Example::

    with PrismServer() as server:
        con = polypheny.connect(server.address, username="pa", password="", transport="plain")
        ...
        assert server.request_counts["commit_request"] == 1

The modules, each with one job: :mod:`.server` (listening, the lifecycle),
:mod:`.client` (one client's requests, answered in turn), :mod:`.statements` (statements run
on the store, result frames), :mod:`.transaction` (one client's transaction: locks, commit,
rollback, what a failure does), :mod:`.locks` (Polypheny's lock manager and deadlock
detector), :mod:`.enforcement` (its constraint enforcement, when switched on),
:mod:`.transport` (the version handshake and message framing),
:mod:`.state` (what clients share with their server), :mod:`.values` (``ProtoValue``
encoding, written from Polypheny's serializer -- on purpose independent of
``PolyphenyStore``'s encoder, so that a bug on both sides cannot cancel out) and
:mod:`.sqltext` (placeholders and statement kinds).
"""

from polynom.testing.prism.server import DEFAULT_MAX_FRAME_BYTES, PrismServer
from polynom.testing.prism.statements import DEFAULT_FETCH_SIZE

__all__ = ["DEFAULT_FETCH_SIZE", "DEFAULT_MAX_FRAME_BYTES", "PrismServer"]
