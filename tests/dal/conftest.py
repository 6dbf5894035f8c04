"""Fixtures of the DAL tests: a DataManager on every store kind of the root ``app`` fixture."""

from __future__ import annotations

from typing import Any

import pytest

from polynom.application import Application
from polynom.dal import create_data_manager

from .services import BikeService


def checked_out(app: Application) -> int:
    """How many of the application's pooled connections are checked out right now."""
    pool = app.store.pool
    return int(pool.size - pool.idle)


@pytest.fixture
def dm(app: Application) -> Any:
    """A DataManager for ``app`` with a ``bikes`` service; asserts no connection leaked."""
    manager = create_data_manager(app, services={"bikes": BikeService()})
    yield manager
    assert checked_out(app) == 0, "a context leaked a pooled connection"
