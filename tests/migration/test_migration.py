"""Schema snapshots: refuse to start on differences, migrate them keeping data."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from polynom.application import Application
from polynom.errors import MigrationError, SchemaMismatchError
from polynom.model.model import FlexModel
from polynom.schema.field import Field
from polynom.schema.polytypes import Decimal as Dec
from polynom.schema.polytypes import Integer, Text, VarChar
from polynom.schema.schema import BaseSchema
from polynom.session import Session


def make_schema(entity, fields, previous_name=None, namespace="migr"):
    return type(
        f"S_{entity}_{uuid.uuid4().hex[:6]}",
        (BaseSchema,),
        {
            "entity_name": entity,
            "namespace_name": namespace,
            "fields": fields,
            "previous_name": previous_name,
        },
    )


@pytest.fixture
def file_url(tmp_path):
    return f"sqlite:///{tmp_path / 'migrate.db'}"


def start(app_id, url, schema, migrate=False):
    return Application(app_id, url, schemas=[schema], migrate=migrate)


def seed(app_id, url):
    v1 = make_schema(
        "item", [Field("name", VarChar(20)), Field("qty", Integer()), Field("old", Text())]
    )
    with start(app_id, url, v1) as app, Session(app) as s:
        model = FlexModel.from_schema(v1)
        s.add_all([model(name="a", qty=1, old="x"), model(name="b", qty=None, old="y")])
        s.commit()
    return v1


def test_unchanged_schema_starts(file_url):
    app_id = str(uuid.uuid4())
    v1 = seed(app_id, file_url)
    with start(app_id, file_url, v1) as app:
        assert app.check() == []


def test_difference_refuses_to_start_and_lists_it(file_url):
    app_id = str(uuid.uuid4())
    seed(app_id, file_url)
    v2 = make_schema("item", [Field("name", VarChar(20)), Field("qty", Integer())])
    with pytest.raises(SchemaMismatchError) as info, start(app_id, file_url, v2):
        pass
    assert info.value.differences == ["migr.item: field old dropped (its data is deleted)"]
    assert "migrate=True" in str(info.value)


def test_migrate_applies_renames_adds_drops_and_changes_keeping_data(file_url):
    app_id = str(uuid.uuid4())
    seed(app_id, file_url)
    v2 = make_schema(
        "article",
        [
            Field("title", VarChar(40), previous_name="name"),  # rename + widen
            Field("qty", Integer(), nullable=False, default=0),  # becomes required
            Field("price", Dec(8, 2), default=Decimal("1.50")),  # added with default
        ],
        previous_name="item",
    )
    with start(app_id, file_url, v2, migrate=True) as app, Session(app) as s:
        model = FlexModel.from_schema(v2)
        rows = {m.title: (m.qty, m.price) for m in model.query(s).all()}
        assert rows == {"a": (1, Decimal("1.50")), "b": (0, Decimal("1.50"))}
        s.add(model(title="x" * 40))
        s.commit()
    with start(app_id, file_url, v2) as app:  # the snapshot was updated
        assert app.check() == []


def test_migration_that_would_lose_meaning_is_refused(file_url):
    app_id = str(uuid.uuid4())
    seed(app_id, file_url)
    v2 = make_schema(
        "item",
        [Field("name", VarChar(20)), Field("qty", Integer(), nullable=False), Field("old", Text())],
    )
    with (
        pytest.raises(MigrationError, match="1 entries have no value"),
        start(app_id, file_url, v2, migrate=True),
    ):
        pass
    v1_again = make_schema(
        "item", [Field("name", VarChar(20)), Field("qty", Integer()), Field("old", Text())]
    )
    with start(app_id, file_url, v1_again) as app, Session(app) as s:  # nothing was changed
        assert FlexModel.from_schema(v1_again).query(s).count() == 2
