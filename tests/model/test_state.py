"""A model's state: one InstanceState object, and its transitions
transient -> pending -> persistent -> deleted / detached."""

from __future__ import annotations

import gc
from enum import Enum

import pytest

from polynom import ModelState, model_state
from polynom.errors import DetachedModelError, SessionError
from polynom.model.state import STATE_KEY, InstanceState, state_of
from polynom.session import Session, SessionState
from tests.models import Bike

T, P, S, D, X = (
    ModelState.TRANSIENT,
    ModelState.PENDING,
    ModelState.PERSISTENT,
    ModelState.DELETED,
    ModelState.DETACHED,
)


def test_model_and_session_states_are_the_same_kind_of_thing():
    assert issubclass(ModelState, Enum) and issubclass(SessionState, Enum)
    assert [s.name for s in ModelState] == [
        "TRANSIENT",
        "PENDING",
        "PERSISTENT",
        "DELETED",
        "DETACHED",
    ]


def test_added_flushed_committed(app):
    bike = Bike(brand="Moots")
    assert model_state(bike) is T and state_of(bike) is None
    with Session(app) as session:
        session.add(bike)
        assert model_state(bike) is P
        session.flush()
        assert model_state(bike) is S
        session.commit()
    assert model_state(bike) is X


def test_loaded_deleted_flushed_committed(app):
    with Session(app) as session:
        bike = Bike(brand="Giant")
        session.add(bike)
        session.commit()
    with Session(app) as session:
        loaded = Bike.query(session).get(bike._entry_id)
        assert model_state(loaded) is S
        session.delete(loaded)
        assert model_state(loaded) is D
        with pytest.raises(SessionError, match="deleted in this session"):
            loaded.brand = "gone"
        session.flush()
        assert model_state(loaded) is D
        assert Bike.query(session).get(bike._entry_id) is None
        session.commit()
    assert model_state(loaded) is X


def test_a_pending_model_deleted_or_expunged_is_transient_again(app):
    with Session(app) as session:
        first, second = Bike(brand="a"), Bike(brand="b")
        session.add_all([first, second])
        session.delete(first)
        session.expunge(second)
        assert (model_state(first), model_state(second)) == (T, T)
        assert session.new == []
        session.commit()
    with Session(app) as session:
        assert Bike.query(session).count() == 0


def test_rollback_detaches_and_writes_are_refused(app):
    with Session(app) as session:
        bike = Bike(brand="a")
        session.add(bike)
        session.rollback()
    assert model_state(bike) is X
    with pytest.raises(DetachedModelError, match="rolled back"):
        bike.brand = "b"
    assert bike.brand == "a"


def test_changes_are_kept_until_flushed(app):
    with Session(app) as session:
        bike = Bike(brand="a", price=1)
        session.add(bike)
        session.flush()
        bike.price = 2
        bike.price = 3  # the first old value is kept
        assert bike._diff() == {"price": (1, 3)}
        assert session.dirty == [bike]
        session.flush()
        assert bike._diff() == {} and session.dirty == []
        session.commit()


def test_changed_loaded_models_keep_the_state_they_share_and_each_its_own_changes(app):
    """An update of many loaded models makes no state per model: the unit of work keeps
    each one's old values, and the models still share their session's one state."""
    with Session(app) as session:
        session.add_all([Bike(brand="a", price=1), Bike(brand="b", price=2)])
        session.commit()
    with Session(app) as session:
        first, second = sorted(Bike.query(session).all(), key=lambda b: b.brand)
        first.price, second.brand = 10, "changed"
        first.price = 11  # the first old value is the one kept
        assert state_of(first) is state_of(second)
        assert first._diff() == {"price": (1, 11)} and second._diff() == {"brand": ("b", "changed")}
        assert set(session.dirty) == {first, second}
        second.brand = "b"  # set back: nothing to write for it
        session.commit()
    with Session(app) as session:
        stored = sorted((b.brand, b.price) for b in Bike.query(session).all())
    assert stored == [("a", 11), ("b", 2)]


def test_the_bookkeeping_is_one_slotted_object_beside_the_field_values(app):
    # in a slot, not in the __dict__: a dict of plain values is one the cyclic garbage
    # collector does not track, so a session holding many models costs it one object each
    with Session(app) as session:
        session.add(Bike(brand="a"))
        session.commit()
    with Session(app) as session:
        (loaded,) = Bike.query(session).all()
        state = state_of(loaded)
        assert isinstance(state, InstanceState) and not hasattr(state, "__dict__")
        fields = set(Bike.__mapper__.attributes)
        assert set(loaded.__dict__) == fields
        assert getattr(loaded, STATE_KEY) is state
        assert not gc.is_tracked(loaded.__dict__)
        assert state.tracker is session and state.state is S


def test_models_added_together_share_a_state_until_one_of_them_changes(app):
    """A session's new models share one PENDING state, as its loaded ones share one
    PERSISTENT state: a change to one of them after the flush is that model's alone."""
    with Session(app) as session:
        first, second = Bike(brand="one"), Bike(brand="two")
        untracked = Bike(brand="three")
        session.add_all([first, second])
        session.add(untracked, tracking=False)
        assert state_of(first) is state_of(second) and state_of(untracked) is not state_of(first)
        session.flush()
        assert {model_state(m) for m in (first, second, untracked)} == {S}
        first.brand, untracked.brand = "changed", "ignored"
        assert session.dirty == [first] and model_state(second) is S
        assert second._diff() == {} and state_of(second) is state_of(first)
        session.commit()
    with Session(app) as session:
        stored = {b._entry_id: b.brand for b in Bike.query(session).all()}
    assert stored == {
        first._entry_id: "changed",
        second._entry_id: "two",
        untracked._entry_id: "three",
    }


def test_added_models_with_a_json_field_each_see_their_own_in_place_changes(app):
    from tests.models import Everything

    with Session(app) as session:
        first, second = Everything(json={"n": 1}), Everything(json={"n": 5})
        session.add_all([first, second])
        session.flush()
        first.json["n"] = 5  # what the other holds: compared with its own stored value
        assert first._diff() == {"json": ({"n": 1}, {"n": 5})} and second._diff() == {}
        session.commit()
    with Session(app) as session:
        assert Everything.query(session).get(first._entry_id).json == {"n": 5}
        assert Everything.query(session).get(second._entry_id).json == {"n": 5}
