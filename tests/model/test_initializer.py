"""A model class's written-out ``__init__``: the same model, or the same error, as making it
empty and assigning each field -- for values already in the field's form, values it
normalises and values it refuses -- and the general way for everything it does not cover."""

from __future__ import annotations

import decimal
import enum
import inspect
import itertools
import math
from typing import Any

import pytest

from polynom import BaseModel, BaseSchema, Field, Relationship
from polynom.errors import ValidationError
from polynom.schema import polytypes
from polynom.testing import isolated_registry
from tests.models import Bike, Everything, LegacyBike, Owner

D = decimal.Decimal


class _Size(enum.IntEnum):
    LARGE = 3


class _Word(enum.StrEnum):
    HI = "hi"


CASES: list[tuple[str, Any]] = [
    *[("varchar", v) for v in ["abc", "abcde", "abcdef", "é" * 5, "😀😀😀", "", _Word.HI, 5]],
    *[("varchar", v) for v in ["\ud800", b"abc"]],
    *[("text", v) for v in ["x" * 10_000, "naïve", "\udfff", _Word.HI, None]],
    *[("integer", v) for v in [0, -(2**31), 2**31 - 1, 2**31, -(2**31) - 1, True, _Size.LARGE]],
    *[("integer", v) for v in [1.0, "1"]],
    *[("tinyint", v) for v in [127, 128, -128, -129]],
    *[("bigint", v) for v in [2**63 - 1, 2**63]],
    *[("double", v) for v in [1.5, -0.0, 0.0, float("nan"), float("inf"), 3, 2**53 + 1, True]],
    *[("real", v) for v in [0.1, 1e39, 2.5]],
    *[("decimal", v) for v in [D("1.5000"), D("1.5"), D("-0.0000"), D("0E+5"), D("-2.2500")]],
    *[("decimal", v) for v in [D("12345678.1234"), D("123456789.0000"), D("1.23456")]],
    *[("decimal", v) for v in [D("NaN"), D("Infinity"), 7, 1.25, "2.5"]],
    *[("boolean", v) for v in [True, False, 1, 0, "true"]],
]


def _outcome(make: Any) -> tuple[str, Any, str]:
    try:
        model = make()
    except ValidationError as exc:
        return ("refused", (exc.model, exc.field), str(exc))
    return ("made", model.to_dict(), "")


def _by_assignment(field: str, value: Any) -> Any:
    model = Everything(_entry_id="e1")
    setattr(model, field, value)
    return model


@pytest.mark.parametrize(("field", "value"), CASES, ids=lambda v: repr(v)[:30])
def test_making_a_model_with_a_field_is_assigning_it(field: str, value: Any) -> None:
    made = _outcome(lambda: Everything(_entry_id="e1", **{field: value}))
    assert made == _outcome(lambda: _by_assignment(field, value))
    if made[0] == "made":  # the very type and, for a Decimal, the digits and the scale
        kept, expected = made[1][field], _by_assignment(field, value).to_dict()[field]
        assert type(kept) is type(expected)
        if isinstance(kept, D):
            assert kept.as_tuple() == expected.as_tuple()
        if isinstance(kept, float):  # -0.0 is held as 0.0
            assert math.copysign(1.0, kept) == math.copysign(1.0, expected)


def test_a_refused_value_names_the_model_the_field_and_the_value() -> None:
    with pytest.raises(ValidationError, match=r"Bike\.price.*123456789\.1") as caught:
        Bike(brand="Giant", price=D("123456789.1"))
    assert (caught.value.model, caught.value.field) == ("Bike", "price")


def test_fields_not_given_get_defaults_and_computed_ones_only_once_all_are_valid() -> None:
    serial = itertools.count(1)
    with isolated_registry():

        class TicketSchema(BaseSchema):
            entity_name = "ticket"
            fields = [
                Field("number", polytypes.Integer(), default=lambda: next(serial)),
                Field("status", polytypes.VarChar(10), default="open"),
                Field("tags", polytypes.Json(), default=lambda: []),
            ]

        class Ticket(BaseModel):
            schema = TicketSchema

        first, second = Ticket(), Ticket(status="closed")
        assert (first.number, first.status, second.number, second.status) == (
            1,
            "open",
            2,
            "closed",
        )
        assert first.tags == [] and first.tags is not second.tags
        with pytest.raises(ValidationError):
            Ticket(status="x" * 11)
        assert Ticket(number=7).number == 7
        assert Ticket().number == 3  # the refused model made no number


def test_what_the_written_out_init_does_not_cover_goes_the_general_way() -> None:
    owner = Owner(name="Ann")
    bike = Bike("id-1", brand="Giant", owner=owner)  # a relationship given
    assert (bike._entry_id, bike.owner) == ("id-1", owner)
    with pytest.raises(ValidationError, match=r"Bike has no field 'colour' \(fields: brand"):
        Bike(brand="Giant", colour="red")
    with pytest.raises(ValidationError, match="_entry_id must be a string"):
        Bike(_entry_id="", brand="Giant")
    legacy = LegacyBike("Giant", "Trance", D("1.5"), 12)  # fields set before super().__init__
    assert (legacy.price, legacy.weight, legacy.in_stock) == (D("1.50"), 12.0, True)


def test_subclasses_keep_their_own_validation() -> None:
    class Email(polytypes.VarChar):
        def validate(self, value: Any) -> Any:
            value = super().validate(value)
            if "@" not in value:
                raise ValueError("is not an e-mail address")
            return value

    with isolated_registry():

        class ContactSchema(BaseSchema):
            entity_name = "contact"
            fields = [
                Field("email", Email(40)),
                Field("exc", polytypes.VarChar(3)),  # named like the written-out code's
                Field("v", polytypes.VarChar(3)),  # own variables
            ]

        class Contact(BaseModel):
            schema = ContactSchema
            friends = Relationship(f"{__name__}.Contact")

        class Vip(Contact):
            pass

        with pytest.raises(ValidationError, match="is not an e-mail address"):
            Contact(email="ann.example.org")
        with pytest.raises(ValidationError, match="is not an e-mail address"):
            Vip(email="ann.example.org")
        with pytest.raises(ValidationError, match=r"Contact\.exc"):
            Contact(exc="long", v="abc")
        with pytest.raises(ValidationError, match=r"Contact\.v"):
            Contact(exc="ab", v="long")
        vip = Vip(email="ann@example.org", exc="ab", v="abc")
        assert (type(vip), vip.email, vip.exc, vip.v) == (Vip, "ann@example.org", "ab", "abc")


def test_a_model_without_fields_of_its_own_is_made_too() -> None:
    with isolated_registry():

        class MarkerSchema(BaseSchema):
            entity_name = "marker"
            fields = []

        class Marker(BaseModel):
            schema = MarkerSchema

        assert Marker("m1").to_dict() == {"_entry_id": "m1"}
        with pytest.raises(ValidationError, match="Marker has no field 'x'"):
            Marker(x=1)


def test_the_fields_are_the_signature_tools_show() -> None:
    parameters = inspect.signature(Bike).parameters
    assert list(parameters)[:3] == ["_entry_id", "brand", "model"]
    assert parameters["brand"].kind is inspect.Parameter.KEYWORD_ONLY
