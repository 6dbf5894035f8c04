"""A started stand-in with a small table, and no driver connection left behind."""

from __future__ import annotations

import pytest

from polynom.stores.polypheny.driver import force_close
from polynom.testing import PrismServer
from tests.testing.prism._clients import SETUP, connect, open_connections


@pytest.fixture(autouse=True)
def _no_leaked_driver_connections():
    """A failing test leaves driver connections open; the driver's __del__ would then raise
    on the stopped server's dead socket. Close leftovers without network traffic."""
    yield
    while open_connections:
        force_close(open_connections.pop())


@pytest.fixture
def server():
    with PrismServer() as srv:
        con = connect(srv)
        cur = con.cursor()
        for sql in SETUP:
            cur.execute(sql)
        con.commit()
        con.close()
        srv.reset_counts()
        yield srv
