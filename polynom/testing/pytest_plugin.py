"""pytest fixtures for code built on polynom: an in-memory application, its DAL, a context.

pytest loads this plugin by itself wherever ``polynom-dal`` is installed (entry point
``pytest11: polynom``). It imports nothing but pytest at import time, so it costs nothing
in test runs that do not use it; every fixture imports what it needs when it runs.

Fixtures (see ``docs/testing-fixtures.md``):

``polynom_app``
    An active :class:`~polynom.application.Application` on a fresh in-memory store.
``polynom_data_manager``
    A ``DataManager`` on ``polynom_app`` with the standard resources and middleware
    (:func:`polynom.dal.create_data_manager`) and the services of ``polynom_services``.
``polynom_context`` / ``polynom_dal``
    An open context of that data manager (meta user ``polynom_user``) and its DAL.
``prism_server``
    A started Prism stand-in (:class:`polynom.testing.PrismServer`), stopped afterwards.

Override the small fixtures to change what the big ones build: ``polynom_address``,
``polynom_schemas``, ``polynom_services``, ``polynom_user``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from polynom.application import Application
    from polynom.testing.prism import PrismServer

__all__ = [
    "polynom_address",
    "polynom_app",
    "polynom_context",
    "polynom_dal",
    "polynom_data_manager",
    "polynom_schemas",
    "polynom_services",
    "polynom_user",
    "prism_server",
]


@pytest.fixture
def polynom_address() -> Any:
    """The store address ``polynom_app`` opens; override it to test on another store."""
    return "sqlite://"


@pytest.fixture
def polynom_schemas() -> Sequence[Any] | None:
    """The schemas ``polynom_app`` manages; ``None`` (the default) means every registered one."""
    return None


@pytest.fixture
def polynom_services() -> Mapping[str, Any]:
    """Services ``polynom_data_manager`` registers, by name; override to register yours."""
    return {}


@pytest.fixture
def polynom_user() -> str | None:
    """The user in ``polynom_context``'s meta; the changelog records changes under it."""
    return "test"


@pytest.fixture
def polynom_app(
    polynom_address: Any, polynom_schemas: Sequence[Any] | None
) -> Iterator[Application]:
    """An active application on a fresh store (in memory by default), closed after the test."""
    from polynom.application import Application

    with Application(str(uuid.uuid4()), polynom_address, schemas=polynom_schemas) as app:
        yield app


@pytest.fixture
def polynom_data_manager(polynom_app: Application, polynom_services: Mapping[str, Any]) -> Any:
    """A ``DataManager`` on ``polynom_app``: connection/session resources, transaction and
    changelog middleware, and ``polynom_services``."""
    from polynom.dal import create_data_manager

    return create_data_manager(polynom_app, services=dict(polynom_services))


@pytest.fixture
def polynom_context(polynom_data_manager: Any, polynom_user: str | None) -> Iterator[Any]:
    """An open context (``ctx.dal``, ``ctx.session``, ``ctx.meta``) for the test.

    It ends after the test like any context that exits normally: it commits.
    """
    with polynom_data_manager.context(meta={"user": polynom_user}) as ctx:
        yield ctx


@pytest.fixture
def polynom_dal(polynom_context: Any) -> Any:
    """The DAL of ``polynom_context``: ``polynom_dal.bikes.get(entry_id)``."""
    return polynom_context.dal


@pytest.fixture
def prism_server() -> Iterator[PrismServer]:
    """A started Prism stand-in on a free loopback port with an empty in-memory store.

    The same fixture as ``polynom.testing.prism_server``, imported only when a test uses it.
    """
    try:
        from polynom.testing.prism import PrismServer
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        pytest.skip(f"the Prism stand-in cannot be imported: {exc}")
    with PrismServer() as server:
        yield server
