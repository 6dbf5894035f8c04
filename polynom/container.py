"""A Polypheny container for ``Application(use_docker=True)``, through the Docker SDK.

As PolyNOM 0.3 does: when the application starts, the container named
``config.POLYPHENY_CONTAINER_NAME`` is started -- or, when there is none, created from
``config.POLYPHENY_IMAGE_NAME`` with ``config.POLYPHENY_PORTS`` published -- and polynom
waits until Prism accepts a login; when the application closes, ``stop_container=True``
stops it and ``remove_container=True`` removes it.

Every failure is a :class:`~polynom.errors.ConfigurationError` (a ``RuntimeError``, as
PolyNOM's were) saying what is missing: the Docker SDK (``pip install 'polynom-dal[docker]'``),
a Docker engine that answers, the image, or a server that became ready in time.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from polynom import config
from polynom.errors import ConfigurationError

__all__ = ["deploy_polypheny", "docker_client", "remove_container", "stop_container"]

_log = logging.getLogger(__name__)

#: How long a started container may take until Prism accepts a login (PolyNOM: 60 s).
READY_TIMEOUT = 60.0


def _sdk() -> Any:
    try:
        import docker
    except ImportError:
        raise ConfigurationError(
            "use_docker=True needs the Docker SDK: pip install 'polynom-dal[docker]'"
        ) from None
    return docker


def docker_client() -> Any:
    """A Docker client whose engine answers (``docker.from_env()``, pinged)."""
    docker = _sdk()
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        raise ConfigurationError(
            f"use_docker=True, but no Docker engine answers ({exc}); start Docker, or start "
            "Polypheny yourself and pass its address without use_docker"
        ) from None
    return client


def deploy_polypheny(
    address: Any, user: str, password: str, transport: str, timeout: float | None = None
) -> None:
    """Start (or create and start) the Polypheny container, then wait until ``address``
    accepts a login."""
    docker = _sdk()
    client = docker_client()
    name = config.get(config.POLYPHENY_CONTAINER_NAME)
    image = config.get(config.POLYPHENY_IMAGE_NAME)
    try:
        try:
            client.containers.get(name).start()
            _log.info("container %s started", name)
        except docker.errors.NotFound:
            _log.info("no container %s: creating one from %s", name, image)
            client.images.pull(image)
            client.containers.run(
                image, name=name, ports=config.get(config.POLYPHENY_PORTS), detach=True
            )
    except docker.errors.DockerException as exc:
        raise ConfigurationError(
            f"cannot start the Polypheny container {name!r} from {image!r}: {exc}"
        ) from None
    wait_for_prism(address, user, password, transport, timeout)


def wait_for_prism(
    address: Any, user: str, password: str, transport: str, timeout: float | None = None
) -> None:
    """Wait until Polypheny's Prism at ``address`` accepts a login (it takes a while to
    start); ``timeout`` defaults to :data:`READY_TIMEOUT`."""
    import polypheny

    timeout = READY_TIMEOUT if timeout is None else timeout
    deadline = time.monotonic() + timeout
    last: BaseException | None = None
    while True:
        try:
            polypheny.connect(
                address, username=user, password=password, transport=transport
            ).close()
            return
        except (OSError, EOFError, polypheny.exceptions.Error) as exc:  # not up yet
            last = exc
        if time.monotonic() >= deadline:
            raise ConfigurationError(
                f"the Polypheny container did not accept a login at {address} within "
                f"{timeout:g} s ({type(last).__name__}: {last})"
            )
        time.sleep(0.5)


def _container(name: str | None) -> tuple[Any, Any] | None:
    docker = _sdk()
    client = docker_client()
    name = name or config.get(config.POLYPHENY_CONTAINER_NAME)
    try:
        return docker, client.containers.get(name)
    except docker.errors.NotFound:
        _log.warning("no container named %s", name)
        return None
    except docker.errors.DockerException as exc:
        raise ConfigurationError(f"cannot find the container {name!r}: {exc}") from None


def stop_container(name: str | None = None) -> None:
    """Stop the Polypheny container (``config.POLYPHENY_CONTAINER_NAME`` by default)."""
    found = _container(name)
    if found is None:
        return
    docker, container = found
    try:
        if container.status == "running":
            container.stop()
    except docker.errors.DockerException as exc:
        raise ConfigurationError(f"cannot stop the container {container.name!r}: {exc}") from None


def remove_container(name: str | None = None) -> None:
    """Remove the Polypheny container (``config.POLYPHENY_CONTAINER_NAME`` by default)."""
    found = _container(name)
    if found is None:
        return
    docker, container = found
    try:
        container.remove()
    except docker.errors.DockerException as exc:
        raise ConfigurationError(f"cannot remove the container {container.name!r}: {exc}") from None
