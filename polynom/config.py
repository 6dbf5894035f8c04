"""Process-wide settings, read with :func:`get` and changed with :func:`set`.

Settings are locked while any :class:`~polynom.application.Application` is active, so a
running application never sees its namespaces or internal names change under it. The keys
are PolyNOM 0.3's (plus the pool's): internal ones are fixed, :data:`USER_CONFIGURABLE_KEYS`
can be set, and derived ones (:data:`CHANGE_LOG_IDENTIFIER`) follow the others.
"""

from __future__ import annotations

import threading
from typing import Any

from polynom.errors import ConfigKeyError, ConfigLockedError, ConfigurationError

__all__ = [
    "USER_CONFIGURABLE_KEYS",
    "all_config",
    "get",
    "is_locked",
    "lock",
    "set",
    "set_config",
    "unlock",
]

# keys (PolyNOM 0.3 names; each constant is its own key)
INTERNAL_NAMESPACE = "INTERNAL_NAMESPACE"
CHANGE_LOG_TABLE = "CHANGE_LOG_TABLE"
SNAPSHOT_TABLE = "SNAPSHOT_TABLE"
SYSTEM_USER_NAME = "SYSTEM_USER_NAME"
DUMP_FORMAT_VERSION = "DUMP_FORMAT_VERSION"
DROP_PROTECTED_NAMESPACES = "DROP_PROTECTED_NAMESPACES"
DEFAULT_NAMESPACE = "DEFAULT_NAMESPACE"
DEFAULT_DATA_MODEL = "DEFAULT_DATA_MODEL"
DEFAULT_TRANSPORT = "DEFAULT_TRANSPORT"
DEFAULT_USER = "DEFAULT_USER"
DEFAULT_PASS = "DEFAULT_PASS"
POLYPHENY_CONTAINER_NAME = "POLYPHENY_CONTAINER_NAME"
POLYPHENY_IMAGE_NAME = "POLYPHENY_IMAGE_NAME"
POLYPHENY_PORTS = "POLYPHENY_PORTS"
STATEMENT_LOG_FILE_NAME = "STATEMENT_LOG_FILE_NAME"
POOL_SIZE = "POOL_SIZE"
POOL_TIMEOUT = "POOL_TIMEOUT"
#: derived: ``"<INTERNAL_NAMESPACE>.<CHANGE_LOG_TABLE>"``
CHANGE_LOG_IDENTIFIER = "CHANGE_LOG_IDENTIFIER"

_fixed: dict[str, Any] = {
    INTERNAL_NAMESPACE: "polynom_internal",
    CHANGE_LOG_TABLE: "change_log",
    SNAPSHOT_TABLE: "snapshot",
    SYSTEM_USER_NAME: "SYSTEM",
    DUMP_FORMAT_VERSION: 1,
    DROP_PROTECTED_NAMESPACES: ["public"],
}

_settings: dict[str, Any] = {
    DEFAULT_NAMESPACE: "polynom_entities",
    DEFAULT_DATA_MODEL: "RELATIONAL",
    DEFAULT_TRANSPORT: "plain",
    DEFAULT_USER: "pa",
    DEFAULT_PASS: "",
    # ``Application(use_docker=True)``: the container, its image and its published ports
    POLYPHENY_CONTAINER_NAME: "polypheny",
    POLYPHENY_IMAGE_NAME: "polypheny/polypheny",
    POLYPHENY_PORTS: {
        "20590/tcp": 20590,  # Prism
        "7659/tcp": 7659,  # Polypheny-Control
        "80/tcp": 80,
        "8081/tcp": 8081,
        "8082/tcp": 8082,
    },
    STATEMENT_LOG_FILE_NAME: "statements.log",
    POOL_SIZE: 10,
    POOL_TIMEOUT: 30.0,
}

#: The keys :func:`set` accepts.
USER_CONFIGURABLE_KEYS = frozenset(_settings)

_lock = threading.Lock()
_lock_count = 0


def _derived(key: str) -> Any:
    if key == CHANGE_LOG_IDENTIFIER:
        return f"{_fixed[INTERNAL_NAMESPACE]}.{_fixed[CHANGE_LOG_TABLE]}"
    raise ConfigKeyError(
        f"unknown config key {key!r}; known keys: {', '.join(sorted(all_config()))}"
    )


def get(key: str) -> Any:
    """The value of a setting; ``KeyError`` names the known keys when ``key`` is unknown."""
    if key in _settings:
        return _settings[key]
    if key in _fixed:
        return _fixed[key]
    return _derived(key)


def set(key: str, value: Any) -> None:
    """Change a setting: ``KeyError`` for a key that cannot be set, ``ConfigLockedError``
    (a ``RuntimeError``) while an application is active."""
    if key not in USER_CONFIGURABLE_KEYS:
        if key in _fixed or key == CHANGE_LOG_IDENTIFIER:
            raise ConfigKeyError(f"{key} is fixed and cannot be changed")
        get(key)  # raises, naming the known keys
    with _lock:
        if _lock_count:
            raise ConfigLockedError(
                f"cannot set {key}: polynom.config is locked while an application is active"
            )
        _settings[key] = value


def set_config(overrides: dict[str, Any]) -> None:
    """Change several settings at once: all of them, or (on a bad key or a lock) none."""
    for key in overrides:
        if key not in USER_CONFIGURABLE_KEYS:
            set(key, None)  # raises the right error without changing anything
    with _lock:
        if _lock_count:
            raise ConfigLockedError(
                "cannot set_config: polynom.config is locked while an application is active"
            )
        _settings.update(overrides)


def all_config() -> dict[str, Any]:
    """Every setting and its value (fixed, configurable and derived)."""
    return {**_fixed, **_settings, CHANGE_LOG_IDENTIFIER: get(CHANGE_LOG_IDENTIFIER)}


def lock() -> None:
    """Lock the settings (an application became active)."""
    global _lock_count
    with _lock:
        _lock_count += 1


def unlock() -> None:
    """Release one lock (an application closed); more unlocks than locks is an error."""
    global _lock_count
    with _lock:
        if _lock_count == 0:
            raise ConfigurationError("polynom.config.unlock() called more often than lock()")
        _lock_count -= 1


def is_locked() -> bool:
    """True while any application is active."""
    return _lock_count > 0
