"""The PolyNOM 0.3 side of bench_polynom03.py; runs in the 0.3 virtualenv (.benchvenv).

Protocol on stdin/stdout: prints ``ready`` after each phase with its wall time, and waits
for a line on stdin before starting the next, so the parent can read the stand-in's
request counter between phases. Usage: ``python _polynom03_workload.py PORT ROWS``.
"""

# ruff: noqa
import sys
import time
import uuid

from polynom.application import Application
from polynom.session import Session
from polynom.model.model import BaseModel
from polynom.model.model_registry import polynom_model
from polynom.schema.schema_registry import polynom_schema
from polynom.schema.schema import BaseSchema
from polynom.schema.field import Field
from polynom.schema.polytypes import VarChar, Integer, Double

port, rows = int(sys.argv[1]), int(sys.argv[2])


@polynom_schema
class BikeSchema(BaseSchema):
    entity_name = "bike"
    fields = [
        Field("brand", VarChar(30), nullable=False),
        Field("model", VarChar(50)),
        Field("weight", Double()),
        Field("year", Integer()),
    ]


@polynom_model
class Bike(BaseModel):
    schema = BikeSchema()

    def __init__(self, brand, model, weight, year, _entry_id=None):
        super().__init__(_entry_id)
        self.brand, self.model, self.weight, self.year = brand, model, weight, year


def phase(name, work):
    sys.stdin.readline()
    start = time.perf_counter()
    work()
    print(f"{name} {time.perf_counter() - start:.6f}", flush=True)


with Application(str(uuid.uuid4()), ("127.0.0.1", port)) as app:
    print("started", flush=True)

    def insert():
        with Session(app) as s:
            for i in range(rows):
                s.add(Bike(f"brand{i % 50}", f"model {i}", 8.5 + i % 7, 1990 + i % 30))
            s.commit()

    def read():
        with Session(app) as s:
            assert len(Bike.query(s).all()) == rows

    def update():
        with Session(app) as s:
            for bike in Bike.query(s).all():
                bike.weight = bike.weight + 1
            s.commit()

    phase("insert", insert)
    phase("read", read)
    phase("update", update)
