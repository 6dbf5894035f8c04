"""PolyNOM 0.3's ``polynom.docker`` (a face over :mod:`polynom.container`): the Polypheny
container ``Application(use_docker=True)`` starts, through the Docker SDK."""

from polynom.container import (
    deploy_polypheny,
    docker_client,
    remove_container,
    stop_container,
    wait_for_prism,
)

# PolyNOM 0.3's names
_deploy_polypheny = deploy_polypheny
_wait_for_prism = wait_for_prism
_stop_container_by_name = stop_container
_remove_container_by_name = remove_container

__all__ = [
    "deploy_polypheny",
    "docker_client",
    "remove_container",
    "stop_container",
    "wait_for_prism",
]
