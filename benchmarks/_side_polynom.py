"""The polynom side of ``bench_mapper.py``: the mapper on its embedded store (a file).

The store sets WAL, ``foreign_keys=ON`` and leaves ``synchronous`` at SQLite's FULL on every
connection (``polynom/stores/sqlite/``); the benchmark checks that on the open
connections. polynom has no way to declare an index, so the index on ``bike.owner_id``
that every other side declares is added here with plain ``sqlite3`` -- the same physical
schema on every side (without it each lazy load scans the table). The names come from
``polynom``'s top level, so ``compare.py`` can run this against a tree whose modules moved.
"""

from __future__ import annotations

import sqlite3
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from _mapper_data import PAGE_SIZE, BikeRow, cents, new_bike

from polynom import (
    Application,
    BaseModel,
    BaseSchema,
    Field,
    ForeignKeyField,
    Relationship,
    Session,
    joinedload,
    polynom_model,
)
from polynom.schema.polytypes import Boolean, Double, Integer, VarChar
from polynom.schema.polytypes import Decimal as Dec


class OwnerSchema(BaseSchema):
    entity_name = "owner"
    namespace_name = "bench"
    fields = [Field("name", VarChar(40), nullable=False)]


class BikeSchema(BaseSchema):
    entity_name = "bike"
    namespace_name = "bench"
    fields = [
        Field("brand", VarChar(30), nullable=False),
        Field("model", VarChar(50)),
        Field("price", Dec(10, 2)),
        Field("weight", Double()),
        Field("in_stock", Boolean()),
        Field("year", Integer()),
        ForeignKeyField("owner_id", OwnerSchema),
    ]


@polynom_model
class Owner(BaseModel):
    schema = OwnerSchema
    bikes = Relationship(f"{__name__}.Bike", back_populates="owner")


@polynom_model
class Bike(BaseModel):
    schema = BikeSchema
    owner = Relationship(Owner, back_populates="bikes")


_DELETE = 'DELETE FROM "bench"."bike"'
_IN_CHUNK = 500


class PolynomSide:
    name = "polynom"

    def open(self, directory: str) -> None:
        path = Path(directory) / "polynom.db"
        self.app = Application(
            str(uuid.uuid4()), f"sqlite:///{path}", schemas=[OwnerSchema, BikeSchema]
        )
        self.app.__enter__()
        with sqlite3.connect(path) as raw:  # the index no polynom API can declare
            raw.execute('CREATE INDEX "bench.bike_owner_id" ON "bench.bike" ("owner_id")')
        raw.close()

    def close(self) -> None:
        self.app.__exit__(None, None, None)

    def add_owners(self, names: list[str]) -> list[str]:
        with Session(self.app) as s:
            owners = [Owner(name=n) for n in names]
            s.add_all(owners)
            s.commit()
        return [o._entry_id for o in owners]

    def clear_bikes(self) -> None:
        with Session(self.app) as s:
            s.execute(_DELETE)
            s.commit()

    def delete_bikes(self, ids: list[str]) -> None:
        with Session(self.app) as s:
            for at in range(0, len(ids), _IN_CHUNK):
                chunk = ids[at : at + _IN_CHUNK]
                marks = ", ".join("?" * len(chunk))
                s.execute(f'{_DELETE} WHERE "_entry_id" IN ({marks})', chunk)
            s.commit()

    # -- workloads -----------------------------------------------------------------------

    def insert(self, rows: list[BikeRow]) -> list[str]:
        with Session(self.app) as s:
            bikes = [new_bike(Bike, r) for r in rows]
            s.add_all(bikes)
            s.commit()
        return [b._entry_id for b in bikes]

    def get_each(self, ids: list[str]) -> int:
        with Session(self.app) as s:
            query = Bike.query(s)
            return sum(query.get(i) is not None for i in ids)

    def filters(self, bands: list[tuple[Decimal, Decimal]]) -> int:
        seen = 0
        for low, high in bands:
            with Session(self.app) as s:
                seen += len(Bike.query(s).filter(Bike.price >= low, Bike.price < high).all())
        return seen

    def load_all(self) -> Any:
        s = Session(self.app).__enter__()
        return s, Bike.query(s).all()

    def update(self, loaded: Any) -> int:
        s, bikes = loaded
        for bike in bikes:
            bike.weight = bike.weight + 1
        s.commit()
        return len(bikes)

    def release(self, loaded: Any) -> None:
        loaded[0].__exit__(None, None, None)

    def lazy(self) -> int:
        with Session(self.app) as s:
            return sum(len(owner.bikes) for owner in Owner.query(s).all())

    def eager(self) -> int:
        with Session(self.app) as s:
            owners = Owner.query(s).options(joinedload(Owner.bikes)).all()
            return sum(len(owner.bikes) for owner in owners)

    def count(self, lows: list[Decimal]) -> int:
        with Session(self.app) as s:
            return sum(Bike.query(s).filter(Bike.price >= low).count() for low in lows)

    def exists(self, brands: list[str]) -> int:
        with Session(self.app) as s:
            return sum(Bike.query(s).filter(Bike.brand == b).exists() for b in brands)

    def page_by_price(self, offsets: list[int]) -> int:
        with Session(self.app) as s:
            query = Bike.query(s).order_by("price").limit(PAGE_SIZE)
            return sum(cents(b.price) for at in offsets for b in query.offset(at).all())

    def page_by_model(self, offsets: list[int]) -> int:
        with Session(self.app) as s:
            query = Bike.query(s).order_by("model").limit(PAGE_SIZE)
            return sum(int(b.model[6:]) for at in offsets for b in query.offset(at).all())

    def transactions(self, rows: list[BikeRow]) -> list[str]:
        ids = []
        for r in rows:
            with Session(self.app) as s:
                bike = new_bike(Bike, r)
                s.add(bike)
                s.commit()
            ids.append(bike._entry_id)
        return ids
