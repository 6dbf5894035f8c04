"""Testing helpers: the Prism stand-in server (a test double), its pytest fixture, and
:func:`isolated_registry` for tests that declare models.

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

Declaring a model registers its schema for the whole process. ``with isolated_registry():``
puts the registries back as they were when the block ends, so models a test declares do not
leak into later tests (``docs/testing-fixtures.md``).

The names are imported when first used (PEP 562): importing this package -- as the pytest
plugin does in every test run -- loads neither the server, protobuf nor the driver.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from polynom.testing._registry import isolated_registry
    from polynom.testing.prism import DEFAULT_FETCH_SIZE, DEFAULT_MAX_FRAME_BYTES, PrismServer

    #: The ``prism_server`` fixture (a plain generator function when pytest is missing).
    prism_server: Callable[[], Iterator[PrismServer]]

__all__ = [
    "DEFAULT_FETCH_SIZE",
    "DEFAULT_MAX_FRAME_BYTES",
    "PrismServer",
    "isolated_registry",
    "prism_server",
]

#: Where each public name lives (the ``TYPE_CHECKING`` imports above, for type checkers).
_LAZY = {
    "DEFAULT_FETCH_SIZE": "polynom.testing.prism",
    "DEFAULT_MAX_FRAME_BYTES": "polynom.testing.prism",
    "PrismServer": "polynom.testing.prism",
    "isolated_registry": "polynom.testing._registry",
}


def _prism_server() -> Iterator[PrismServer]:
    """A started Prism stand-in with a fresh in-memory store, stopped after the test."""
    from polynom.testing.prism import PrismServer

    with PrismServer() as server:
        yield server


def _make_prism_server_fixture() -> Any:
    try:
        import pytest
    except ImportError:  # pytest is only needed for the fixture
        return _prism_server
    return pytest.fixture(name="prism_server")(_prism_server)


def __getattr__(name: str) -> Any:
    if name == "prism_server":
        value = _make_prism_server_fixture()
    elif name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # the same object on every access
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
