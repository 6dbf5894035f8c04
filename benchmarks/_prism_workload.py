"""One client of ``bench_polynom03.py``: the same bikes, written in one mapper's idiom.

    python _prism_workload.py IDIOM PORT ROWS

``IDIOM`` is ``ours`` (polynom-dal, run by our interpreter) or one of PolyNOM 0.3's two ways
to write a model's ``__init__`` (run by the ``.benchvenv`` interpreter, where ``polynom`` is
0.3.2): ``super-first`` calls ``super().__init__()`` before setting the fields, so 0.3's
snapshot is empty and its flush sends one extra UPDATE per inserted model; ``fields-first``
sets them before, so the snapshot already holds them.

Protocol: prints ``started`` once connected; then, for each phase (insert, read, update),
waits for a line on stdin, runs the phase and prints ``NAME WALL CPU`` (seconds of wall
time and of this process's CPU time), so the parent can read the stand-in's counters and
clocks between phases.
"""

# ruff: noqa: E402
import sys
import time
import uuid

idiom, port, rows = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
if idiom not in ("ours", "super-first", "fields-first"):
    sys.exit(f"unknown idiom {idiom!r}")

from polynom.application import Application
from polynom.model.model import BaseModel
from polynom.schema.field import Field
from polynom.schema.polytypes import Double, Integer, VarChar
from polynom.schema.schema import BaseSchema
from polynom.session import Session

FIELDS = [
    Field("brand", VarChar(30), nullable=False),
    Field("model", VarChar(50)),
    Field("weight", Double()),
    Field("year", Integer()),
]

if idiom == "ours":

    class BikeSchema(BaseSchema):
        entity_name = "bike"
        fields = FIELDS

    class Bike(BaseModel):
        schema = BikeSchema

    def make(i: int) -> Bike:
        return Bike(
            brand=f"brand{i % 50}", model=f"model {i}", weight=8.5 + i % 7, year=1990 + i % 30
        )

else:
    from polynom.model.model_registry import polynom_model
    from polynom.schema.schema_registry import polynom_schema

    @polynom_schema
    class BikeSchema(BaseSchema):
        entity_name = "bike"
        fields = FIELDS

    @polynom_model
    class Bike(BaseModel):
        schema = BikeSchema()

        if idiom == "super-first":

            def __init__(self, brand, model, weight, year, _entry_id=None):
                super().__init__(_entry_id)
                self.brand, self.model, self.weight, self.year = brand, model, weight, year

        else:

            def __init__(self, brand, model, weight, year, _entry_id=None):
                self.brand, self.model, self.weight, self.year = brand, model, weight, year
                super().__init__(_entry_id)

    def make(i: int) -> Bike:
        return Bike(f"brand{i % 50}", f"model {i}", 8.5 + i % 7, 1990 + i % 30)


def insert(app: Application) -> None:
    with Session(app) as s:
        s.add_all([make(i) for i in range(rows)])
        s.commit()


def read(app: Application) -> None:
    with Session(app) as s:
        found = len(Bike.query(s).all())
    if found != rows:
        sys.exit(f"read {found} bikes, not {rows}")


def update(app: Application) -> None:
    with Session(app) as s:
        for bike in Bike.query(s).all():
            bike.weight = bike.weight + 1
        s.commit()


with Application(str(uuid.uuid4()), ("127.0.0.1", port)) as app:
    print("started", flush=True)
    for phase in (insert, read, update):
        sys.stdin.readline()
        wall, cpu = time.perf_counter(), time.process_time()
        phase(app)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"{phase.__name__} {wall:.6f} {cpu:.6f}", flush=True)
