"""Queries: filters, ordering, paging, counting, joins, eager loading, bulk operations."""

from __future__ import annotations

from decimal import Decimal

import pytest

from polynom.errors import DetachedModelError, QueryError, ValidationError
from polynom.expression import or_
from polynom.query import joinedload
from polynom.session import Session
from tests.models import Bike, Owner


@pytest.fixture
def shop(app):
    with Session(app) as session:
        alice = Owner(name="alice", email="a@x")
        bob = Owner(name="bob", email="b@x")
        prices = ["999.50", "1000.00", "12.00", "450.25", "1000.00"]
        bikes = [
            Bike(brand=brand, model=model, price=Decimal(p), owner=owner)
            for brand, model, p, owner in zip(
                ["Giant", "Trek", "Giant", "Cube", "Trek"],
                ["Defy", "Domane", None, "Attain", "Emonda"],
                prices,
                [alice, alice, bob, None, bob],
                strict=True,
            )
        ]
        session.add_all([alice, bob, *bikes])
        session.commit()
    return app


def brands(models):
    return [m.brand for m in models]


def test_filter_by_and_comparisons(shop):
    with Session(shop) as s:
        assert Bike.query(s).filter_by(brand="Giant").count() == 2
        assert Bike.query(s).filter(Bike.price > 999).count() == 3  # decimals compare as numbers
        assert (
            Bike.query(s).filter(Bike.price >= Decimal("999.50"), Bike.brand != "Trek").count() == 1
        )
        assert Bike.query(s).filter(Bike.price < 100).count() == 1
        assert Bike.query(s).filter(Bike.price <= 450.25).count() == 2
        assert Bike.query(s).filter(Bike.model == None).count() == 1  # noqa: E711
        assert Bike.query(s).filter(Bike.model.is_not(None)).count() == 4
        assert Bike.query(s).filter(Bike.brand.in_(["Cube", "Trek"])).count() == 3
        assert Bike.query(s).filter(Bike.brand.in_([])).count() == 0
        assert Bike.query(s).filter(Bike.model.like("D%")).count() == 2
        assert Bike.query(s).filter(Bike.model.like("d%")).count() == 0  # case-sensitive
        assert Bike.query(s).filter(or_(Bike.brand == "Cube", Bike.price < 20)).count() == 2
        assert Bike.query(s).filter(~(Bike.brand == "Giant")).count() == 3


def test_order_limit_offset(shop):
    with Session(shop) as s:
        ordered = Bike.query(s).order_by(Bike.price.desc(), "brand").all()
        assert [str(b.price) for b in ordered] == [
            "1000.00",
            "1000.00",
            "999.50",
            "450.25",
            "12.00",
        ]
        assert brands(ordered[:2]) == ["Trek", "Trek"]
        page = Bike.query(s).order_by("price").limit(2).offset(1).all()
        assert [str(b.price) for b in page] == ["450.25", "999.50"]
        assert brands(Bike.query(s).order_by("-brand").limit(1).all()) == ["Trek"]
        # count() is the total, whatever limit/offset say (PolyNOM 0.3's rule): a pager's total
        assert Bike.query(s).order_by("price").offset(4).count() == 5
        assert Bike.query(s).order_by("price").limit(2).count() == 5
        assert len(Bike.query(s).order_by("price").offset(4).all()) == 1


def test_distinct_count_first_exists_get(shop):
    with Session(shop) as s:
        assert Bike.query(s).count() == 5
        assert Bike.query(s).filter_by(brand="Nope").first() is None
        assert Bike.query(s).filter_by(brand="Cube").exists()
        assert not Bike.query(s).filter_by(brand="Nope").exists()
        assert Bike.query(s).get("no-such-id") is None
        giant_owners = (
            Owner.query(s).join(Bike).filter(Bike.brand == "Giant").distinct().order_by("name")
        )
        assert [o.name for o in giant_owners.all()] == ["alice", "bob"]
        assert Owner.query(s).join(Bike).count() == 4
        assert Owner.query(s).join(Bike).distinct().count() == 2


def test_join_filters_on_related_fields(shop):
    with Session(shop) as s:
        alices = (
            Bike.query(s).join(Bike.owner).filter(Owner.name == "alice").order_by("brand").all()
        )
        assert brands(alices) == ["Giant", "Trek"]
        with pytest.raises(QueryError, match="join Owner first"):
            Bike.query(s).filter(Owner.name == "alice").all()


def test_unknown_fields_and_bad_values_are_clear_errors(shop):
    with Session(shop) as s:
        with pytest.raises(QueryError, match="Bike has no field 'colour'"):
            Bike.query(s).filter_by(colour="red")
        with pytest.raises(QueryError, match="Bike has no field 'colour'"):
            Bike.query(s).order_by("colour")
        with pytest.raises(ValidationError, match=r"Bike\.price: cannot compare with 'cheap'"):
            Bike.query(s).filter(Bike.price < "cheap")
        with pytest.raises(QueryError, match="expressions"):
            Bike.query(s).filter("price > 3")
        with pytest.raises(QueryError, match="from 0 to 2147483647"):
            Bike.query(s).limit(-1)


def test_values_are_bound_not_pasted(shop):
    with Session(shop) as s:
        evil = "x' OR '1'='1"
        assert Bike.query(s).filter_by(brand=evil).count() == 0
        text, params = Bike.query(s).filter_by(brand=evil).statement()
        assert evil not in text and params == [evil]


def test_bulk_update_and_delete(shop):
    with Session(shop) as s:
        assert Bike.query(s).filter_by(brand="Trek").update({"in_stock": False}) == 2
        assert Bike.query(s).filter_by(in_stock=False).count() == 2
        assert Bike.query(s).filter(Bike.price < 500).delete() == 2
        s.commit()
    with Session(shop) as s:
        assert Bike.query(s).count() == 3
        assert Bike.query(s).filter_by(in_stock=False).count() == 2


def test_eager_loading_survives_the_session(shop):
    with Session(shop) as s:
        bikes = Bike.query(s).options(joinedload(Bike.owner)).order_by("price").all()
        owners = Owner.query(s).options(joinedload(Owner.bikes)).order_by("name").all()
        lazy = Bike.query(s).filter_by(brand="Cube").first()
        s.rollback()
    with Session(shop) as s:
        unloaded = Owner.query(s).filter_by(name="alice").first()
    assert [b.owner.name if b.owner else None for b in bikes] == [
        "bob",
        None,
        "alice",
        "alice",
        "bob",
    ]
    assert {o.name: sorted(brands(o.bikes)) for o in owners} == {
        "alice": ["Giant", "Trek"],
        "bob": ["Giant", "Trek"],
    }
    assert lazy.owner is None
    with pytest.raises(DetachedModelError, match="joinedload"):
        _ = unloaded.bikes


def test_paging_takes_what_polypheny_takes(shop):
    """Polypheny reads LIMIT and OFFSET as a Java int (core/.../rex/RexLiteral.java,
    intValue): beyond it the query is refused before it reaches the store, naming what is
    wrong -- not a "datatype mismatch" from SQLite or an error from HSQLDB."""
    with Session(shop) as s:
        for value in (2**31, 10**20):
            with pytest.raises(QueryError, match=r"offset\(\) takes a whole number from 0"):
                Bike.query(s).offset(value)
            with pytest.raises(QueryError, match=r"limit\(\) takes a whole number from 0"):
                Bike.query(s).limit(value)
        with pytest.raises(QueryError):
            Bike.query(s).limit(True)
        assert len(Bike.query(s).offset(2**31 - 1).all()) == 0


def test_offset_without_limit_is_a_bare_offset(shop):
    """A bare OFFSET is Polypheny's grammar (Parser.jj, OrderedQueryOrExpr); a LIMIT of
    2^63 - 1 written instead is read as -1 (RexLiteral.intValue) and refused by HSQLDB."""
    with Session(shop) as s:
        query = Bike.query(s).order_by("price").offset(3)
        assert "LIMIT" not in query.statement()[0]
        assert [str(b.price) for b in query.all()] == ["1000.00", "1000.00"]
        assert query.count() == 5  # a count is the total, whatever the page (PolyNOM 0.3)


def test_distinct_with_ordering_by_a_joined_field(shop):
    """Polypheny orders a DISTINCT query only by what it selects (SqlValidatorImpl.java,
    notSelectDistinctExpr): ordered by a joined model's field, each entry ranks by its
    smallest value ascending, its largest descending -- on every store."""
    with Session(shop) as s:

        def owners():
            return Owner.query(s).join(Bike).distinct()

        by_cheapest = owners().order_by(Bike.price).all()
        assert [o.name for o in by_cheapest] == ["bob", "alice"]  # 12.00 < 999.50
        by_dearest = owners().order_by(Bike.price.desc(), "name").all()
        assert [o.name for o in by_dearest] == ["alice", "bob"]  # 1000.00 = 1000.00, by name
        assert owners().order_by(Bike.price).count() == 2
        assert owners().order_by(Bike.price).limit(1).offset(1).all()[0].name == "alice"
        assert owners().order_by("name").exists()
        assert not owners().order_by(Bike.brand).filter(Bike.brand == "Nope").exists()


def test_nulls_sort_first_ascending_and_last_descending_everywhere(shop):
    """One NULL order on every store, written out: a default Polypheny sorts NULLs first both
    ways when told nothing and drops ASC NULLS LAST (HsqldbSqlDialect.java declares
    NullCollation.HIGH; SqlImplementor.java), so the mapper says ASC NULLS FIRST and DESC
    NULLS LAST, which reach the store as written."""
    with Session(shop) as s:
        ascending = [b.model for b in Bike.query(s).order_by("model").all()]
        assert ascending == [None, "Attain", "Defy", "Domane", "Emonda"]
        descending = [b.model for b in Bike.query(s).order_by("-model").all()]
        assert descending == ["Emonda", "Domane", "Defy", "Attain", None]
        owners = [b.owner_id is None for b in Bike.query(s).order_by(Bike.owner_id.desc()).all()]
        assert owners[-1] and not any(owners[:-1])


def test_eager_loading_over_more_parents_than_one_in_list_holds(app):
    """503 owners: two IN lists (500 and a padded 3), every child loaded once, to its own
    parent, both ways."""
    with Session(app) as s:
        owners = [Owner(name=f"o{i}") for i in range(503)]
        bikes = [
            Bike(brand=f"b{i}-{k}", owner=o) for i, o in enumerate(owners) for k in range(i % 3)
        ]
        s.add_all([*owners, *bikes])
        s.commit()
    with Session(app) as s:
        loaded = Owner.query(s).options(joinedload(Owner.bikes)).all()
        by_owner = Bike.query(s).options(joinedload(Bike.owner)).all()
        s.rollback()
    assert len(loaded) == 503 and len(by_owner) == len(bikes) == 502
    for owner in loaded:
        i = int(owner.name[1:])
        assert sorted(brands(owner.bikes)) == [f"b{i}-{k}" for k in range(i % 3)]
    assert all(b.owner.name == "o" + b.brand[1:].split("-")[0] for b in by_owner)
