"""The session: states, unit of work, identity map, detachment, conflicts."""

from __future__ import annotations

import contextlib
import gc
import uuid
import weakref
from decimal import Decimal

import pytest

from polynom.application import Application
from polynom.errors import (
    ConflictError,
    DetachedModelError,
    SessionError,
    UniqueViolation,
    ValidationError,
)
from polynom.model.state import state_of
from polynom.session import Session, _SessionState
from tests.models import Bike, LegacyBike, Owner


def _add_bikes(app, n=3, **extra):
    with Session(app) as session:
        bikes = [Bike(brand=f"brand{i}", price=100 + i, **extra) for i in range(n)]
        session.add_all(bikes)
        session.commit()
    return bikes


def test_states_and_commit_visibility(app):
    session = Session(app)
    assert session.get_session_state() is _SessionState.INITIALIZED
    with pytest.raises(SessionError, match="activated"):
        session.add(Bike(brand="x"))
    with session:
        assert session.get_session_state() is _SessionState.ACTIVE
        session.add(Bike(brand="Giant"))
        session.commit()
        assert session.get_session_state() is _SessionState.COMPLETED
    with Session(app) as other:
        assert Bike.query(other).filter_by(brand="Giant").count() == 1


def test_leaving_without_commit_rolls_back(app):
    with Session(app) as session:
        session.add(Bike(brand="ghost"))
        session.flush()
        assert Bike.query(session).count() == 1
    with Session(app) as session:
        assert Bike.query(session).count() == 0


def test_exception_inside_block_rolls_back_and_propagates(app):
    with pytest.raises(RuntimeError, match="boom"), Session(app) as session:
        session.add(Bike(brand="ghost"))
        session.flush()
        raise RuntimeError("boom")
    with Session(app) as session:
        assert not Bike.query(session).exists()


def test_models_are_detached_after_commit_and_rollback(app):
    (bike,) = _add_bikes(app, 1)
    assert bike.brand == "brand0"  # still readable
    with pytest.raises(DetachedModelError, match="detached"):
        bike.brand = "changed"
    with Session(app) as session:
        loaded = Bike.query(session).get(bike._entry_id)
        session.rollback()
    with pytest.raises(DetachedModelError):
        loaded.price = 1


def test_an_ended_session_is_freed_without_the_cyclic_collector(app):
    # the session and its unit of work held each other: every session was left to the
    # cyclic garbage collector; ended, nothing but its models may keep it
    gc.disable()
    try:
        with Session(app) as session:
            bike = Bike(brand="freed")
            session.add(bike)
            session.commit()
        with Session(app) as reader:
            (loaded,) = Bike.query(reader).filter_by(brand="freed").all()
        ended = weakref.ref(session), weakref.ref(reader)
        assert ended[0]().get_session_state() is _SessionState.COMPLETED
        del session, reader, bike
        assert ended[0]() is None
        assert ended[1]() is not None  # the loaded model still says how its session ended
        assert state_of(loaded).tracker.outcome == "rolled back"
        del loaded
        assert ended[1]() is None
    finally:
        gc.enable()


def test_model_from_other_session_is_refused(app):
    (bike,) = _add_bikes(app, 1)
    with Session(app) as one, Session(app) as two:
        mine = Bike.query(one).get(bike._entry_id)
        with pytest.raises(DetachedModelError, match="another active session"):
            two.delete(mine)
        with pytest.raises(DetachedModelError, match="another active session"):
            two.add(mine)
    with Session(app) as session, pytest.raises(DetachedModelError, match="query it again"):
        session.add(bike)


def test_identity_map_returns_same_object(app):
    (bike,) = _add_bikes(app, 1)
    with Session(app) as session:
        a = Bike.query(session).get(bike._entry_id)
        b = Bike.query(session).filter_by(brand="brand0").first()
        c = Bike.query(session).all()[0]
        assert a is b is c


def test_autoflush_queries_see_pending_changes(app):
    with Session(app) as session:
        session.add(Bike(brand="pending", price=5))
        assert Bike.query(session).filter_by(brand="pending").count() == 1
        bike = Bike.query(session).filter_by(brand="pending").first()
        bike.price = Decimal("7.5")
        assert Bike.query(session).filter(Bike.price > 7).count() == 1


def test_update_writes_only_changed_fields(app):
    (bike,) = _add_bikes(app, 1, model="Defy")
    app.log_statements = True
    statements = []
    import logging

    class Grab(logging.Handler):
        def emit(self, record):
            statements.append(record.getMessage())

    handler = Grab()
    logging.getLogger("polynom.statements").addHandler(handler)
    logging.getLogger("polynom.statements").setLevel(logging.INFO)
    try:
        with Session(app) as session:
            loaded = Bike.query(session).get(bike._entry_id)
            loaded.price = 999
            session.commit()
    finally:
        logging.getLogger("polynom.statements").removeHandler(handler)
    updates = [s for s in statements if "UPDATE" in s]
    assert len(updates) == 1
    assert (
        '"price" = ?' in updates[0] and '"brand"' not in updates[0] and '"model"' not in updates[0]
    )
    with Session(app) as session:
        assert Bike.query(session).get(bike._entry_id).price == Decimal("999.00")


def test_setting_same_value_writes_nothing(app):
    (bike,) = _add_bikes(app, 1)
    with Session(app) as session:
        loaded = Bike.query(session).get(bike._entry_id)
        loaded.brand = "brand0"
        session.flush()
        assert not session.dirty


def test_tracking_false_ignores_later_changes(app):
    with Session(app) as session:
        bike = Bike(brand="untracked")
        session.add(bike, tracking=False)
        session.flush()
        bike.brand = "changed"
        session.commit()
    with Session(app) as session:
        assert Bike.query(session).get(bike._entry_id).brand == "untracked"


def test_concurrent_update_of_same_field_conflicts(app, background):
    """Never a lost update. The embedded store lets the first commit through and the
    second finds the field changed; Polypheny makes the first commit wait for the second
    session's read lock, and the second's update then closes a deadlock and is aborted
    (dbms/.../transaction/locking/LockableImpl.java). Either way: a ConflictError, marked
    retryable, and the first change is kept."""
    (bike,) = _add_bikes(app, 1)
    with Session(app) as first, Session(app) as second:
        a = Bike.query(first).get(bike._entry_id)
        b = Bike.query(second).get(bike._entry_id)
        a.price = 1
        committed = background(first.commit)
        with contextlib.suppress(TimeoutError):
            committed.result(timeout=0.5)  # done on the embedded store, waiting on Polypheny
        b.price = 2
        with pytest.raises(ConflictError, match=r"another session|[Dd]eadlock") as info:
            second.commit()
        assert info.value.retryable
        committed.result(timeout=20)
    with Session(app) as session:
        assert Bike.query(session).get(bike._entry_id).price == Decimal("1.00")


def test_concurrent_updates_of_different_fields_both_survive(app):
    (bike,) = _add_bikes(app, 1)
    with Session(app) as first:
        Bike.query(first).get(bike._entry_id).price = 1
        first.commit()
    with Session(app) as second:
        Bike.query(second).get(bike._entry_id).model = "Z"
        second.commit()
    with Session(app) as session:
        loaded = Bike.query(session).get(bike._entry_id)
        assert (loaded.price, loaded.model) == (Decimal("1.00"), "Z")


def test_delete_and_delete_all(app):
    bikes = _add_bikes(app, 4)
    with Session(app) as session:
        loaded = Bike.query(session).all()
        session.delete(loaded[0])
        session.delete_all(loaded[1:3])
        assert Bike.query(session).count() == 1
        session.commit()
    with Session(app) as session:
        assert [b._entry_id for b in Bike.query(session).all()] == [bikes[3]._entry_id]


def test_missing_required_field_is_refused_before_the_store(app):
    with Session(app) as session:
        session.add(Bike(price=3))
        with pytest.raises(ValidationError, match=r"Bike\.brand is required"):
            session.flush()
        assert session.is_active  # nothing reached the store; the session goes on
        for model in session.new:
            session.expunge(model)
        session.add(Bike(brand="ok"))
        session.commit()


def test_unknown_constructor_field_is_an_error():
    with pytest.raises(ValidationError, match="Bike has no field 'colour'"):
        Bike(brand="x", colour="red")


def test_unique_violation_rolls_back_and_keeps_committed_data(app):
    with Session(app) as session:
        session.add(Owner(name="a", email="same@example.com"))
        session.commit()
    with Session(app) as session:
        session.add(Owner(name="b", email="same@example.com"))
        with pytest.raises(UniqueViolation):
            session.commit()
        assert session.get_session_state() is _SessionState.COMPLETED
    with Session(app) as session:
        assert [o.name for o in Owner.query(session).all()] == ["a"]


def test_polynom_style_model_with_own_init(app):
    with Session(app) as session:
        bike = LegacyBike("Giant", "Defy", 8.6, 2000)
        session.add(bike)
        session.commit()
    with Session(app) as session:
        loaded = LegacyBike.query(session).get(bike._entry_id)
        assert (loaded.brand, loaded.model, loaded.price, loaded.weight) == (
            "Giant",
            "Defy",
            Decimal("8.60"),
            2000.0,
        )
        assert loaded.in_stock is True  # default applied


def test_many_inserts_are_batched(app):
    with Session(app) as session:
        session.add_all(Bike(brand=f"b{i}") for i in range(2500))
        session.commit()
    with Session(app) as session:
        assert Bike.query(session).count() == 2500


def test_create_session_and_session_requires_active_app():
    app = Application(str(uuid.uuid4()), "sqlite://")
    with pytest.raises(SessionError, match="application must be active"):
        Session(app)
    with app, app.create_session(log_user="alice") as session:
        assert session.log_user == "alice"


def test_session_query_get_and_what_it_holds(app):
    with Session(app) as session:
        bike = Bike(brand="held")
        session.add(bike)
        assert session.new == [bike] and session.dirty == [] and session.deleted == []
        assert session.get(Bike, bike._entry_id) is bike  # the identity map, no statement
        assert session.query(Bike).filter_by(brand="held").all() == [bike]  # autoflushed
        assert session.new == []
        bike.price = 5
        assert session.dirty == [bike]
        session.delete(bike)
        assert session.deleted == [bike] and session.dirty == []
        session.commit()
    with Session(app) as session:
        assert session.get(Bike, bike._entry_id) is None
        with pytest.raises(SessionError, match="not in this session"):
            session.expunge(bike)


def test_no_lost_update_after_a_ddl_ended_the_transaction(app):
    """A DDL statement commits the transaction it runs in (Polypheny-DB's core/.../
    processing/Processor.java; the embedded store does the same), and so releases the
    session's read locks: another session can then change the entries it read. The batch
    of updates written afterwards must still find that out -- on Polypheny a batch answers
    the number of rows sent, not matched (plugins/jdbc-adapter-framework/.../
    ResultSetEnumerable.java), so its count cannot tell."""
    bikes = _add_bikes(app, 3)
    with Session(app) as first:
        loaded = Bike.query(first).order_by("brand").all()
        first.execute('CREATE RELATIONAL NAMESPACE IF NOT EXISTS "scratch"')
        with Session(app) as second:
            for bike in Bike.query(second).all():
                bike.price = 99
            second.commit()
        for bike in loaded:
            bike.price = 1
        with pytest.raises(ConflictError, match="3 of 3 updated entries"):
            first.commit()
    with Session(app) as session:
        assert {b.price for b in Bike.query(session).all()} == {Decimal("99.00")}
    assert len(bikes) == 3
