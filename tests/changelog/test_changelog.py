"""The changelog records committed changes, in the same transaction, and reads back."""

from __future__ import annotations

from decimal import Decimal

from polynom.changelog import ChangeLog, history
from polynom.session import Session
from tests.models import Bike


def test_insert_update_delete_are_recorded_with_user(app):
    with Session(app, log_user="alice") as session:
        bike = Bike(brand="Giant", price=10)
        session.add(bike)
        session.commit()
    with Session(app, log_user="bob") as session:
        Bike.query(session).get(bike._entry_id).price = 12
        session.commit()
    with Session(app, log_user="carol") as session:
        session.delete(Bike.query(session).get(bike._entry_id))
        session.commit()
    with Session(app) as session:
        records = history(session, bike._entry_id)
    assert [(r.user, r.change_type) for r in records] == [
        ("alice", "insert"),
        ("bob", "update"),
        ("carol", "delete"),
    ]
    assert records[0].changes["brand"] == (None, "Giant")
    assert records[1].changes == {"price": (Decimal("10.00"), Decimal("12.00"))}
    assert records[2].changes["price"] == (Decimal("12.00"), None)
    assert (records[0].namespace, records[0].entity) == ("shop", "bike")
    assert records[0].date <= records[1].date <= records[2].date


def test_no_log_user_no_changelog(app):
    with Session(app) as session:
        session.add(Bike(brand="quiet"))
        session.commit()
    with Session(app) as session:
        assert ChangeLog.query(session).count() == 0


def test_changelog_rolls_back_with_the_change(app):
    with Session(app, log_user="alice") as session:
        session.add(Bike(brand="never"))
        session.flush()
        assert ChangeLog.query(session).count() == 1
        session.rollback()
    with Session(app) as session:
        assert ChangeLog.query(session).count() == 0


def test_history_accepts_a_model(app):
    with Session(app, log_user="dora") as session:
        bike = Bike(brand="x")
        session.add(bike)
        session.commit()
    with Session(app) as session:
        (record,) = history(session, bike)
        assert record.entry_id == bike._entry_id and record.user == "dora"
