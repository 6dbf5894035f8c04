"""polynom.config: readable always, locked while an application is active."""

from __future__ import annotations

import uuid

import pytest

from polynom import config
from polynom.application import Application
from polynom.errors import ConfigLockedError, ConfigurationError, StoreConnectionError


def test_config_locked_while_active():
    before = config.get(config.DEFAULT_NAMESPACE)
    with (
        Application(str(uuid.uuid4()), "sqlite://"),
        pytest.raises(ConfigLockedError, match="locked"),
    ):
        config.set(config.DEFAULT_NAMESPACE, "elsewhere")
    config.set(config.DEFAULT_NAMESPACE, "elsewhere")
    try:
        assert config.get(config.DEFAULT_NAMESPACE) == "elsewhere"
    finally:
        config.set(config.DEFAULT_NAMESPACE, before)


def test_unknown_and_fixed_keys():
    with pytest.raises(KeyError, match="unknown config key"):
        config.get("NOPE")
    with pytest.raises(ConfigurationError, match="fixed"):
        config.set(config.INTERNAL_NAMESPACE, "x")


def test_bad_address_is_a_clear_error():
    with (
        pytest.raises(ConfigurationError, match="mysql://x"),
        Application(str(uuid.uuid4()), "mysql://x"),
    ):
        pass
    assert not config.is_locked()


def test_pool_settings_reach_the_store():
    before = config.get(config.POOL_SIZE)
    config.set(config.POOL_SIZE, 2)
    try:
        with Application(str(uuid.uuid4()), "sqlite://") as app:
            assert app.store.pool.max_size == 2  # type: ignore[attr-defined]
            first, second = app.store.acquire(), app.store.acquire()
            with pytest.raises(StoreConnectionError, match="no connection became free"):
                app.store.pool.acquire(timeout=0.05)  # type: ignore[attr-defined]
            app.store.release(first)
            app.store.release(second)
    finally:
        config.set(config.POOL_SIZE, before)
