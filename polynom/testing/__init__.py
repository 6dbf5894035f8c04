"""Testing helpers: the Prism stand-in server (a test double) and its pytest fixture.

:class:`PrismServer` speaks Polypheny's Prism protocol on a loopback port and runs the
statements on an embedded store, so the real ``polypheny`` driver -- and everything built on
it -- can be tested without a Polypheny server. It is a **test double**, not Polypheny: see
``docs/testing.md`` for what it does not emulate.

The ``prism_server`` fixture gives each test a fresh, started server on a free port with an
empty in-memory store, and stops it afterwards::

    def test_something(prism_server):
        store = open_store(prism_server.url)   # or polypheny.connect(prism_server.address, ...)
        ...
        assert prism_server.request_count == 3

The pytest plugin re-exports the fixture; to use it without the plugin, import it into a
``conftest.py``: ``from polynom.testing import prism_server``.
"""

from __future__ import annotations

from collections.abc import Iterator

from polynom.testing.prism import DEFAULT_FETCH_SIZE, DEFAULT_MAX_FRAME_BYTES, PrismServer

__all__ = ["DEFAULT_FETCH_SIZE", "DEFAULT_MAX_FRAME_BYTES", "PrismServer", "prism_server"]


def _prism_server() -> Iterator[PrismServer]:
    """A started Prism stand-in with a fresh in-memory store, stopped after the test."""
    with PrismServer() as server:
        yield server


try:
    import pytest
except ImportError:  # pytest is only needed for the fixture
    prism_server = _prism_server
else:
    prism_server = pytest.fixture(name="prism_server")(_prism_server)
