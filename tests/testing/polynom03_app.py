"""A small PolyNOM 0.3 program (``polypheny-polynom==0.3.2``): schema + model,
add/commit/query/update/delete, run against the Prism stand-in by
``test_polynom03_compat.py`` in a separate virtualenv (both distributions install a package
called ``polynom``). Usage: ``python polynom03_app.py PORT``."""

# ruff: noqa
import sys, datetime, decimal
from polynom.application import Application
from polynom.session import Session
from polynom.model.model import BaseModel
from polynom.model.model_registry import polynom_model
from polynom.schema.schema_registry import polynom_schema
from polynom.schema.schema import BaseSchema
from polynom.schema.field import Field, ForeignKeyField
from polynom.schema.polytypes import VarChar, Integer, Boolean, Decimal, Timestamp, Date, Text

port = int(sys.argv[1])


@polynom_schema
class OwnerSchema(BaseSchema):
    entity_name = "owner"
    fields = [Field("name", VarChar(50), nullable=False, unique=True)]


@polynom_model
class Owner(BaseModel):
    schema = OwnerSchema()

    def __init__(self, name, _entry_id=None):
        super().__init__(_entry_id)
        self.name = name


@polynom_schema
class BikeSchema(BaseSchema):
    entity_name = "bike"
    fields = [
        Field("brand", VarChar(50), nullable=False),
        Field("wheels", Integer(), default=2),
        Field("electric", Boolean()),
        Field("price", Decimal(10, 2)),
        Field("bought", Date()),
        Field("notes", Text()),
        ForeignKeyField("owner_id", OwnerSchema),
    ]


@polynom_model
class Bike(BaseModel):
    schema = BikeSchema()

    def __init__(
        self,
        brand,
        wheels=2,
        electric=None,
        price=None,
        bought=None,
        notes=None,
        owner_id=None,
        _entry_id=None,
    ):
        super().__init__(_entry_id)
        self.brand = brand
        self.wheels = wheels
        self.electric = electric
        self.price = price
        self.bought = bought
        self.notes = notes
        self.owner_id = owner_id


APP = "a1b2c3d4-0000-4000-8000-000000000001"
with Application(APP, ("127.0.0.1", port)) as app:
    with Session(app, log_user="tester") as s:
        o = Owner("alice")
        s.add(o)
        s.add(
            Bike(
                "Trek",
                2,
                True,
                decimal.Decimal("999.50"),
                datetime.date(2024, 1, 2),
                "it's red",
                o._entry_id,
            )
        )
        s.add(Bike("Brompton", 2, False, decimal.Decimal("1500.00"), None, None, o._entry_id))
        s.commit()
    with Session(app, log_user="tester") as s:
        bikes = Bike.query(s).filter_by(brand="Trek").all()
        print("query:", bikes)
        bikes[0].wheels = 3
        # a filter tuple names its field: PolyNOM 0.3 writes `Bike.wheels > 1` as the field
        # object's repr in double quotes, a column Polypheny does not have (SQLite took it
        # for a string, so this used to pass on broken SQL)
        print("count:", Bike.query(s).filter((">", "wheels", 1)).count())
        print("first:", Bike.query(s).order_by("brand").first())
        print("exists:", Bike.query(s).filter_by(brand="Nope").exists())
        print("get:", Bike.query(s).get(bikes[0]._entry_id))
        print("join:", Bike.query(s).join(Owner).limit(5).all())
        s.commit()
    with Session(app) as s:
        b = Bike.query(s).filter_by(brand="Brompton").first()
        s.delete(b)
        s.commit()
    with Session(app) as s:
        print("left:", Bike.query(s).all())
print("done")
