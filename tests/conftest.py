"""Fixtures shared by the test suite: one application per store kind."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from polynom.application import Application

STORES = ["sqlite-memory", "sqlite-file", "prism"]


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh store address of every kind: in memory, a file, Polypheny via the stand-in."""
    kind = request.param
    if kind == "sqlite-memory":
        yield "sqlite://"
    elif kind == "sqlite-file":
        yield f"sqlite:///{tmp_path / 'test.db'}"
    else:
        testing = pytest.importorskip("polynom.testing")
        with testing.PrismServer() as server:
            yield server.url


@pytest.fixture
def app(store_url: str) -> Iterator[Application]:
    """An active application on a fresh store."""
    with Application(str(uuid.uuid4()), store_url) as application:
        yield application
