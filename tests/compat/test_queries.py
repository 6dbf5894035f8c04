"""Queries as PolyNOM 0.3 users write them: changed in place, counted without their limit,
filtered with 0.3.2's tuples -- on every store kind."""

from __future__ import annotations

import pytest

from polynom.errors import QueryError, UnknownFieldError
from polynom.session import Session
from tests.models import Bike, Owner


@pytest.fixture
def shop(app):
    with Session(app) as s:
        ada, bob = Owner(name="ada"), Owner(name="bob")
        s.add_all([ada, bob])
        s.add_all(
            [
                Bike(brand="Moots", price=3200, owner=ada),
                Bike(brand="Giant", price=900, owner=ada),
                Bike(brand="Giant", price=450, owner=bob),
                Bike(brand="Cube", price=700),
            ]
        )
        s.commit()
    return app


def test_a_bare_builder_call_narrows_the_query(shop):
    with Session(shop) as s:
        q = Bike.query(s)
        q.filter_by(brand="Giant")  # PolyNOM's in-place style: no reassignment
        assert {b.price for b in q.all()} == {900, 450}
        q.filter(Bike.price > 500)
        assert [b.price for b in q.all()] == [900]
        assert q.filter_by(brand="Giant") is q  # and chaining still works


def test_running_a_query_leaves_it_as_it_was(shop):
    with Session(shop) as s:
        q = Bike.query(s).order_by("price")
        assert q.first().brand == "Giant"
        assert len(q.all()) == 4  # first() did not add a LIMIT to q
        assert q.exists() and q.count() == 4


def test_copy_branches_a_query(shop):
    with Session(shop) as s:
        base = Bike.query(s).filter(Bike.price > 400)
        giants = base.copy().filter_by(brand="Giant")
        cheap = base.copy().filter(Bike.price < 800)
        assert giants.count() == 2 and cheap.count() == 2
        assert base.count() == 4


def test_count_is_the_total_whatever_limit_and_offset_say(shop):
    with Session(shop) as s:
        page = Bike.query(s).order_by("price").limit(2).offset(1)
        assert page.count() == 4
        assert [b.price for b in page.all()] == [700, 900]
        assert Owner.query(s).join(Bike).distinct().limit(1).count() == 2


def test_polynom_032_filter_tuples(shop):
    with Session(shop) as s:
        assert Bike.query(s).filter(("=", "brand", "Giant")).count() == 2
        assert Bike.query(s).filter(("LIKE", "brand", "G%"), (">=", "price", 900)).count() == 1
        assert Bike.query(s).filter(("<>", Bike.brand, "Giant")).count() == 2
        schema_field = Bike.__mapper__.schema.field_by_db_name("brand")
        assert Bike.query(s).filter(("=", schema_field, "Cube")).count() == 1  # 0.3.0's form
        with pytest.raises(QueryError, match="unsupported filter operator"):
            Bike.query(s).filter(("; DROP TABLE", "brand", "x"))
        with pytest.raises(QueryError, match="no field 'colour'"):
            Bike.query(s).filter(("=", "colour", "red"))
        with pytest.raises(ValueError, match="no field"):  # PolyNOM: ValueError
            Bike.query(s).filter_by(colour="red")


def test_model_cls_and_update_of_an_unknown_field(shop):
    with Session(shop) as s:
        q = Bike.query(s)
        assert q._model_cls is Bike
        with pytest.raises(AttributeError) as caught:  # PolyNOM: AttributeError
            q.update({"colour": "red"})
        assert isinstance(caught.value, UnknownFieldError)
        assert q.filter_by(brand="Cube").update({"price": 650}) == 1
        s.commit()
    with Session(shop) as s:
        assert Bike.query(s).filter_by(brand="Cube").first().price == 650
