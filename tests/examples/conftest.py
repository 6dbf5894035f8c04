"""Fixtures for the bike shop example: its modules, a store, and its API served over HTTP.

Importing the example registers its schemas in the process-wide registry. The example's
application names its schemas itself, so it does not need them registered for the rest of
the suite: ``bikeshop`` puts the registry back as it found it when the package's tests end
(and forgets the imported modules, so a later import registers them afresh).
"""

from __future__ import annotations

import importlib
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from types import ModuleType, SimpleNamespace
from typing import Any

import httpx
import pytest

from polynom.testing import isolated_registry

_MODULES = ("models", "services", "seed", "admin", "web", "tasks")
_CELERY_ENV = {"CELERY_BROKER_URL": "memory://", "CELERY_RESULT_BACKEND": "cache+memory://"}


@pytest.fixture(scope="package")
def bikeshop() -> Iterator[SimpleNamespace]:
    """The example's modules: ``bikeshop.models``, ``.services``, ``.seed``, ``.web``..."""
    before = set(sys.modules)
    # the tasks' Celery app: an in-process broker and result store, no Redis needed
    environ = {k: os.environ.get(k) for k in _CELERY_ENV}
    os.environ.update(_CELERY_ENV)
    with isolated_registry():
        modules: dict[str, ModuleType] = {}
        for name in _MODULES:
            try:
                modules[name] = importlib.import_module(f"examples.bikeshop.{name}")
            except ImportError as exc:  # e.g. celery missing: only its tests skip
                modules[name] = _Missing(name, exc)  # type: ignore[assignment]
        try:
            yield SimpleNamespace(**modules)
        finally:
            for key, value in environ.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            for name in set(sys.modules) - before:
                if name == "examples" or name.startswith("examples."):
                    del sys.modules[name]


class _Missing:
    def __init__(self, name: str, exc: ImportError) -> None:
        self.name, self.exc = name, exc

    def __getattr__(self, attr: str) -> Any:
        pytest.skip(f"examples.bikeshop.{self.name} cannot be imported: {self.exc}")


class Server:
    """A uvicorn server running an ASGI app in a thread, on a free loopback port."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # accepted connections inherit it: no 40 ms delayed-ACK stall per request
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.socket.bind(("127.0.0.1", 0))
        host, port = self.socket.getsockname()
        self.url = f"http://{host}:{port}"
        config = uvicorn.Config(app, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.socket]}, daemon=True
        )

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the uvicorn server did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.socket.close()


@pytest.fixture(scope="module")
def shop(bikeshop: SimpleNamespace) -> Iterator[SimpleNamespace]:
    """The example's site, seeded, served over real HTTP on an in-memory store.

    ``shop.url`` (the site), ``shop.client`` (httpx, on the API at ``/api``), ``shop.app``
    (the Application), ``shop.dm``. Reprices run in the request (no queue).
    """
    application = bikeshop.web.open_application("sqlite://")
    with application:
        site = bikeshop.web.create_app(application, queue=False)
        dm = site.state.data_manager
        bikeshop.seed.seed(dm)
        with Server(site) as server, httpx.Client(base_url=f"{server.url}/api", timeout=10) as api:
            yield SimpleNamespace(url=server.url, client=api, app=application, dm=dm)
