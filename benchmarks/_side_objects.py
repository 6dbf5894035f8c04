"""The floor of any object mapper: raw ``sqlite3``, each row made into a plain object, held.

The same SQL as ``_side_sqlite3.py`` (its counts and exists unchanged), but every row a
read returns becomes an object -- a class with ``__slots__``, its attributes the row's
values as SQLite returns them: no conversion, no validation, no identity map, no change
tracking -- and every bike written is one first, made from the values as a user makes
one, written from its attributes. The objects of one workload are held until it ends (a
filter's until the next: the ORM sides give each filter a session of its own), as a
session holds what it loaded or was given: an owner holds the list of its bikes.
Nothing a mapper does can be cheaper, so polynom's figures over this side's are what
polynom itself costs, and this side's growth over raw ``sqlite3``'s is what holding Python
objects costs at scale (more objects than the collector's thresholds, a heap larger than
the caches) -- a cost raw ``sqlite3``, which drops each row once counted, never pays.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from _mapper_data import PAGE_SIZE, BikeRow, cents
from _side_sqlite3 import COLUMNS, INSERT, Sqlite3Side, bike_params


class _Bike:
    __slots__ = ("brand", "id", "in_stock", "model", "owner_id", "price", "weight", "year")

    def __init__(self, row: tuple[Any, ...]) -> None:
        (
            self.id,
            self.brand,
            self.model,
            self.price,
            self.weight,
            self.in_stock,
            self.year,
            self.owner_id,
        ) = row

    def values(self) -> tuple[Any, ...]:
        return (
            self.id,
            self.brand,
            self.model,
            self.price,
            self.weight,
            self.in_stock,
            self.year,
            self.owner_id,
        )


class _Owner:
    __slots__ = ("bikes", "id", "name")

    def __init__(self, row: tuple[Any, ...]) -> None:
        self.id, self.name = row
        self.bikes: list[_Bike] = []


def _bikes(rows: list[tuple[Any, ...]]) -> list[_Bike]:
    return [_Bike(r) for r in rows]


class ObjectsSide(Sqlite3Side):
    name = "sqlite3+objects"

    def insert(self, rows: list[BikeRow]) -> list[str]:
        bikes = [_Bike(bike_params(r)) for r in rows]
        self._write(INSERT, [b.values() for b in bikes])
        return [b.id for b in bikes]

    def transactions(self, rows: list[BikeRow]) -> list[str]:
        held = []
        for r in rows:
            bike = _Bike(bike_params(r))
            self.conn.execute("BEGIN")
            self.conn.execute(INSERT, bike.values())
            self.conn.execute("COMMIT")
            held.append(bike)
        return [b.id for b in held]

    def get_each(self, ids: list[str]) -> int:
        sql = f"SELECT {COLUMNS} FROM bike WHERE id = ?"
        execute = self.conn.execute
        held = []
        for i in ids:
            row = execute(sql, (i,)).fetchone()
            if row is not None:
                held.append(_Bike(row))
        return len(held)

    def filters(self, bands: list[tuple[Decimal, Decimal]]) -> int:
        # one filter's objects at a time: the ORM sides run each filter in a session of its own
        sql = f"SELECT {COLUMNS} FROM bike WHERE price >= ? AND price < ?"
        execute = self.conn.execute
        return sum(
            len(_bikes(execute(sql, (float(low), float(high))).fetchall())) for low, high in bands
        )

    def load_all(self) -> Any:
        return None, _bikes(self.conn.execute(f"SELECT {COLUMNS} FROM bike").fetchall())

    def update(self, loaded: Any) -> int:
        bikes = loaded[1]
        for b in bikes:
            b.weight += 1
        self._write("UPDATE bike SET weight = ? WHERE id = ?", [(b.weight, b.id) for b in bikes])
        return len(bikes)

    def _owners(self) -> list[_Owner]:
        return [_Owner(r) for r in self.conn.execute("SELECT id, name FROM owner")]

    def lazy(self) -> int:
        sql = f"SELECT {COLUMNS} FROM bike WHERE owner_id = ?"
        owners = self._owners()
        for o in owners:
            o.bikes = _bikes(self.conn.execute(sql, (o.id,)).fetchall())
        return sum(len(o.bikes) for o in owners)

    def eager(self) -> int:
        owners = self._owners()
        by_owner: defaultdict[str, list[_Bike]] = defaultdict(list)
        sql = f"SELECT {COLUMNS} FROM bike WHERE owner_id IN (SELECT id FROM owner)"
        for row in self.conn.execute(sql):
            by_owner[row[7]].append(_Bike(row))
        for o in owners:
            o.bikes = by_owner[o.id]
        return sum(len(o.bikes) for o in owners)

    def _pages(self, order: str, offsets: list[int]) -> list[_Bike]:
        sql = f"SELECT {COLUMNS} FROM bike ORDER BY {order} LIMIT {PAGE_SIZE} OFFSET ?"
        return [b for at in offsets for b in _bikes(self.conn.execute(sql, (at,)).fetchall())]

    def page_by_price(self, offsets: list[int]) -> int:
        return sum(cents(b.price) for b in self._pages("price", offsets))

    def page_by_model(self, offsets: list[int]) -> int:
        return sum(int(b.model[6:]) for b in self._pages("model", offsets))
