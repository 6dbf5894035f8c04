"""A PolyNOM 0.3.2 program (``polypheny-polynom==0.3.2``, run from its own virtualenv by
``test_adoption.py``: both distributions install a package called ``polynom``).

    python polynom03_shop.py write PORT DUMPFILE   # a shop with history, then app.dump()
    python polynom03_shop.py read PORT             # start on the database, print what is in it
    python polynom03_shop.py load PORT DUMPFILE    # app.load() a dump, print what is in it

It prints one JSON document on its last line. ``NO_FK=1`` leaves the foreign key out: PolyNOM's
``load`` drops entities parents first, which the Prism stand-in refuses while a table is
still referenced (Polypheny-DB's ``DdlManagerImpl.dropTable`` has no such check).
"""

# ruff: noqa
import datetime
import decimal
import enum
import json
import os
import sys

from polynom.application import Application
from polynom.model.model import BaseModel
from polynom.model.model_registry import polynom_model
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
from polynom.schema.schema_registry import polynom_schema
from polynom.session import Session

APP = "0c0ffee0-0000-4000-8000-00000000c0de"
NO_FK = bool(os.environ.get("NO_FK"))


class Kind(enum.Enum):
    ROAD = "road"
    GRAVEL = "gravel"


@polynom_schema
class OwnerSchema(BaseSchema):
    entity_name = "Owner"
    namespace_name = "adopt"
    fields = [
        Field("name", VarChar(40), nullable=False, unique=True),
        Field("bio", Text()),
    ]


@polynom_model
class Owner(BaseModel):
    schema = OwnerSchema()

    def __init__(self, name, bio=None, _entry_id=None):
        super().__init__(_entry_id)
        self.name = name
        self.bio = bio


@polynom_schema
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
    ] + ([] if NO_FK else [ForeignKeyField("owner_id", OwnerSchema)])


@polynom_model
class Bike(BaseModel):
    schema = BikeSchema()

    def __init__(
        self,
        brand,
        wheels=2,
        serial=None,
        weight=None,
        ratio=None,
        price=None,
        electric=None,
        bought=None,
        opens=None,
        serviced=None,
        specs=None,
        kind=None,
        photo=None,
        owner_id=None,
        _entry_id=None,
    ):
        super().__init__(_entry_id)
        self.brand = brand
        self.wheels = wheels
        self.serial = serial
        self.weight = weight
        self.ratio = ratio
        self.price = price
        self.electric = electric
        self.bought = bought
        self.opens = opens
        self.serviced = serviced
        self.specs = specs
        self.kind = kind
        self.photo = photo
        if not NO_FK:
            self.owner_id = owner_id


def _plain(value):
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, enum.Enum):
        return value.name
    return value


def _contents(app):
    with Session(app) as s:
        owners = {o._entry_id: {"name": o.name, "bio": o.bio} for o in Owner.query(s).all()}
        bikes = {
            b._entry_id: {
                f._python_field_name: _plain(getattr(b, f._python_field_name))
                for f in BikeSchema.fields
            }
            for b in Bike.query(s).all()
        }
    return {"owners": owners, "bikes": bikes}


def write(app, dump_file):
    with Session(app, log_user="alice") as s:
        ada = Owner("Ada", "line one\nline two")
        s.add(ada)
        trek = Bike(
            "Trek",
            2,
            1234567890123,
            8.25,
            2.5,
            decimal.Decimal("999.50"),
            True,
            datetime.date(2024, 1, 2),
            datetime.time(7, 30, 0),
            datetime.datetime(2024, 1, 2, 3, 4, 5),
            {"gears": 11, "note": "it's"},
            Kind.ROAD,
            b"\x00\x01bin'",
            ada._entry_id,
        )
        brompton = Bike(
            "Brompton",
            2,
            None,
            11.0,
            None,
            decimal.Decimal("1500.00"),
            False,
            owner_id=ada._entry_id,
        )
        gone = Bike("Gone", owner_id=ada._entry_id)
        s.add_all([trek, brompton, gone])
        s.commit()
    with Session(app, log_user="bob") as s:
        bike = Bike.query(s).filter_by(brand="Trek").first()
        bike.price = decimal.Decimal("899.00")
        bike.kind = Kind.GRAVEL
        s.commit()
    with Session(app, log_user="bob") as s:
        s.delete(Bike.query(s).filter_by(brand="Gone").first())  # PolyNOM logs no deletes
        s.commit()
    app.dump(dump_file)
    return {"trek": trek._entry_id, "brompton": brompton._entry_id, "ada": ada._entry_id}


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    with Application(APP, ("127.0.0.1", port)) as app:
        result = {}
        if mode == "write":
            result["ids"] = write(app, sys.argv[3])
        elif mode == "load":
            app.load(sys.argv[3])
        result.update(_contents(app))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
