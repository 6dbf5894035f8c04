"""``polynom.testing.isolated_registry``: models declared inside do not outlive the block."""

from __future__ import annotations

import uuid

import pytest

from polynom.application import Application
from polynom.model.model import BaseModel, model_for_schema
from polynom.model.model_registry import polynom_model, registered_models, resolve_model
from polynom.schema.field import Field
from polynom.schema.polytypes import VarChar
from polynom.schema.schema import BaseSchema
from polynom.schema.schema_registry import registered_schemas
from polynom.testing import isolated_registry


def declare() -> tuple[type[BaseSchema], type[BaseModel]]:
    class LeakSchema(BaseSchema):
        entity_name = "leak"
        namespace_name = f"iso_{uuid.uuid4().hex[:8]}"
        fields = [Field("name", VarChar(20))]

    @polynom_model
    class Leak(BaseModel):
        schema = LeakSchema

    return LeakSchema, Leak


def state() -> tuple[list[type[BaseSchema]], dict[str, type]]:
    return registered_schemas(), registered_models()


def test_models_declared_inside_are_forgotten() -> None:
    before = state()
    with isolated_registry():
        schema, model = declare()
        assert schema in registered_schemas()
        assert model_for_schema(schema) is model
        assert resolve_model(f"{model.__module__}.{model.__qualname__}", "test") is model
        with Application(str(uuid.uuid4()), "sqlite://") as app:  # manages every schema
            assert schema in app.schemas
    assert state() == before
    assert model_for_schema(schema) is None


def test_empty_starts_like_a_fresh_process_and_restores_after() -> None:
    with isolated_registry():  # blocks nest: the outer one keeps this test's models in
        outer_schema, _ = declare()
        before = state()
        with isolated_registry(empty=True) as clear:
            assert state() == ([], {})
            schema, _ = declare()
            assert registered_schemas() == [schema]
            clear()
            assert state() == ([], {})
        assert state() == before
        assert outer_schema in registered_schemas()


def test_it_restores_after_an_exception_too() -> None:
    before = state()
    with pytest.raises(RuntimeError, match="boom"), isolated_registry():
        declare()
        raise RuntimeError("boom")
    assert state() == before
