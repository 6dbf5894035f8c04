"""Adopting what PolyNOM 0.3.2 itself wrote -- a database and a dump -- and handing it back.

PolyNOM 0.3.2 (its own virtualenv, ``tests/polynom03.py``) runs ``polynom03_shop.py``: a
shop with history (inserts by alice, an update by bob, a delete, which PolyNOM never logs)
written through the Prism stand-in -- kept in memory, or in a SQLite file that our
``Application`` then opens directly. Our ``Application``, with the same declarations, opens
that database without a migration, reads it, changes it, shows the history PolyNOM wrote
(its ``change_log`` upgraded in place), and PolyNOM 0.3.2 still starts on it afterwards.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from polynom.application import Application
from polynom.changelog import ChangeLog, history
from polynom.errors import SchemaMismatchError
from polynom.migration import read_snapshot
from polynom.model.model import BaseModel
from polynom.schema.field import Field, ForeignKeyField
from polynom.schema.polytypes import (
    BigInt,
    Boolean,
    Date,
    Decimal,
    Double,
    File,
    Integer,
    Json,
    PolyEnum,
    Real,
    Text,
    Time,
    Timestamp,
    VarChar,
)
from polynom.schema.schema import BaseSchema
from polynom.session import Session
from polynom.testing import PrismServer, isolated_registry
from tests.polynom03 import require_polynom03, run_polynom03

SHOP = Path(__file__).with_name("polynom03_shop.py")
APP = "0c0ffee0-0000-4000-8000-00000000c0de"


class Kind(enum.Enum):
    ROAD = "road"
    GRAVEL = "gravel"


@contextmanager
def shop_models(fk: bool = True, extra: list[Field] | None = None) -> Iterator[tuple]:
    """Our declarations of polynom03_shop.py's entities, field for field."""
    with isolated_registry():

        class OwnerSchema(BaseSchema):
            entity_name = "Owner"
            namespace_name = "adopt"
            fields = [Field("name", VarChar(40), nullable=False, unique=True), Field("bio", Text())]

        class BikeSchema(BaseSchema):
            entity_name = "bike"
            namespace_name = "adopt"
            fields = [
                Field("brand", VarChar(30), nullable=False),
                Field("wheels", Integer(), default=2),
                Field("serial", BigInt()),
                Field("weight", Double()),
                Field("ratio", Real()),
                Field("price", Decimal(10, 2)),
                Field("electric", Boolean()),
                Field("bought", Date()),
                Field("opens", Time()),
                Field("serviced", Timestamp()),
                Field("specs", Json()),
                Field("kind", PolyEnum(Kind)),
                Field("photo", File()),
                *([ForeignKeyField("owner_id", OwnerSchema)] if fk else []),
                *(extra or []),
            ]

        class Owner(BaseModel):
            schema = OwnerSchema

        class Bike(BaseModel):
            schema = BikeSchema

        yield Owner, Bike


def plain(value: object) -> object:
    """A value as polynom03_shop.py prints it."""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, enum.Enum):
        return value.name
    return value


def contents(app: Application, Owner: type, Bike: type) -> dict:
    with Session(app) as s:
        return {
            "owners": {o._entry_id: {"name": o.name, "bio": o.bio} for o in Owner.query(s).all()},
            "bikes": {
                b._entry_id: {k: plain(v) for k, v in b.to_dict().items() if k != "_entry_id"}
                for b in Bike.query(s).all()
            },
        }


@pytest.fixture(params=["prism", "sqlite-file"])
def written(request, tmp_path):
    """PolyNOM 0.3.2 wrote the shop; yields (our store url, its dump file, what it printed,
    a function running PolyNOM on the database again)."""
    require_polynom03()
    dump_file = tmp_path / "polynom03-dump.sql"
    if request.param == "prism":
        with PrismServer() as server:
            wrote = run_polynom03(SHOP, "write", str(server.port), str(dump_file))
            yield (
                server.url,
                dump_file,
                wrote,
                lambda: run_polynom03(SHOP, "read", str(server.port)),
            )
        return
    db = tmp_path / "shop.db"
    with PrismServer(url=f"sqlite:///{db}") as server:
        wrote = run_polynom03(SHOP, "write", str(server.port), str(dump_file))

    def again() -> dict:
        with PrismServer(url=f"sqlite:///{db}") as server:
            return run_polynom03(SHOP, "read", str(server.port))

    yield f"sqlite:///{db}", dump_file, wrote, again


def test_a_database_polynom_wrote_is_adopted(written):
    url, _, wrote, polynom_again = written
    ids = wrote["ids"]
    with (
        shop_models() as (Owner, Bike),
        Application(APP, url, schemas=[Owner.__mapper__.schema, Bike.__mapper__.schema]) as app,
    ):  # no migrate=True: the snapshot PolyNOM wrote matches, compared for real
        assert contents(app, Owner, Bike) == {"owners": wrote["owners"], "bikes": wrote["bikes"]}
        with Session(app, log_user="carol") as s:
            trek = s.get(Bike, ids["trek"])
            assert trek.price == decimal.Decimal("899.00") and trek.kind is Kind.GRAVEL
            assert trek.serviced == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
            trek.wheels = 3
            s.commit()
        with Session(app) as s:
            records = history(s, ids["trek"])
            logged = ChangeLog.query(s).filter_by(app_uuid=APP).count()
            stored = read_snapshot(s, APP)
    # PolyNOM's rows, kept in the upgraded table and read with PolyNOM's encoding
    assert [(r.user, r.change_type) for r in records] == [
        ("alice", None),
        ("bob", None),
        ("carol", "update"),
    ]
    assert records[0].changes["price"] == (None, decimal.Decimal("999.50"))
    assert records[0].changes["photo"] == (None, b"\x00\x01bin'")
    assert records[0].changes["specs"] == (None, {"gears": 11, "note": "it's"})
    assert records[1].changes["kind"] == (None, Kind.GRAVEL)
    assert records[2].changes == {"wheels": (2, 3)}
    assert logged == 5 + 1  # 4 inserts and 1 update by PolyNOM (no delete), 1 update by us
    assert "entities" in stored and "schemas" in stored  # ours, and PolyNOM's beside it

    # PolyNOM 0.3.2 still starts on the database and sees the change
    after = polynom_again()
    assert after["bikes"][ids["trek"]]["wheels"] == 3
    assert after["owners"] == wrote["owners"]


def test_a_real_difference_from_polynoms_snapshot_is_found(written):
    url, _, _, _ = written
    extra = [Field("colour", VarChar(20))]
    with shop_models(extra=extra) as (Owner, Bike):
        schemas = [Owner.__mapper__.schema, Bike.__mapper__.schema]
        with pytest.raises(SchemaMismatchError) as caught, Application(APP, url, schemas=schemas):
            pass
        assert caught.value.differences == ["adopt.bike: field colour added (VARCHAR(20))"]
        with Application(APP, url, schemas=schemas, migrate=True) as app, Session(app) as s:
            assert all(b.colour is None for b in Bike.query(s).all())


def test_polynoms_dump_is_loaded(written):
    _, dump_file, wrote, _ = written
    with shop_models() as (Owner, Bike):
        schemas = [Owner.__mapper__.schema, Bike.__mapper__.schema]
        with Application(APP, "sqlite://", schemas=schemas) as app:
            loaded = app.load(dump_file)
            assert loaded == 1 + 2 + 5  # an owner, two bikes, five changelog rows
            assert contents(app, Owner, Bike) == {
                "owners": wrote["owners"],  # its bio has a line break: read across lines
                "bikes": wrote["bikes"],
            }
            with Session(app) as s:
                assert [r.user for r in history(s, wrote["ids"]["trek"])] == ["alice", "bob"]


def test_polynom_loads_our_dump(tmp_path):
    require_polynom03()
    with shop_models(fk=False) as (Owner, Bike):
        schemas = [Owner.__mapper__.schema, Bike.__mapper__.schema]
        with Application(APP, "sqlite://", schemas=schemas) as app:
            with Session(app, log_user="carol") as s:
                s.add(Owner(name="Ada", bio="it's me"))
                s.add(
                    Bike(
                        brand="Moots", serial=10**15, weight=7.5, ratio=1.5, price="3200.00",
                        electric=False, bought=dt.date(2023, 5, 6), opens=dt.time(8, 0),
                        serviced=dt.datetime(2024, 3, 4, 5, 6, 7), specs={"k": [1, 2]},
                        kind=Kind.ROAD, photo=b"\x00'x",
                    )
                )  # fmt: skip
                s.commit()
            ours = contents(app, Owner, Bike)
            dump_file = tmp_path / "ours.sql"
            assert app.dump(dump_file, format="polynom03") == 2 + 2
    # PolyNOM's load drops the entities parents first, which the stand-in refuses while a
    # foreign key references them (Polypheny does not): hence the shop without one here.
    with PrismServer() as server:
        theirs = run_polynom03(SHOP, "load", str(server.port), str(dump_file), env={"NO_FK": "1"})
    assert theirs == ours


def test_a_dump_polynom_cannot_read_is_refused_before_it_is_written(tmp_path):
    with shop_models() as (Owner, Bike):
        schemas = [Owner.__mapper__.schema, Bike.__mapper__.schema]
        with Application(str(uuid.uuid4()), "sqlite://", schemas=schemas) as app:
            with Session(app) as s:
                s.add(Owner(name="Ada", bio="line one\nline two"))
                s.commit()
            target = tmp_path / "d.sql"
            with pytest.raises(Exception, match="line break") as caught:
                app.dump(target, format="polynom03")
    assert type(caught.value).__name__ == "DumpError"
    assert not target.exists() and not list(tmp_path.iterdir())  # no half-written file
