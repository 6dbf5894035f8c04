"""The integration tests run on the plugin's fixtures, narrowed to their own model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from tests.integrations.models import WebBikeSchema, services


@pytest.fixture
def polynom_schemas() -> Sequence[Any]:
    return [WebBikeSchema]


@pytest.fixture
def polynom_services() -> Mapping[str, Any]:
    return services()


def stored_names(data_manager: Any) -> list[str]:
    """The bike names committed in the store, read in a fresh context."""
    with data_manager.context(meta={"user": "checker"}) as ctx:
        return sorted(b.name for b in ctx.dal.bikes.list())


def checked_out(data_manager: Any) -> int:
    """How many connections of the application's pool are lent out right now."""
    app = data_manager.get_resource("connection").application
    pool = app.store.pool
    return int(pool.size - pool.idle)
