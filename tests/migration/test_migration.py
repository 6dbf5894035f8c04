"""Schema snapshots: refuse to start on differences, migrate them keeping data."""

from __future__ import annotations

import datetime
import struct
import uuid
from decimal import Decimal

import pytest

from polynom.application import Application
from polynom.errors import MigrationError, SchemaMismatchError, ValidationError
from polynom.model.model import FlexModel
from polynom.schema.field import Field
from polynom.schema.polytypes import BigInt, Double, Integer, Real, Text, Timestamp, VarChar
from polynom.schema.polytypes import Decimal as Dec
from polynom.schema.schema import BaseSchema
from polynom.session import Session


def _dt(*parts: int) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=datetime.UTC)


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
def file_url(store_url):
    """A store that outlives one application: a file, the stand-in (as a default Polypheny,
    and with its enforcement on), a real Polypheny."""
    if store_url == "sqlite://":
        pytest.skip("a store in memory does not outlive its application")
    return store_url


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


def test_a_required_field_is_added_as_polypheny_takes_it(file_url):
    """Polypheny refuses ADD COLUMN ... NOT NULL without a default, even on an empty entity
    (dbms/.../ddl/DdlManagerImpl.java, createColumn), and a TEXT default when it adds a
    column (plugins/jdbc-adapter-framework/.../stores/AbstractJdbcStore.java): the field is
    added nullable, filled, given its default, then made required."""
    app_id = str(uuid.uuid4())
    seed(app_id, file_url)
    v2 = make_schema(
        "item",
        [
            Field("name", VarChar(20)),
            Field("qty", Integer()),
            Field("old", Text()),
            Field("note", Text(), nullable=False, default="-"),
        ],
    )
    with start(app_id, file_url, v2, migrate=True) as app, Session(app) as s:
        model = FlexModel.from_schema(v2)
        assert sorted(m.note for m in model.query(s).all()) == ["-", "-"]
        s.add(model(name="c", note="set"))
        s.commit()
    with (
        pytest.raises(MigrationError, match="the new required field z needs a default"),
        start(app_id, file_url, v2_with(v2, Field("z", Integer(), nullable=False)), migrate=True),
    ):
        pass
    other = str(uuid.uuid4())
    empty = make_schema("empty", [Field("x", Integer())])
    with start(other, file_url, empty):
        pass
    required = make_schema("empty", [Field("x", Integer()), Field("y", Integer(), nullable=False)])
    with start(other, file_url, required, migrate=True) as app, Session(app) as s:
        assert FlexModel.from_schema(required).query(s).count() == 0
        with pytest.raises(ValidationError, match="required"):
            s.add(FlexModel.from_schema(required)(x=1))
            s.flush()


def v2_with(schema, *extra):
    return make_schema(schema.entity_name, [*schema.fields, *extra])


def test_a_failed_step_is_undone_and_nothing_changed(file_url):
    """A migration runs as steps, each undone when a later one fails (Polypheny commits
    every DDL statement: core/.../processing/Processor.java); the schema, the data and the
    snapshot are as before, and the error names the step."""
    app_id = str(uuid.uuid4())
    v1 = seed(app_id, file_url)
    with start(app_id, file_url, v1) as app:  # a column someone added by hand
        app.execute_ddl(['ALTER TABLE "migr"."item" ADD COLUMN "title" VARCHAR(5)'])
    v2 = make_schema(
        "article",
        [Field("title", VarChar(20), previous_name="name"), Field("qty", Integer())],
        previous_name="item",
    )
    with pytest.raises(MigrationError) as info, start(app_id, file_url, v2, migrate=True):
        pass
    message = str(info.value)
    assert 'step 2 of 3 failed (ALTER TABLE "migr"."article" RENAME COLUMN "name" TO "title")' in (
        message
    )
    assert "the schema and the data are as they were" in message
    with start(app_id, file_url, v1) as app, Session(app) as s:  # the old snapshot, the old table
        assert app.check() == []
        rows = sorted((m.name, m.qty, m.old) for m in FlexModel.from_schema(v1).query(s).all())
        assert rows == [("a", 1, "x"), ("b", None, "y")]


@pytest.mark.parametrize(
    ("before", "after", "stored", "converted", "later"),
    [
        (Dec(10, 2), Dec(10, 1), Decimal("1.25"), Decimal("1.2"), Decimal("7.5")),
        (
            Timestamp(3),
            Timestamp(0),
            _dt(2024, 5, 1, 12, 0, 0, 987000),
            _dt(2024, 5, 1, 12, 0, 0),
            _dt(2025, 1, 1),
        ),
        (Double(), Real(), 0.1, struct.unpack("f", struct.pack("f", 0.1))[0], 0.5),
        (VarChar(50), VarChar(3), "Moots", "Moo", "Trk"),
    ],
    ids=["decimal-scale", "timestamp-precision", "double-to-real", "varchar-length"],
)
def test_a_narrowing_type_change_is_refused_unless_asked_for(
    file_url, before, after, stored, converted, later
):
    """Issue 10: Decimal(10,2) -> Decimal(10,1) rounded 1.25 silently; Timestamp(3) ->
    Timestamp(0) and Double -> Real kept the old digits while the model read others, so
    every later update of the field conflicted. Now: refused, naming the field and a value;
    with convert=True converted, and the store holds what the model reads."""
    app_id = str(uuid.uuid4())
    v1 = make_schema("item", [Field("v", before)])
    with start(app_id, file_url, v1) as app, Session(app) as s:
        s.add(FlexModel.from_schema(v1)(v=stored))
        s.commit()
    v2 = make_schema("item", [Field("v", after)])
    with (
        pytest.raises(MigrationError, match=r"migr\.item: field v: changing the type would change"),
        start(app_id, file_url, v2, migrate=True),
    ):
        pass
    with start(app_id, file_url, v1) as app, Session(app) as s:  # refused before any change
        assert [m.v for m in FlexModel.from_schema(v1).query(s).all()] == [before.validate(stored)]
    v3 = make_schema("item", [Field("v", after, convert=True)])
    with start(app_id, file_url, v3, migrate=True) as app:
        with Session(app) as s:
            (item,) = FlexModel.from_schema(v3).query(s).all()
            assert item.v == converted
            item.v = after.validate(converted)  # no change: nothing to write
            s.commit()
        with Session(app) as s:
            (item,) = FlexModel.from_schema(v3).query(s).all()
            item.v = later
            s.commit()  # the stored value is the one the model read: no ConflictError
        with Session(app) as s:
            (item,) = FlexModel.from_schema(v3).query(s).all()
            assert item.v == after.validate(later)


def test_a_conversion_that_cannot_fit_is_refused_even_when_asked_for(file_url):
    app_id = str(uuid.uuid4())
    v1 = make_schema("item", [Field("n", BigInt())])
    with start(app_id, file_url, v1) as app, Session(app) as s:
        s.add(FlexModel.from_schema(v1)(n=2**40))
        s.commit()
    v2 = make_schema("item", [Field("n", Integer(), convert=True)])
    with (
        pytest.raises(MigrationError, match=r"1099511627776 does not fit INTEGER"),
        start(app_id, file_url, v2, migrate=True),
    ):
        pass
    halve = make_schema("item", [Field("n", Integer(), convert=lambda v: v // 1024)])
    with start(app_id, file_url, halve, migrate=True) as app, Session(app) as s:
        assert [m.n for m in FlexModel.from_schema(halve).query(s).all()] == [2**30]


def test_a_widening_type_change_needs_no_word(file_url):
    app_id = str(uuid.uuid4())
    v1 = make_schema("item", [Field("p", Dec(6, 2)), Field("s", VarChar(5))])
    with start(app_id, file_url, v1) as app, Session(app) as s:
        s.add(FlexModel.from_schema(v1)(p=Decimal("1234.56"), s="abcde"))
        s.commit()
    v2 = make_schema("item", [Field("p", Dec(10, 3)), Field("s", VarChar(50))])
    with start(app_id, file_url, v2, migrate=True) as app, Session(app) as s:
        (item,) = FlexModel.from_schema(v2).query(s).all()
        assert (item.p, item.s) == (Decimal("1234.560"), "abcde")
        item.p = Decimal("1.5")
        s.commit()
