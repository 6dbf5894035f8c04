"""Fixtures shared by the test suite: one application per store kind.

Every mapper test runs on the embedded store (in memory and in a file), on Polypheny through
the Prism stand-in and the real driver -- answering as a default-configured Polypheny
(``prism``: no key enforced, entity locks, batch counts...) and with Polypheny's
constraint enforcement switched on (``prism-enforcing``) -- and, marked ``polypheny``, on a
real Polypheny (``POLYPHENY_URL``, or a container when Docker is there; skipped, saying why,
otherwise).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from polynom import config, sql
from polynom.application import Application
from polynom.schema.schema_registry import registered_schemas, sort_by_dependency
from polynom.stores import open_store
from polynom.testing.polypheny import _polypheny_url_fixture as polypheny_url  # noqa: F401

STORES = [
    "sqlite-memory",
    "sqlite-file",
    "prism",
    "prism-enforcing",
    pytest.param("polypheny", marks=pytest.mark.polypheny),
]
#: How long a test's statement may wait for a lock on the stand-in before it fails (on
#: Polypheny it would wait forever: a test that deadlocks itself should fail, not hang).
LOCK_WAIT = 8.0


def _fresh_polypheny(url: str) -> None:
    """Drop what earlier tests left: a real server is shared by the whole run.

    Whole namespaces go (a DROP NAMESPACE drops every table in it, referenced or not:
    Polypheny-DB's dbms/.../ddl/DdlManagerImpl.java, dropNamespace); a DROP TABLE IF EXISTS
    would fail on a namespace that does not exist ("No value present", SqlDdl.java)."""
    schemas = sort_by_dependency(registered_schemas())
    namespaces = {s.namespace() for s in schemas} | {config.get(config.INTERNAL_NAMESPACE)}
    store = open_store(url)
    try:
        store.execute_ddl(
            [f"DROP NAMESPACE IF EXISTS {sql.quote(ns)}" for ns in sorted(namespaces)]
        )
    finally:
        store.close()


@pytest.fixture(params=STORES)
def store_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A fresh store address of every kind."""
    kind = request.param
    if kind == "sqlite-memory":
        yield "sqlite://"
    elif kind == "sqlite-file":
        yield f"sqlite:///{tmp_path / 'test.db'}"
    elif kind in ("prism", "prism-enforcing"):
        from polynom.testing import PrismServer

        enforcing = kind == "prism-enforcing"
        with PrismServer(
            unique_constraint_enforcement=enforcing,
            foreign_key_enforcement=enforcing,
            lock_wait_timeout=LOCK_WAIT,
        ) as server:
            yield server.url
    else:
        url = request.getfixturevalue("polypheny_url")
        _fresh_polypheny(url)
        yield url


@pytest.fixture
def app(store_url: str) -> Iterator[Application]:
    """An active application on a fresh store."""
    with Application(str(uuid.uuid4()), store_url) as application:
        yield application


@pytest.fixture
def background() -> Iterator[Callable[..., Future[Any]]]:
    """``background(fn, *args)`` runs ``fn`` in a thread of its own and returns its future:
    for a session that has to wait for another's locks (Polypheny's strict two-phase
    locking) while the test goes on with the other."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        yield pool.submit
