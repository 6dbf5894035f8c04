"""Sessions as PolyNOM 0.3 users use them: deleting a model read in an earlier session."""

from __future__ import annotations

import pytest

from polynom.errors import ConflictError, ForeignModelError
from polynom.session import Session
from tests.models import Bike, Owner


def test_a_model_from_an_ended_session_can_be_deleted(app):
    with Session(app) as s:
        bikes = [Bike(brand="Moots"), Bike(brand="Giant")]
        s.add_all(bikes)
        s.commit()
    with Session(app) as s:
        s.delete(bikes[1])  # detached: taken into this session, then deleted
        s.commit()
    with Session(app) as s:
        assert [b.brand for b in Bike.query(s).all()] == ["Moots"]


def test_deleting_a_detached_model_uses_the_object_the_session_holds(app):
    with Session(app) as s:
        bike = Bike(brand="Moots")
        s.add(bike)
        s.commit()
    with Session(app) as s:
        held = s.get(Bike, bike._entry_id)
        s.delete(bike)
        assert not held._is_active  # the held object is the one deleted
        s.commit()
    with Session(app) as s:
        assert Bike.query(s).count() == 0


def test_deleting_a_detached_model_that_is_gone_is_a_conflict(app):
    with Session(app) as s:
        bike = Bike(brand="Moots")
        s.add(bike)
        s.commit()
    with Session(app) as s:
        s.delete(s.get(Bike, bike._entry_id))
        s.commit()
    with Session(app) as s:
        s.delete(bike)
        with pytest.raises(ConflictError):
            s.commit()


def test_a_model_of_another_active_session_is_refused(app):
    with Session(app) as first:
        owner = Owner(name="Ada")
        first.add(owner)
        first.flush()
        with Session(app) as second, pytest.raises(ForeignModelError):
            second.delete(owner)
