"""A model built from a store row holds what each polytype's ``from_db`` reads, whichever
form the store returned the value in: the usual form is converted written out
(``PolyType.store_form``), any other through ``from_db``."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from polynom import BaseModel, BaseSchema, Field
from polynom.errors import StoredValueError
from polynom.model.state import state_of
from polynom.schema import polytypes
from polynom.testing import isolated_registry


@pytest.fixture(scope="module")
def Reading():
    with isolated_registry():

        class ReadingSchema(BaseSchema):
            entity_name = "reading"
            fields = [
                Field("cents", polytypes.Decimal(10, 2)),
                Field("wide", polytypes.Decimal(30, 10)),
                Field("flag", polytypes.Boolean()),
                Field("count", polytypes.Integer()),
                Field("label", polytypes.VarChar(20)),
            ]

        class Reading(BaseModel):
            schema = ReadingSchema

        yield Reading


def _row(cents=None, wide=None, flag=None, count=None, label=None):
    return ("an-id", cents, wide, flag, count, label)


@pytest.mark.parametrize(
    "stored",
    [0.0, -0.0, 0.1, 0.29, 1.005, 395.95, -12.34, 99_999_999.99, -99_999_999.99, 7, "12.5"],
)
def test_a_short_decimal_reads_as_from_db_reads_it_exactly(Reading, stored):
    cents = Reading.__mapper__.attributes["cents"].polytype
    model = Reading.__mapper__.build(_row(cents=stored), None)
    assert model.cents == cents.from_db(stored)
    assert type(model.cents) is Decimal and model.cents.as_tuple().exponent == -2
    assert model.cents == Decimal(repr(stored) if isinstance(stored, float) else stored).quantize(
        Decimal("0.01")
    )


@pytest.mark.parametrize(
    ("stored", "read"),
    [(0, False), (1, True), (2, True), (True, True), ("false", False), ("1", True)],
)
def test_a_boolean_reads_from_a_number_a_bool_or_a_word(Reading, stored, read):
    model = Reading.__mapper__.build(_row(flag=stored), None)
    assert model.flag is read


def test_values_without_a_store_form_and_nulls_read_through_from_db(Reading):
    model = Reading.__mapper__.build(_row(wide="12345678901234567890.0123456789", count=7), None)
    assert model.wide == Decimal("12345678901234567890.0123456789")
    assert model.count == 7 and model.label is None and model.cents is None
    assert model.flag is None


def test_the_built_model_carries_the_state_it_was_given(Reading):
    marker = object()
    model = Reading.__mapper__.build(_row(), marker)
    assert state_of(model) is marker and model._entry_id == "an-id"


@pytest.mark.parametrize(("field", "stored"), [("cents", math.inf), ("cents", math.nan)])
def test_a_store_form_value_no_field_can_hold_names_model_field_and_value(Reading, field, stored):
    with pytest.raises(StoredValueError) as info:
        Reading.__mapper__.build(_row(**{field: stored}), None)
    assert f"Reading.{field}" in str(info.value) and repr(stored) in str(info.value)
