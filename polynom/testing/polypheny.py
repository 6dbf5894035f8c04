"""A real Polypheny for tests: the one ``POLYPHENY_URL`` names, or a Docker container.

:func:`polypheny_url` returns the address of a running Polypheny: ``POLYPHENY_URL`` when it
is set (``polypheny://pa:@host:20590``), else a ``polypheny/polypheny`` container started
with testcontainers, once per process, waited on until Prism answers. When neither can be
had it raises :class:`PolyphenyUnavailable` saying why; the ``polypheny_url`` fixture turns
that into a skip, so tests marked ``polypheny`` skip cleanly on machines without either.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from typing import Any

__all__ = ["IMAGE", "PolyphenyUnavailable", "polypheny_url"]

#: The image the container is started from (override with ``POLYPHENY_IMAGE``).
IMAGE = "polypheny/polypheny:latest"
_PRISM_PORT = 20590
_STARTUP_TIMEOUT = 300.0

_lock = threading.Lock()
_started: dict[str, Any] = {}


class PolyphenyUnavailable(RuntimeError):
    """Neither ``POLYPHENY_URL`` nor a Docker engine to start Polypheny in is available."""


def polypheny_url() -> str:
    """The address of a real Polypheny (see the module docstring)."""
    url = os.environ.get("POLYPHENY_URL")
    if url:
        return url
    with _lock:
        if "url" in _started:
            return str(_started["url"])
        if "error" in _started:
            raise PolyphenyUnavailable(_started["error"])
        try:
            _started["url"] = _start_container()
        except PolyphenyUnavailable as exc:
            _started["error"] = str(exc)
            raise
        return str(_started["url"])


def _start_container() -> str:
    try:
        import docker
        from testcontainers.core.container import DockerContainer
    except ImportError:
        raise PolyphenyUnavailable(
            "POLYPHENY_URL is not set and testcontainers is not installed "
            "(pip install 'polynom-dal[test]')"
        ) from None
    try:
        docker.from_env().ping()
    except Exception as exc:
        raise PolyphenyUnavailable(
            f"POLYPHENY_URL is not set and no Docker engine answers ({type(exc).__name__}); "
            "set POLYPHENY_URL=polypheny://pa:@host:20590 to run these tests on a real Polypheny"
        ) from None
    container = DockerContainer(os.environ.get("POLYPHENY_IMAGE", IMAGE)).with_exposed_ports(
        _PRISM_PORT
    )
    container.start()
    atexit.register(container.stop)
    host = container.get_container_host_ip()
    port = int(container.get_exposed_port(_PRISM_PORT))
    _wait_for_prism(host, port, _STARTUP_TIMEOUT)
    return f"polypheny://pa:@{host}:{port}"


def _wait_for_prism(host: str, port: int, timeout: float) -> None:
    """Wait until Prism accepts a login (the server takes a while to start)."""
    import polypheny

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            polypheny.connect((host, port), username="pa", password="", transport="plain").close()
            return
        except Exception as exc:  # not up yet
            last = exc
            time.sleep(2)
    raise PolyphenyUnavailable(
        f"Polypheny at {host}:{port} did not answer within {timeout:g} s: {last}"
    )


try:
    import pytest
except ImportError:  # pragma: no cover - pytest only needed for the fixture
    pass
else:

    @pytest.fixture(name="polypheny_url", scope="session")
    def _polypheny_url_fixture() -> str:
        """The address of a real Polypheny; skips the test when there is none."""
        try:
            return polypheny_url()
        except PolyphenyUnavailable as exc:
            pytest.skip(f"no real Polypheny: {exc}")
