"""A Polypheny store over the real driver on a fresh Prism stand-in (no mocks)."""

from __future__ import annotations

import pytest

from polynom.stores.polypheny import PolyphenyStore
from polynom.testing import PrismServer
from tests.stores.polypheny._data import SETUP


@pytest.fixture
def server():
    with PrismServer() as srv:
        yield srv


@pytest.fixture
def store(server):
    st = PolyphenyStore(server.url, pool_size=2, timeout=10)
    st.execute_ddl(SETUP)
    server.reset_counts()
    yield st
    st.close()
