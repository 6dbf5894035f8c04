"""PolyNOM 0.3's model bookkeeping names (``_is_active``, ``_snapshot``, ``_diff()``,
``_update_snapshot()``) and its in-memory ``Relationship`` between plain classes."""

from __future__ import annotations

import uuid

import pytest

from polynom.application import Application
from polynom.errors import MissingBackrefError, RelationshipTypeError
from polynom.model.model import BaseModel
from polynom.model.model_registry import polynom_model
from polynom.model.relationship import Relationship
from polynom.session import Session
from polynom.testing import isolated_registry
from tests.models import Bike, Everything, LegacyBike, Owner


@pytest.fixture
def app():
    with Application(str(uuid.uuid4()), "sqlite://") as application:
        yield application


def test_a_new_models_diff_is_every_field_it_was_given():
    bike = LegacyBike("Moots", "Vamoots", 3200, 8.1)
    assert bike._is_active
    assert bike._snapshot["brand"] is None and bike._snapshot["_entry_id"] == bike._entry_id
    assert bike._diff() == {
        "brand": (None, "Moots"),
        "model": (None, "Vamoots"),
        "price": (None, 3200),
        "weight": (None, 8.1),
        "in_stock": (None, True),  # its default
    }


def test_update_snapshot_makes_the_current_values_the_baseline():
    bike = LegacyBike("Moots", "Vamoots", 3200, 8.1)
    bike._update_snapshot()
    assert bike._diff() == {}
    bike.brand = "Giant"
    assert bike._diff() == {"brand": ("Moots", "Giant")}
    bike.brand = "Moots"
    assert bike._diff() == {}


def test_a_stored_models_diff_is_what_changed_since_it_was_read(app):
    with Session(app) as session:
        bike = Bike(brand="Moots", price=100)
        session.add(bike)
        assert bike._diff()["brand"] == (None, "Moots")  # added: the insert writes it all
        session.commit()
    with Session(app) as session:
        loaded = session.get(Bike, bike._entry_id)
        assert loaded._is_active and loaded._diff() == {}
        assert loaded._snapshot["brand"] == "Moots"
        loaded.brand = "Giant"
        assert loaded._diff() == {"brand": ("Moots", "Giant")}
        assert loaded._snapshot["brand"] == "Moots"
        session.commit()
    assert not loaded._is_active
    with pytest.raises(AttributeError, match="no longer mapped"):
        loaded._diff()


def test_in_place_changes_of_json_fields_show_in_the_diff(app):
    with Session(app) as session:
        thing = Everything(json={"n": 1})
        session.add(thing)
        session.flush()
        thing.json["n"] = 2
        assert thing._diff() == {"json": ({"n": 1}, {"n": 2})}


def test_update_snapshot_on_a_stored_model_forgets_its_pending_changes(app):
    with Session(app) as session:
        bike = Bike(brand="Moots")
        session.add(bike)
        session.commit()
    with Session(app) as session:
        loaded = session.get(Bike, bike._entry_id)
        loaded.brand = "Giant"
        loaded._update_snapshot()  # as in PolyNOM: the session has nothing to write
        session.commit()
    with Session(app) as session:
        assert session.get(Bike, bike._entry_id).brand == "Moots"


def test_a_model_deleted_in_its_session_is_no_longer_active(app):
    with Session(app) as session:
        bike = Bike(brand="Moots")
        session.add(bike)
        session.flush()
        session.delete(bike)
        assert not bike._is_active


# -- Relationship between plain classes (PolyNOM's in-memory descriptor) -----------------------


def test_a_relationship_between_plain_classes_keeps_both_sides_in_step():
    with isolated_registry():

        @polynom_model
        class Rider(BaseModel):  # a model without a schema, as in PolyNOM's own suite
            def __init__(self, name):
                self.name = name
                self.bikes = []
                self.team = None

        class RoadBike:
            owner = Relationship(Rider, back_populates="bikes")

        class Team:
            leader = Relationship(f"{__name__}.Rider", back_populates="team")

        a, b, bike, team = Rider("a"), Rider("b"), RoadBike(), Team()
        assert bike.owner is None
        bike.owner = a
        assert bike.owner is a and a.bikes == [bike]
        bike.owner = b
        assert a.bikes == [] and b.bikes == [bike]
        bike.owner = None
        assert b.bikes == []
        team.leader = a
        assert a.team is team  # a scalar back attribute is set
        with pytest.raises(TypeError) as wrong:
            bike.owner = "not a rider"
        assert isinstance(wrong.value, RelationshipTypeError)
        del b.bikes
        with pytest.raises(AttributeError, match="Backref attribute 'bikes' not found on Rider"):
            bike.owner = b
        assert RoadBike.owner.target_model is Rider


def test_a_mapped_model_may_back_populate_a_plain_attribute():
    owner = Owner(name="Ada")
    bike = Bike(brand="Moots")
    bike.owner = owner  # Owner.bikes is a relationship: the usual way
    assert owner.bikes == [bike]

    with isolated_registry():

        class Keeper(BaseModel):
            schema = Owner.__mapper__.schema
            # no relationship back: PolyNOM's models keep a plain list instead

            def __init__(self, name):
                super().__init__()
                self.name = name
                self.collection = []

        class Stored(BaseModel):
            schema = Bike.__mapper__.schema
            keeper = Relationship(Keeper, back_populates="collection")

        keeper, stored = Keeper("k"), Stored(brand="Moots")
        stored.keeper = keeper
        assert keeper.collection == [stored]
        assert stored.owner_id == keeper._entry_id
        with pytest.raises(MissingBackrefError):
            Stored(brand="x").keeper = Keeper.__new__(Keeper)
