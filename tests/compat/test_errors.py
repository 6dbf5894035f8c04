"""PolyNOM 0.3 users' ``except`` clauses keep catching what they caught: every situation in
which PolyNOM raised a built-in exception raises ours, which derives from that built-in."""

from __future__ import annotations

import uuid

import polypheny.exceptions
import pytest

from polynom import config
from polynom.application import Application
from polynom.errors import (
    ApplicationStateError,
    ConfigKeyError,
    ConfigLockedError,
    ConfigurationError,
    DetachedModelError,
    ForeignModelError,
    PolynomError,
    SessionError,
    StoreError,
    UniqueViolation,
    ValidationError,
    ValidationTypeError,
)
from polynom.session import Session
from tests.models import Bike, Owner


@pytest.fixture
def app():
    with Application(str(uuid.uuid4()), "sqlite://") as application:
        yield application


# -- configuration (PolyNOM: RuntimeError, KeyError) ------------------------------------------


def test_a_locked_config_is_a_runtime_error_saying_locked():
    config.lock()
    try:
        with pytest.raises(RuntimeError, match="locked") as caught:
            config.set(config.DEFAULT_NAMESPACE, "elsewhere")
        assert isinstance(caught.value, ConfigLockedError)
        with pytest.raises(RuntimeError, match="locked"):
            config.set_config({config.DEFAULT_USER: "someone"})
    finally:
        config.unlock()
    assert config.get(config.DEFAULT_USER) == "pa"


def test_unlocking_more_than_locked_is_a_runtime_error():
    with pytest.raises(RuntimeError) as caught:
        config.unlock()
    assert isinstance(caught.value, ConfigurationError)


def test_keys_that_cannot_be_set_are_key_errors_even_while_locked():
    config.lock()
    try:
        for key in ("NOPE", config.INTERNAL_NAMESPACE, config.CHANGE_LOG_IDENTIFIER):
            with pytest.raises(KeyError) as caught:
                config.set(key, "x")
            assert isinstance(caught.value, ConfigKeyError)
            assert key in str(caught.value)
    finally:
        config.unlock()
    with pytest.raises(KeyError, match="NOPE"):
        config.get("NOPE")


def test_set_config_changes_all_or_nothing():
    before = config.get(config.DEFAULT_USER)
    with pytest.raises(KeyError):
        config.set_config({config.DEFAULT_USER: "changed", "NOPE": 1})
    assert config.get(config.DEFAULT_USER) == before


def test_polynoms_keys_and_derived_identifier():
    assert config.get(config.CHANGE_LOG_IDENTIFIER) == "polynom_internal.change_log"
    settings = config.all_config()
    assert settings.keys() >= config.USER_CONFIGURABLE_KEYS
    for key in (
        config.POLYPHENY_CONTAINER_NAME,
        config.POLYPHENY_IMAGE_NAME,
        config.POLYPHENY_PORTS,
        config.STATEMENT_LOG_FILE_NAME,
        config.DEFAULT_NAMESPACE,
    ):
        assert key in config.USER_CONFIGURABLE_KEYS
    assert config.INTERNAL_NAMESPACE not in config.USER_CONFIGURABLE_KEYS
    assert config.get(config.DROP_PROTECTED_NAMESPACES) == ["public"]
    assert settings[config.CHANGE_LOG_IDENTIFIER] == "polynom_internal.change_log"


# -- sessions and applications (PolyNOM: RuntimeError, ValueError, AttributeError) -------------


@pytest.mark.parametrize("operation", ["add", "add_all", "delete", "delete_all", "flush"])
def test_a_session_used_before_with_is_a_runtime_error_saying_so(app, operation):
    session = Session(app)
    argument = {"add": Owner(name="a"), "delete": Owner(name="a"), "flush": None}.get(
        operation, [Owner(name="a")]
    )
    call = getattr(session, operation)
    with pytest.raises(RuntimeError, match="must first be activated") as caught:
        call() if argument is None else call(argument)
    assert isinstance(caught.value, SessionError)
    assert session.session_id in str(caught.value)


@pytest.mark.parametrize("operation", ["add", "add_all", "delete", "delete_all", "flush"])
def test_a_completed_session_is_a_runtime_error_saying_so(app, operation):
    with Session(app) as session:
        session.commit()
        call = getattr(session, operation)
        argument = {"add": Owner(name="a"), "delete": Owner(name="a"), "flush": None}.get(
            operation, [Owner(name="a")]
        )
        with pytest.raises(RuntimeError, match="completed Session") as caught:
            call() if argument is None else call(argument)
    assert "committed" in str(caught.value)  # ours also says how it ended


def test_a_session_on_an_inactive_application_is_a_value_error():
    app = Application(str(uuid.uuid4()), "sqlite://")
    with pytest.raises(ValueError) as caught:
        Session(app)
    assert isinstance(caught.value, ApplicationStateError)
    with app, pytest.raises(ValueError, match="entered once"):
        app.__enter__()
    with pytest.raises(RuntimeError, match="must first be activated"):
        app.dump("nowhere.jsonl")


def test_writing_a_detached_model_is_an_attribute_error_saying_no_longer_mapped(app):
    with Session(app) as session:
        owner = Owner(name="Ada")
        session.add(owner)
        session.commit()
    with pytest.raises(AttributeError, match="no longer mapped") as caught:
        owner.name = "Grace"
    assert isinstance(caught.value, DetachedModelError)
    assert owner.name == "Ada"


def test_writing_a_deleted_model_is_an_attribute_error(app):
    with Session(app) as session:
        owner = Owner(name="Ada")
        session.add(owner)
        session.flush()
        session.delete(owner)
        with pytest.raises(AttributeError, match="no longer mapped"):
            owner.name = "Grace"


def test_adding_a_model_of_another_session_is_a_value_error(app):
    with Session(app) as first, Session(app) as second:
        owner = Owner(name="Ada")
        first.add(owner)
        with pytest.raises(ValueError) as caught:
            second.add(owner)
    assert isinstance(caught.value, ForeignModelError)


def test_detach_child_of_a_non_relationship_is_a_type_error(app):
    with Session(app) as session:
        bike = Bike(brand="Moots")
        session.add(bike)
        with pytest.raises(TypeError, match="not a Relationship"):
            session.detach_child(bike, "brand")


# -- values (PolyNOM: TypeError for a wrong type) -----------------------------------------------


def test_a_wrong_type_is_a_type_error_and_a_bad_value_a_value_error_only():
    with pytest.raises(TypeError) as caught:
        Bike(brand=42)
    assert isinstance(caught.value, ValidationTypeError)
    assert caught.value.field == "brand"
    with pytest.raises(ValidationError) as too_long:
        Bike(brand="x" * 31)
    assert not isinstance(too_long.value, TypeError)
    with pytest.raises(TypeError, match="no field 'colour'"):
        Bike(brand="Moots", colour="red")


# -- stores (PolyNOM: the driver's polypheny.exceptions.Error) ---------------------------------


def test_store_errors_are_the_drivers_errors_too(app):
    with Session(app) as session:
        session.add_all([Owner(name="a", email="x@y"), Owner(name="b", email="x@y")])
        with pytest.raises(polypheny.exceptions.Error) as caught:
            session.commit()
    assert isinstance(caught.value, UniqueViolation)
    assert isinstance(caught.value, polypheny.exceptions.IntegrityError)
    assert issubclass(StoreError, PolynomError)


# -- integrations: misuse is a polynom error, still a RuntimeError -----------------------------


def test_integration_misuse_is_a_polynom_error_and_still_a_runtime_error():
    flask = pytest.importorskip("flask")
    from polynom.integrations.flask import PolynomFlask

    app = flask.Flask("compat")
    with pytest.raises(RuntimeError, match="POLYNOM_APP") as caught:
        PolynomFlask(app)
    assert isinstance(caught.value, ConfigurationError)
