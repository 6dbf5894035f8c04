"""``Application(use_docker=True)`` starts and stops a Polypheny container through the Docker
SDK, as PolyNOM 0.3 does.

There is no Docker engine on the test machines, so: the no-engine path runs for real (the
real SDK, pointed at a socket nobody listens on); the container path runs with a fake Docker
client -- what a user would fake -- whose "container" is a real Prism stand-in, so the
application really connects to what the container started.
"""

from __future__ import annotations

import uuid

import pytest

from polynom import config
from polynom.application import Application
from polynom.errors import ConfigurationError
from polynom.session import Session
from polynom.testing import PrismServer
from tests.models import Owner

docker = pytest.importorskip("docker")


class FakeContainer:
    def __init__(self, name: str) -> None:
        self.name = name
        self.status = "exited"
        self.calls: list[str] = []

    def start(self) -> None:
        self.calls.append("start")
        self.status = "running"

    def stop(self) -> None:
        self.calls.append("stop")
        self.status = "exited"

    def remove(self) -> None:
        self.calls.append("remove")


class FakeDocker:
    """The part of ``docker.DockerClient`` polynom uses, recording what it is asked."""

    def __init__(self) -> None:
        self.existing: dict[str, FakeContainer] = {}
        self.pulled: list[str] = []
        self.run_with: list[dict] = []
        client = self

        class Containers:
            def get(self, name: str) -> FakeContainer:
                if name not in client.existing:
                    raise docker.errors.NotFound(f"No such container: {name}")
                return client.existing[name]

            def run(self, image: str, **options: object) -> FakeContainer:
                client.run_with.append({"image": image, **options})
                container = FakeContainer(str(options["name"]))
                container.status = "running"
                client.existing[container.name] = container
                return container

        class Images:
            def pull(self, image: str) -> None:
                client.pulled.append(image)

        self.containers = Containers()
        self.images = Images()

    def ping(self) -> bool:
        return True


@pytest.fixture
def fake_docker(monkeypatch):
    client = FakeDocker()
    monkeypatch.setattr(docker, "from_env", lambda **_: client)
    return client


def test_the_container_is_created_started_and_stopped_and_removed(fake_docker):
    with PrismServer() as server:  # what the container serves
        address = ("127.0.0.1", server.port)
        app = Application(
            str(uuid.uuid4()), address, use_docker=True, stop_container=True, remove_container=True
        )
        with app, Session(app) as session:
            session.add(Owner(name="Ada"))
            session.commit()
    name = config.get(config.POLYPHENY_CONTAINER_NAME)
    assert fake_docker.pulled == [config.get(config.POLYPHENY_IMAGE_NAME)]
    assert fake_docker.run_with == [
        {
            "image": config.get(config.POLYPHENY_IMAGE_NAME),
            "name": name,
            "ports": config.get(config.POLYPHENY_PORTS),
            "detach": True,
        }
    ]
    assert fake_docker.existing[name].calls == ["stop", "remove"]


def test_an_existing_container_is_started_and_left_running(fake_docker):
    name = config.get(config.POLYPHENY_CONTAINER_NAME)
    fake_docker.existing[name] = FakeContainer(name)
    with (
        PrismServer() as server,
        Application(str(uuid.uuid4()), ("127.0.0.1", server.port), use_docker=True),
    ):
        pass
    assert fake_docker.existing[name].calls == ["start"]
    assert fake_docker.pulled == [] and fake_docker.run_with == []


def test_a_container_that_never_answers_is_a_configuration_error(fake_docker, monkeypatch):
    import polynom.container

    monkeypatch.setattr(polynom.container, "READY_TIMEOUT", 0.2)
    with PrismServer() as server:
        port = server.port  # nothing listens there once the server is gone
    app = Application(str(uuid.uuid4()), ("127.0.0.1", port), use_docker=True)
    with pytest.raises(ConfigurationError, match="did not accept a login") as caught, app:
        pass
    assert isinstance(caught.value, RuntimeError)  # what PolyNOM raised
    assert not config.is_locked()


def test_no_docker_engine_is_a_clear_configuration_error(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/polynom-test/docker.sock")
    app = Application(str(uuid.uuid4()), ("127.0.0.1", 20590), use_docker=True)
    with pytest.raises(ConfigurationError, match="no Docker engine answers") as caught, app:
        pass
    assert isinstance(caught.value, RuntimeError)
    assert not config.is_locked()


def test_use_docker_needs_a_polypheny_address():
    with pytest.raises(ConfigurationError, match="not a Polypheny address"):
        Application(str(uuid.uuid4()), "sqlite://", use_docker=True)


def test_without_the_docker_sdk_it_says_what_to_install(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "docker", None)  # import docker -> ImportError
    app = Application(str(uuid.uuid4()), ("127.0.0.1", 20590), use_docker=True)
    with pytest.raises(ConfigurationError, match=r"pip install 'polynom-dal\[docker\]'"), app:
        pass
