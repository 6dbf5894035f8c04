"""Filter expressions: the SQL and parameters they compile to, and the errors bad input gets."""

from __future__ import annotations

from decimal import Decimal

import pytest

from polynom import and_, not_, or_
from polynom.errors import QueryError, ValidationError
from tests.models import Bike, Owner

ALIASES = {Bike: "t0"}


def compiled(expression, aliases=ALIASES):
    params: list = []
    return expression.compile(aliases, params), params


def test_comparisons_bind_validated_values():
    assert compiled(Bike.price > 100) == ('"t0"."price" > ?', [Decimal("100.00")])
    assert compiled(Bike.brand == "Giant") == ('"t0"."brand" = ?', ["Giant"])
    assert compiled(Bike.weight <= 8) == ('"t0"."weight" <= ?', [8.0])
    assert compiled(Bike.in_stock != True) == ('"t0"."in_stock" <> ?', [True])  # noqa: E712


def test_none_becomes_is_null_and_an_ordering_with_none_is_refused():
    assert compiled(Bike.model == None) == ('"t0"."model" IS NULL', [])  # noqa: E711
    assert compiled(Bike.model != None) == ('"t0"."model" IS NOT NULL', [])  # noqa: E711
    assert compiled(Bike.model.is_(None)) == ('"t0"."model" IS NULL', [])
    with pytest.raises(QueryError, match=r"Bike.price < None is always unknown"):
        Bike.price < None  # noqa: B015


def test_in_like_and_empty_lists():
    assert compiled(Bike.brand.in_(["a", "b"])) == ('"t0"."brand" IN (?, ?)', ["a", "b"])
    assert compiled(Bike.brand.not_in(["a"])) == ('"t0"."brand" NOT IN (?)', ["a"])
    assert compiled(Bike.brand.in_([])) == ("1 = 0", [])
    assert compiled(Bike.brand.not_in([])) == ("1 = 1", [])
    assert compiled(Bike.brand.like("G%")) == ('"t0"."brand" LIKE ?', ["G%"])


def test_combinations_keep_their_parameters_in_order():
    expression = or_(Bike.price > 1, and_(Bike.brand == "x", not_(Bike.weight < 2)))
    assert compiled(expression) == (
        '("t0"."price" > ? OR ("t0"."brand" = ? AND NOT ("t0"."weight" < ?)))',
        [Decimal("1.00"), "x", 2.0],
    )
    assert compiled((Bike.price > 1) & ~(Bike.brand == "y"))[1] == [Decimal("1.00"), "y"]


def test_columns_compare_with_columns_and_foreign_keys_with_models():
    aliases = {Bike: "t0", Owner: "t1"}
    assert compiled(Bike.owner_id == Owner._entry_id, aliases) == (
        '"t0"."owner_id" = "t1"."_entry_id"',
        [],
    )
    owner = Owner(name="ada")
    assert compiled(Bike.owner_id == owner) == ('"t0"."owner_id" = ?', [owner._entry_id])
    # models and plain ids mixed in one list: each model stands for its entry id
    other = Owner(name="bo")
    assert compiled(Bike.owner_id.in_([owner, "x-1", other])) == (
        '"t0"."owner_id" IN (?, ?, ?)',
        [owner._entry_id, "x-1", other._entry_id],
    )


def test_orderings():
    # NULLs sort as the smallest value on every store, written out (see Ordering)
    assert Bike.price.desc().sql(ALIASES) == '"t0"."price" DESC NULLS LAST'
    assert Bike.brand.asc().sql(ALIASES) == '"t0"."brand" ASC NULLS FIRST'


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Bike.price > "cheap", r"Bike\.price: cannot compare with 'cheap'"),
        (lambda: Bike.brand == "x" * 31, r"Bike\.brand: cannot compare with"),
        (lambda: Bike.brand.in_(["ok", 3]), r"Bike\.brand: cannot compare with 3"),
        (lambda: Bike.brand.like(5), r"Bike\.brand: cannot match 5: like\(\) needs a str pattern"),
    ],
)
def test_bad_values_are_refused_naming_model_and_field(build, message):
    with pytest.raises(ValidationError, match=message) as caught:
        build()
    assert caught.value.model == "Bike"
    assert caught.value.field in ("price", "brand")


def test_misuse_is_a_clear_error():
    with pytest.raises(QueryError, match="join Owner first"):
        compiled(Owner.name == "ada")
    with pytest.raises(TypeError, match=r"use & \| ~"):
        bool(Bike.price > 1)
    with pytest.raises(QueryError, match="is not a filter expression"):
        and_(Bike.price > 1, "price > 1")  # type: ignore[arg-type]
    with pytest.raises(QueryError, match="only compares with None"):
        Bike.model.is_("x")  # type: ignore[arg-type]
