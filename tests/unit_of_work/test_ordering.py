"""The flush order: parents inserted before children, children deleted first, updates
batched per shape -- on the plan itself, then as the statements a real store receives."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from polynom.session import Session
from polynom.sql import dml
from polynom.unit_of_work.ordering import batch_updates, plan_flush
from tests.models import Bike, BikeSchema, Everything, Owner, OwnerSchema, Part, PartSchema


def _family() -> tuple[Owner, Bike, Part]:
    owner = Owner(name="ada")
    bike = Bike(brand="Moots", owner=owner)
    part = Part(label="bell", bike=bike)
    return owner, bike, part


def test_inserts_go_parents_before_children_whatever_the_order_added():
    owner, bike, part = _family()
    other_part = Part(label="lamp", bike=bike)
    plan = plan_flush([part, bike, other_part, owner], [], [])
    assert [schema for schema, _ in plan.inserts] == [OwnerSchema, BikeSchema, PartSchema]
    assert plan.inserts[2][1] == [part, other_part]  # one multi-row insert per entity
    assert plan.deletes == [] and plan.updates == []


def test_deletes_go_children_first():
    owner, bike, part = _family()
    plan = plan_flush([], [], [owner, bike, part])
    assert [schema for schema, _ in plan.deletes] == [PartSchema, BikeSchema, OwnerSchema]


def test_an_empty_plan_is_empty():
    assert plan_flush([], [], []).empty
    assert not plan_flush([Owner(name="x")], [], []).empty


def _rows(batch):
    """A batch's parameter rows as lists (a row may be any sequence)."""
    return [list(row) for row in batch.params]


def test_updates_are_batched_per_model_fields_and_null_checks():
    bikes = [Bike(brand=f"b{i}", price=i + 10) for i in range(5)]
    updates = [
        (bikes[0], {"price": Decimal("1.00")}),
        (bikes[1], {"price": Decimal("2.00")}),
        (bikes[2], {"price": None}),  # the old value was NULL: checked with IS NULL
        (bikes[3], {"brand": "old"}),
        (bikes[4], {"price": Decimal("3.00"), "brand": "older"}),
    ]
    batches = batch_updates(updates)
    shapes = [
        ([a.name for a in b.attributes], [(a.name, null) for a, null in b.null_checks])
        for b in batches
    ]
    assert shapes == [
        (["price"], [("price", False)]),
        (["price"], [("price", True)]),
        (["brand"], [("brand", False)]),
        (["brand", "price"], [("brand", False), ("price", False)]),
    ]
    # new values, the entry id, then the old values the conflict check compares
    assert _rows(batches[0]) == [
        [Decimal("10.00"), bikes[0]._entry_id, Decimal("1.00")],
        [Decimal("11.00"), bikes[1]._entry_id, Decimal("2.00")],
    ]
    assert _rows(batches[1]) == [[Decimal("12.00"), bikes[2]._entry_id]]
    assert _rows(batches[3]) == [
        ["b4", Decimal("14.00"), bikes[4]._entry_id, "older", Decimal("3.00")]
    ]


def test_updates_of_one_shape_share_a_batch_whether_adjacent_or_not():
    bikes = [Bike(brand=f"b{i}", price=i + 10) for i in range(5)]
    updates = [
        (bikes[0], {"price": Decimal("1.00"), "brand": "o0"}),
        (bikes[1], {"brand": "o1", "price": Decimal("2.00")}),  # the same fields, reordered
        (bikes[2], {"brand": "o2"}),
        (bikes[3], {"price": Decimal("4.00"), "brand": "o3"}),  # back to the first shape
        (bikes[4], {"brand": "o4"}),
    ]
    batches = batch_updates(updates)
    assert [[a.name for a in b.attributes] for b in batches] == [["brand", "price"], ["brand"]]
    # brand, price, the entry id, then the old brand and price
    assert _rows(batches[0]) == [
        ["b0", Decimal("10.00"), bikes[0]._entry_id, "o0", Decimal("1.00")],
        ["b1", Decimal("11.00"), bikes[1]._entry_id, "o1", Decimal("2.00")],
        ["b3", Decimal("13.00"), bikes[3]._entry_id, "o3", Decimal("4.00")],
    ]
    assert _rows(batches[1]) == [
        ["b2", bikes[2]._entry_id, "o2"],
        ["b4", bikes[4]._entry_id, "o4"],
    ]
    assert [m for m, _ in batches[0].entries] == [bikes[0], bikes[1], bikes[3]]


def test_every_changed_field_is_checked_json_too():
    """No lost update for any type (issue 10): a JSON field is compared as the text the
    store holds, so a concurrent change of it is a conflict too."""
    thing = Everything(json={"a": 1}, integer=1)
    (batch,) = batch_updates([(thing, {"json": {"a": 0}, "integer": 0})])
    assert [a.name for a in batch.attributes] == ["integer", "json"]
    assert [a.name for a, _ in batch.null_checks] == ["integer", "json"]
    assert batch.params == [[1, '{"a": 1}', thing._entry_id, 0, '{"a": 0}']]
    assert (
        dml.update_checked(
            '"t"',
            [a.field.db_field_name for a in batch.attributes],
            [("integer", False), ("json", False)],
        )
        == 'UPDATE "t" SET "integer" = ?, "json" = ? WHERE "_entry_id" = ? AND "integer" = ? '
        'AND "json" = ?'
    )


@pytest.fixture
def statements(app, caplog):
    """The statements the store receives, in order (the app logs them)."""
    app.log_statements = True
    caplog.set_level(logging.INFO, logger="polynom.statements")
    return lambda: [
        r.getMessage().split("] ", 1)[1] for r in caplog.records if r.name == "polynom.statements"
    ]


def _writes(statements: list[str], verb: str) -> list[str]:
    """The entity each ``verb`` statement writes, in order."""
    marker = {"INSERT": "INSERT INTO ", "DELETE": "DELETE FROM ", "UPDATE": "UPDATE "}[verb]
    return [s[len(marker) :].split(" ", 1)[0] for s in statements if s.startswith(marker)]


def test_a_flush_writes_in_that_order_on_every_store(app, statements):
    with Session(app) as session:
        _owner, bike, part = _family()
        session.add(part)  # the cascade adds the bike and its owner
        session.commit()
    assert _writes(statements(), "INSERT") == ['"people"."owner"', '"shop"."bike"', '"shop"."part"']

    with Session(app) as session:
        bikes = [Bike(brand=f"b{i}", price=None if i == 2 else i) for i in range(3)]
        session.add_all(bikes)
        session.commit()
    before = len(_writes(statements(), "UPDATE"))
    with Session(app) as session:
        for loaded in Bike.query(session).filter(Bike.brand.like("b%")).all():
            loaded.price = 100
        session.commit()
    # two with an old price, one whose old price was NULL: two statements, one a batch
    assert len(_writes(statements(), "UPDATE")) - before == 2

    with Session(app) as session:
        session.delete(Bike.query(session).get(bike._entry_id))  # cascades to its part
        session.commit()
    assert _writes(statements(), "DELETE") == ['"shop"."part"', '"shop"."bike"']
    with Session(app) as session:
        assert Part.query(session).count() == 0
        assert Owner.query(session).count() == 1
