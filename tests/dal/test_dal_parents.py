"""Issue 10 item 7: a missing parent is ``NotFound`` naming the parent model and id.

``ModelService.create`` and ``update`` check every foreign key that names a parent by id
before anything is written, on every store kind (a default Polypheny does not enforce
foreign keys; the embedded store would say ``ForeignKeyViolation`` at flush).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from polynom.application import Application
from polynom.dal import create_data_manager
from polynom.errors import NotFound, ValidationError
from polynom.services import ModelService
from tests.models import Bike, Owner, Part


@pytest.fixture
def shop(app: Application) -> Any:
    return create_data_manager(
        app,
        services={
            "owners": ModelService(Owner),
            "bikes": ModelService(Bike),
            "parts": ModelService(Part),
        },
    )


@pytest.fixture
def writes(app: Application, caplog: pytest.LogCaptureFixture) -> list[str]:
    """The INSERT and UPDATE statements the application sends from now on."""
    app.log_statements = True
    caplog.set_level(logging.INFO, logger="polynom.statements")
    seen: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            text = record.getMessage()
            if " INSERT " in text or " UPDATE " in text:
                seen.append(text)

    handler = _Collect()
    logging.getLogger("polynom.statements").addHandler(handler)
    yield seen
    logging.getLogger("polynom.statements").removeHandler(handler)


def test_create_with_a_missing_parent_is_not_found_before_any_write(shop: Any, writes: list[str]):
    with pytest.raises(NotFound) as info, shop.context() as ctx:
        ctx.dal.bikes.create(brand="Moots", owner_id="no-such-owner")
    assert str(info.value) == (
        "Owner with entry id 'no-such-owner' does not exist (Bike.owner_id refers to it)"
    )
    assert writes == []
    with shop.context() as ctx:
        assert ctx.dal.bikes.count() == 0
        ctx.dal.bikes.create(brand="Moots")
    assert any('INSERT INTO "shop"."bike"' in w for w in writes)  # the log does see writes


def test_update_to_a_missing_parent_is_not_found_and_changes_nothing(shop: Any):
    with shop.context() as ctx:
        ada = ctx.dal.owners.create(name="Ada")
        bike = ctx.dal.bikes.create(brand="Moots", owner_id=ada._entry_id)
    gone = r"^Owner with entry id 'gone' does not exist"
    with pytest.raises(NotFound, match=gone), shop.context() as ctx:
        ctx.dal.bikes.update(bike._entry_id, brand="Giant", owner_id="gone")
    with shop.context() as ctx:
        stored = ctx.dal.bikes.get_or_raise(bike._entry_id)
        assert (stored.brand, stored.owner_id) == ("Moots", ada._entry_id)


def test_a_required_parent_of_a_child_is_checked_too(shop: Any):
    missing = r"^Bike with entry id 'no-bike' does not exist \(Part\.bike_id refers to it\)$"
    with pytest.raises(NotFound, match=missing), shop.context() as ctx:
        ctx.dal.parts.create(label="bell", bike_id="no-bike")


def test_parents_that_exist_are_accepted_however_they_are_given(shop: Any):
    with shop.context() as ctx:
        ada = ctx.dal.owners.create(name="Ada")
        by_id = ctx.dal.bikes.create(brand="A", owner_id=ada._entry_id)  # same context
        ctx.dal.bikes.create(brand="B", owner=Owner(name="Bo"))  # not yet stored
        none = ctx.dal.bikes.create(brand="C", owner_id=None)
        ctx.dal.bikes.update(none._entry_id, owner_id=ada._entry_id)
        ctx.dal.bikes.update(by_id._entry_id, owner_id=ada._entry_id)  # unchanged
    with shop.context() as ctx:
        owners = {o.name: o._entry_id for o in ctx.dal.owners.list()}
        bikes = {b.brand: b.owner_id for b in ctx.dal.bikes.list()}
    assert bikes == {"A": owners["Ada"], "B": owners["Bo"], "C": owners["Ada"]}


def test_a_parent_deleted_in_the_same_context_is_missing(shop: Any):
    with shop.context() as ctx:
        ada = ctx.dal.owners.create(name="Ada")
    with pytest.raises(NotFound, match="Owner with entry id"), shop.context() as ctx:
        ctx.dal.owners.delete(ada._entry_id)
        ctx.dal.bikes.create(brand="A", owner_id=ada._entry_id)


def test_a_foreign_key_of_the_wrong_type_is_a_validation_error(shop: Any):
    with pytest.raises(ValidationError) as info, shop.context() as ctx:
        bike = ctx.dal.bikes.create(brand="A")
        ctx.dal.bikes.update(bike._entry_id, owner_id=42)
    assert (info.value.model, info.value.field) == ("Bike", "owner_id")
