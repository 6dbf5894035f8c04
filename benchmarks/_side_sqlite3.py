"""The floor of ``bench_mapper.py``: Python's ``sqlite3`` with hand-written SQL, no objects.

The same tables and index as the other sides, WAL, ``synchronous=FULL``, ``foreign_keys=ON``,
explicit ``BEGIN``/``COMMIT`` around writes, and the same SQL work: one statement per get,
per filter, per page; ``executemany`` for bulk writes; rows come back as tuples. Prices are
bound and read as floats, into a ``DECIMAL(10, 2)`` column that stores them as REAL and
compares them natively -- what a program that needs no ``Decimal`` would do, which is what
a floor is for (bound as text, they would cost SQLite a conversion per compared row).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

from _mapper_data import PAGE_SIZE, BikeRow, cents

_SCHEMA = [
    "CREATE TABLE owner (id VARCHAR(36) NOT NULL, name VARCHAR(40) NOT NULL, PRIMARY KEY (id))",
    "CREATE TABLE bike (id VARCHAR(36) NOT NULL, brand VARCHAR(30) NOT NULL, "
    "model VARCHAR(50), price DECIMAL(10, 2), weight DOUBLE, in_stock BOOLEAN, year INTEGER, "
    "owner_id VARCHAR(36) REFERENCES owner (id), PRIMARY KEY (id))",
    "CREATE INDEX bike_owner_id ON bike (owner_id)",
]
#: The bike columns, in the order every read selects them.
COLUMNS = "id, brand, model, price, weight, in_stock, year, owner_id"
INSERT = f"INSERT INTO bike ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"


def bike_params(r: BikeRow) -> tuple[Any, ...]:
    """A new bike's values as bound: a fresh id, the price as a float."""
    return (
        str(uuid.uuid4()),
        r.brand,
        r.model,
        float(r.price),
        r.weight,
        int(r.in_stock),
        r.year,
        r.owner_id,
    )


class Sqlite3Side:
    name = "sqlite3"

    def open(self, directory: str) -> None:
        self.conn = sqlite3.connect(Path(directory) / f"{self.name}.db", isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
            self.conn.execute(f"PRAGMA {pragma}")
        for statement in _SCHEMA:
            self.conn.execute(statement)

    def close(self) -> None:
        self.conn.close()

    def _write(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self.conn.execute("BEGIN")
        self.conn.executemany(sql, rows)
        self.conn.execute("COMMIT")

    def add_owners(self, names: list[str]) -> list[str]:
        rows = [(str(uuid.uuid4()), n) for n in names]
        self._write("INSERT INTO owner (id, name) VALUES (?, ?)", rows)
        return [r[0] for r in rows]

    def clear_bikes(self) -> None:
        self.conn.execute("DELETE FROM bike")

    def delete_bikes(self, ids: list[str]) -> None:
        self._write("DELETE FROM bike WHERE id = ?", [(i,) for i in ids])

    # -- workloads -----------------------------------------------------------------------

    def insert(self, rows: list[BikeRow]) -> list[str]:
        params = [bike_params(r) for r in rows]
        self._write(INSERT, params)
        return [p[0] for p in params]

    def get_each(self, ids: list[str]) -> int:
        sql = f"SELECT {COLUMNS} FROM bike WHERE id = ?"
        execute = self.conn.execute
        return sum(execute(sql, (i,)).fetchone() is not None for i in ids)

    def filters(self, bands: list[tuple[Decimal, Decimal]]) -> int:
        sql = f"SELECT {COLUMNS} FROM bike WHERE price >= ? AND price < ?"
        return sum(
            len(self.conn.execute(sql, (float(low), float(high))).fetchall()) for low, high in bands
        )

    def load_all(self) -> Any:
        return None, self.conn.execute(f"SELECT {COLUMNS} FROM bike").fetchall()

    def update(self, loaded: Any) -> int:
        rows = loaded[1]
        self._write("UPDATE bike SET weight = ? WHERE id = ?", [(r[4] + 1, r[0]) for r in rows])
        return len(rows)

    def release(self, loaded: Any) -> None:
        pass

    def lazy(self) -> int:
        sql = f"SELECT {COLUMNS} FROM bike WHERE owner_id = ?"
        owners = self.conn.execute("SELECT id, name FROM owner").fetchall()
        return sum(len(self.conn.execute(sql, (o[0],)).fetchall()) for o in owners)

    def eager(self) -> int:
        owners = self.conn.execute("SELECT id, name FROM owner").fetchall()
        bikes: defaultdict[str, list[tuple[Any, ...]]] = defaultdict(list)
        sql = f"SELECT {COLUMNS} FROM bike WHERE owner_id IN (SELECT id FROM owner)"
        for row in self.conn.execute(sql):
            bikes[row[7]].append(row)
        return sum(len(bikes[o[0]]) for o in owners)

    def count(self, lows: list[Decimal]) -> int:
        sql = "SELECT COUNT(*) FROM bike WHERE price >= ?"
        return sum(self.conn.execute(sql, (float(low),)).fetchone()[0] for low in lows)

    def exists(self, brands: list[str]) -> int:
        sql = "SELECT EXISTS (SELECT 1 FROM bike WHERE brand = ?)"
        return sum(self.conn.execute(sql, (b,)).fetchone()[0] for b in brands)

    def page_by_price(self, offsets: list[int]) -> int:
        sql = f"SELECT {COLUMNS} FROM bike ORDER BY price LIMIT {PAGE_SIZE} OFFSET ?"
        return sum(cents(r[3]) for at in offsets for r in self.conn.execute(sql, (at,)))

    def page_by_model(self, offsets: list[int]) -> int:
        sql = f"SELECT {COLUMNS} FROM bike ORDER BY model LIMIT {PAGE_SIZE} OFFSET ?"
        return sum(int(r[2][6:]) for at in offsets for r in self.conn.execute(sql, (at,)))

    def transactions(self, rows: list[BikeRow]) -> list[str]:
        ids = []
        for r in rows:
            params = bike_params(r)
            self.conn.execute("BEGIN")
            self.conn.execute(INSERT, params)
            self.conn.execute("COMMIT")
            ids.append(params[0])
        return ids
