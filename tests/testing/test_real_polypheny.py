"""The real-Polypheny fixture: uses POLYPHENY_URL, else Docker, else skips saying why."""

from __future__ import annotations

import pytest

from polynom.testing import polypheny as real


def test_polypheny_url_prefers_the_environment(monkeypatch):
    monkeypatch.setenv("POLYPHENY_URL", "polypheny://pa:@example.invalid:20590")
    assert real.polypheny_url() == "polypheny://pa:@example.invalid:20590"


def test_without_url_or_docker_the_reason_is_clear(monkeypatch):
    monkeypatch.delenv("POLYPHENY_URL", raising=False)
    monkeypatch.setattr(real, "_started", {})
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(real.PolyphenyUnavailable, match="no Docker engine answers"):
        real.polypheny_url()
    # the answer is remembered: no second attempt at starting a container
    with pytest.raises(real.PolyphenyUnavailable, match="no Docker engine answers"):
        real.polypheny_url()
