"""PolyNOM 0.3's data in the shapes it leaves them -- its 7-column change_log, its snapshot,
its dump text -- built here by hand, so these run without PolyNOM installed
(``test_adoption.py`` does the same with PolyNOM 0.3.2 itself)."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid

import pytest

from polynom import config
from polynom.application import Application
from polynom.changelog import history, upgrade_statements
from polynom.errors import SchemaMismatchError
from polynom.schema.internal import SchemaSnapshotSchema
from polynom.schema.polynom03_snapshot import Polynom03ChangeLogSchema, polynom03_snapshot
from polynom.session import Session
from polynom.sql import ddl, dml
from polynom.sql.names import schema_entity
from polynom.stores import open_store
from tests.models import Bike, BikeSchema, Owner, OwnerSchema, PartSchema

SCHEMAS = [OwnerSchema, BikeSchema, PartSchema]


def polynom03_store(url: str, app_uuid: str, snapshot: dict, bike_id: str) -> None:
    """What PolyNOM 0.3 leaves: its tables, its 7-column change_log with one row, its
    snapshot."""
    store = open_store(url)
    try:
        store.execute_ddl(
            [ddl.create_namespace(config.get(config.INTERNAL_NAMESPACE))]
            + [ddl.create_table(s) for s in (SchemaSnapshotSchema, Polynom03ChangeLogSchema)]
            + [ddl.create_namespace(ns) for ns in ("people", "shop")]
            + [ddl.create_table(s) for s in SCHEMAS]
        )
        with store.connection() as conn:
            conn.execute(
                dml.insert_rows(schema_entity(BikeSchema), ["_entry_id", "brand", "price"], 1),
                [bike_id, "Trek", decimal.Decimal("999.50")],
            )
            conn.execute(
                dml.insert_rows(schema_entity(SchemaSnapshotSchema), ["_entry_id", "snapshot"], 1),
                [app_uuid, json.dumps(snapshot)],
            )
            columns = [f.db_field_name for f in Polynom03ChangeLogSchema.all_fields()]
            changes = {"brand": [None, "Trek"], "price": [None, 999.5]}  # PolyNOM: a float
            conn.execute(
                dml.insert_rows(schema_entity(Polynom03ChangeLogSchema), columns, 1),
                [
                    str(uuid.uuid4()), app_uuid, bike_id, "shop", "bike", "alice",
                    dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC), json.dumps(changes),
                ],
            )  # fmt: skip
            conn.commit()
    finally:
        store.close()


@pytest.fixture
def shared_url(store_url):
    """A store two openings of it share (a file, a server): not a fresh in-memory one."""
    if store_url == "sqlite://":
        pytest.skip("each opening of sqlite:// is a new, empty store")
    return store_url


@pytest.fixture
def adopted(shared_url):
    store_url = shared_url
    app_uuid, bike_id = str(uuid.uuid4()), str(uuid.uuid4())
    polynom03_store(store_url, app_uuid, polynom03_snapshot(SCHEMAS), bike_id)
    return store_url, app_uuid, bike_id


def test_polynoms_change_log_is_upgraded_in_place_and_its_rows_read(adopted):
    url, app_uuid, bike_id = adopted
    with Application(app_uuid, url, schemas=SCHEMAS) as app:
        with app.store.connection() as conn:
            assert upgrade_statements(conn) == []  # our two columns are there now
        with Session(app, log_user="bob") as s:
            bike = s.get(Bike, bike_id)
            bike.price = decimal.Decimal("899.00")
            s.commit()
        with Session(app) as s:
            old, new = history(s, bike_id)
    assert (old.user, old.change_type) == ("alice", None)
    assert old.changes == {"brand": (None, "Trek"), "price": (None, decimal.Decimal("999.50"))}
    assert old.date == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert (new.user, new.change_type) == ("bob", "update")
    assert new.changes == {"price": (decimal.Decimal("999.50"), decimal.Decimal("899.00"))}


def test_polynoms_snapshot_is_compared_for_real(shared_url):
    store_url, app_uuid = shared_url, str(uuid.uuid4())
    snapshot = polynom03_snapshot(SCHEMAS)
    bike = next(e for e in snapshot["schemas"] if e["entity_name"] == "bike")
    brand = next(f for f in bike["fields"] if f["name"] == "brand")
    brand["nullable"] = True  # PolyNOM's table allowed NULL brands; our model does not
    bike["fields"] = [f for f in bike["fields"] if f["name"] != "weight"]  # added since
    polynom03_store(store_url, app_uuid, snapshot, str(uuid.uuid4()))
    with (
        pytest.raises(SchemaMismatchError) as caught,
        Application(app_uuid, store_url, schemas=SCHEMAS),
    ):
        pass
    assert sorted(caught.value.differences) == [
        "shop.bike: field brand became required (NOT NULL)",
        "shop.bike: field weight added (DOUBLE)",
    ]


def test_our_snapshot_keeps_polynoms_form_beside_ours(store_url):
    with Application(str(uuid.uuid4()), store_url, schemas=SCHEMAS) as app, Session(app) as s:
        from polynom.migration import read_snapshot

        stored = read_snapshot(s, app.app_uuid)
    expected = polynom03_snapshot(SCHEMAS)["schemas"]
    assert stored["schemas"] == expected  # what PolyNOM 0.3 compares: no difference for it
    assert set(stored["entities"]) == {s.qualified_name() for s in SCHEMAS}


# -- PolyNOM's dump text, as its writer leaves it ---------------------------------------------

DUMP = """/*
@format_version: 1
@app_uuid: {app}
@snapshot: {snapshot}
*/
/*sql@None*/ CREATE RELATIONAL NAMESPACE IF NOT EXISTS "people"
/*sql@people*/ CREATE TABLE IF NOT EXISTS "people"."owner" ("_entry_id" VARCHAR(36) NOT NULL, "name" VARCHAR(40) NOT NULL, PRIMARY KEY (_entry_id), UNIQUE ("_entry_id"));
/*sql@people*/ INSERT INTO "people"."owner" (_entry_id, name, email) VALUES ('{owner}', 'O''Hara', NULL)
/*sql@None*/ CREATE RELATIONAL NAMESPACE IF NOT EXISTS "shop"
/*sql@shop*/ INSERT INTO "shop"."bike" (_entry_id, brand, model, price, weight, in_stock, owner_id) VALUES ('{bike}', 'Tre, k', 'line one
line two\r, still', 999.50, 2.0, TRUE, '{owner}')
/*sql@None*/ CREATE RELATIONAL NAMESPACE IF NOT EXISTS "polynom_internal"
/*sql@polynom_internal*/ INSERT INTO "polynom_internal"."change_log" (_entry_id, app_uuid, modified_entry_id, modified_entity_namespace, modified_entity_name, modified_by, date_of_change, changes) VALUES ('{log}', '{app}', '{bike}', 'shop', 'bike', 'alice', 2025-12-31 23:59:58+00:00, '{{"brand": [null, "Tre, k"], "price": [null, 999.5]}}')
"""  # noqa: E501


def test_polynoms_dump_text_is_read_as_its_writer_meant_it(app, tmp_path):
    ids = {"owner": str(uuid.uuid4()), "bike": str(uuid.uuid4()), "log": str(uuid.uuid4())}
    snapshot = json.dumps(polynom03_snapshot(app.schemas))
    path = tmp_path / "polynom.sql"
    path.write_bytes(
        DUMP.format(app=app.app_uuid, snapshot=snapshot, **ids).encode("utf-8")  # \r kept
    )
    assert app.load(path) == 3
    with Session(app) as s:
        bike = s.get(Bike, ids["bike"])
        assert bike.brand == "Tre, k" and bike.model == "line one\nline two\r, still"
        assert bike.price == decimal.Decimal("999.50") and bike.in_stock is True
        assert s.get(Owner, ids["owner"]).name == "O'Hara"
        (record,) = history(s, ids["bike"])
    assert record.date == dt.datetime(2025, 12, 31, 23, 59, 58, tzinfo=dt.UTC)
    assert record.changes["price"] == (None, decimal.Decimal("999.50"))


def test_typed_literals_are_stored_as_bound_values_are(app):
    """Polypheny's DATE/TIME/TIMESTAMP literals in DML (the ones our PolyNOM dumps carry)."""
    from tests.models import Everything, EverythingSchema

    entry = str(uuid.uuid4())
    with Session(app) as s:
        s.execute(
            f"INSERT INTO {schema_entity(EverythingSchema)} "
            '("_entry_id", "date", "time", "timestamp") VALUES '
            f"(?, DATE '2023-05-06', TIME '08:00:00', TIMESTAMP '2024-03-04 05:06:07')",
            [entry],
        )
        s.commit()
    with Session(app) as s:
        loaded = s.get(Everything, entry)
        assert loaded.date == dt.date(2023, 5, 6) and loaded.time == dt.time(8, 0)
        assert loaded.timestamp == dt.datetime(2024, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
        stamp = loaded.timestamp
        assert Everything.query(s).filter(Everything.timestamp == stamp).count() == 1
