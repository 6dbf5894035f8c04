"""The Peewee side of ``bench_mapper.py``: models, ``atomic()`` around every write, and the
idioms its docs teach (``bulk_create`` in batches, ``get_by_id``, backrefs, ``prefetch``).

The database opens with WAL, ``synchronous=FULL`` and ``foreign_keys=ON`` (``pragmas=``).
Peewee has no change tracking of its own beyond ``only_save_dirty``, which the bike model
turns on, so an update writes the changed column only. ``DecimalField(10, 2)`` returns
exact ``Decimal`` values; Peewee binds them as text into a ``DECIMAL`` column, whose
numeric affinity makes SQLite store a REAL -- exact for the 10 digits declared here,
compared natively. Peewee indexes a foreign key by default, as the other sides do by hand.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import peewee as pw
from _mapper_data import PAGE_SIZE, BikeRow, cents, new_bike

_db = pw.SqliteDatabase(None)  # bound to a file in open()


class PwOwner(pw.Model):
    id = pw.CharField(max_length=36, primary_key=True)
    name = pw.CharField(max_length=40)

    class Meta:
        database = _db
        table_name = "owner"


class PwBike(pw.Model):
    id = pw.CharField(max_length=36, primary_key=True)
    brand = pw.CharField(max_length=30)
    model = pw.CharField(max_length=50, null=True)
    price = pw.DecimalField(max_digits=10, decimal_places=2, null=True)
    weight = pw.DoubleField(null=True)
    in_stock = pw.BooleanField(null=True)
    year = pw.IntegerField(null=True)
    owner = pw.ForeignKeyField(PwOwner, backref="bikes", null=True, column_name="owner_id")

    class Meta:
        database = _db
        table_name = "bike"
        only_save_dirty = True


#: Rows per INSERT: as many as SQLite's limit of bound parameters allows (as polynom does).
_BATCH = 32766 // len(PwBike._meta.sorted_fields)


class PeeweeSide:
    name = "Peewee"

    def open(self, directory: str) -> None:
        _db.init(
            str(Path(directory) / "peewee.db"),
            pragmas={"journal_mode": "wal", "synchronous": "full", "foreign_keys": 1},
        )
        _db.connect()
        _db.create_tables([PwOwner, PwBike])

    def close(self) -> None:
        _db.close()

    def add_owners(self, names: list[str]) -> list[str]:
        owners = [PwOwner(id=str(uuid.uuid4()), name=n) for n in names]
        with _db.atomic():
            PwOwner.bulk_create(owners, batch_size=_BATCH)
        return [o.id for o in owners]

    def clear_bikes(self) -> None:
        with _db.atomic():
            PwBike.delete().execute()

    def delete_bikes(self, ids: list[str]) -> None:
        with _db.atomic():
            PwBike.delete().where(PwBike.id.in_(ids)).execute()

    # -- workloads -----------------------------------------------------------------------

    def insert(self, rows: list[BikeRow]) -> list[str]:
        bikes = [new_bike(PwBike, r, id=str(uuid.uuid4())) for r in rows]
        with _db.atomic():
            PwBike.bulk_create(bikes, batch_size=_BATCH)
        return [b.id for b in bikes]

    def get_each(self, ids: list[str]) -> int:
        return sum(PwBike.get_or_none(PwBike.id == i) is not None for i in ids)

    def filters(self, bands: list[tuple[Decimal, Decimal]]) -> int:
        return sum(
            len(list(PwBike.select().where((PwBike.price >= low) & (PwBike.price < high))))
            for low, high in bands
        )

    def load_all(self) -> Any:
        return None, list(PwBike.select())

    def update(self, loaded: Any) -> int:
        bikes = loaded[1]
        with _db.atomic():
            for bike in bikes:
                bike.weight = bike.weight + 1
                bike.save()
        return len(bikes)

    def release(self, loaded: Any) -> None:
        pass

    def lazy(self) -> int:
        return sum(len(list(owner.bikes)) for owner in PwOwner.select())

    def eager(self) -> int:
        owners = pw.prefetch(PwOwner.select(), PwBike.select())
        return sum(len(owner.bikes) for owner in owners)

    def count(self, lows: list[Decimal]) -> int:
        return sum(PwBike.select().where(PwBike.price >= low).count() for low in lows)

    def exists(self, brands: list[str]) -> int:
        return sum(PwBike.select().where(PwBike.brand == b).exists() for b in brands)

    def page_by_price(self, offsets: list[int]) -> int:
        query = PwBike.select().order_by(PwBike.price).limit(PAGE_SIZE)
        return sum(cents(b.price) for at in offsets for b in query.offset(at))

    def page_by_model(self, offsets: list[int]) -> int:
        query = PwBike.select().order_by(PwBike.model).limit(PAGE_SIZE)
        return sum(int(b.model[6:]) for at in offsets for b in query.offset(at))

    def transactions(self, rows: list[BikeRow]) -> list[str]:
        ids = []
        for r in rows:
            with _db.atomic():
                bike = new_bike(PwBike, r, id=str(uuid.uuid4()))
                bike.save(force_insert=True)
            ids.append(bike.id)
        return ids
