"""The embedded store, in memory and in a file, for every test here."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from polynom.stores import open_store
from polynom.stores.sqlite import SqliteStore


@pytest.fixture(params=["memory", "file"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqliteStore]:
    url = "sqlite://" if request.param == "memory" else f"sqlite:///{tmp_path / 'store.db'}"
    st = open_store(url, pool_size=4, timeout=5)
    assert isinstance(st, SqliteStore)
    st.busy_timeout = 0.5  # for connections opened from now on: keep lock waits short
    yield st
    st.close()
