"""polynom.config: readable always, locked while an application is active."""

from __future__ import annotations

import uuid

import pytest

from polynom import config
from polynom.application import Application
from polynom.errors import ConfigLockedError, ConfigurationError


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
