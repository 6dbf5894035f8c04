"""Process-wide settings, read with :func:`get` and changed with :func:`set`.

Settings are locked while any :class:`~polynom.application.Application` is active, so a
running application never sees its namespaces or internal names change under it.
"""

from __future__ import annotations

import threading
from typing import Any

from polynom.errors import ConfigLockedError, ConfigurationError

__all__ = ["all_config", "get", "lock", "set", "set_config", "unlock"]

# keys (PolyNOM 0.3 names)
DEFAULT_NAMESPACE = "DEFAULT_NAMESPACE"
DEFAULT_DATA_MODEL = "DEFAULT_DATA_MODEL"
DEFAULT_TRANSPORT = "DEFAULT_TRANSPORT"
DEFAULT_USER = "DEFAULT_USER"
DEFAULT_PASS = "DEFAULT_PASS"
INTERNAL_NAMESPACE = "INTERNAL_NAMESPACE"
CHANGE_LOG_TABLE = "CHANGE_LOG_TABLE"
SNAPSHOT_TABLE = "SNAPSHOT_TABLE"
SYSTEM_USER_NAME = "SYSTEM_USER_NAME"
DUMP_FORMAT_VERSION = "DUMP_FORMAT_VERSION"
POOL_SIZE = "POOL_SIZE"
POOL_TIMEOUT = "POOL_TIMEOUT"

_fixed: dict[str, Any] = {
    INTERNAL_NAMESPACE: "polynom_internal",
    CHANGE_LOG_TABLE: "change_log",
    SNAPSHOT_TABLE: "snapshot",
    DUMP_FORMAT_VERSION: 1,
}

_settings: dict[str, Any] = {
    DEFAULT_NAMESPACE: "polynom_entities",
    DEFAULT_DATA_MODEL: "RELATIONAL",
    DEFAULT_TRANSPORT: "plain",
    DEFAULT_USER: "pa",
    DEFAULT_PASS: "",
    SYSTEM_USER_NAME: "SYSTEM",
    POOL_SIZE: 10,
    POOL_TIMEOUT: 30.0,
}

_lock = threading.Lock()
_lock_count = 0


def get(key: str) -> Any:
    """The value of a setting; ``KeyError`` names the known keys when ``key`` is unknown."""
    if key in _settings:
        return _settings[key]
    if key in _fixed:
        return _fixed[key]
    known = ", ".join(sorted([*_settings, *_fixed]))
    raise KeyError(f"unknown config key {key!r}; known keys: {known}")


def set(key: str, value: Any) -> None:
    """Change a setting. Raises ``ConfigLockedError`` while an application is active."""
    with _lock:
        if _lock_count:
            raise ConfigLockedError(
                f"cannot set {key}: polynom.config is locked while an application is active"
            )
        if key not in _settings:
            if key in _fixed:
                raise ConfigurationError(f"{key} is fixed and cannot be changed")
            get(key)
        _settings[key] = value


def set_config(overrides: dict[str, Any]) -> None:
    """Change several settings at once."""
    for key, value in overrides.items():
        set(key, value)


def all_config() -> dict[str, Any]:
    """Every setting and its value."""
    return {**_fixed, **_settings}


def lock() -> None:
    """Lock the settings (an application became active)."""
    global _lock_count
    with _lock:
        _lock_count += 1


def unlock() -> None:
    """Release one lock (an application closed)."""
    global _lock_count
    with _lock:
        if _lock_count == 0:
            raise ConfigurationError("polynom.config.unlock() called more often than lock()")
        _lock_count -= 1


def is_locked() -> bool:
    """True while any application is active."""
    return _lock_count > 0
