"""The mapper on the embedded store against SQLAlchemy 2.x ORM and raw sqlite3, in one run.

    python benchmarks/bench_mapper.py [--rows 10000] [--memory-rows 100000]

Every peer works on the same SQLite file (its own table). Each workload is timed a few
times and the best run is kept; the table prints the ratios the goals are set in:
polynom / SQLAlchemy (goal: below 1 everywhere) and polynom / sqlite3 (goal: within 3x on
the bulk insert).
"""

from __future__ import annotations

import argparse
import gc
import sqlite3
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import orm

from polynom.application import Application
from polynom.model.model import BaseModel
from polynom.schema.field import Field
from polynom.schema.polytypes import Boolean, Double, Integer, VarChar
from polynom.schema.polytypes import Decimal as Dec
from polynom.schema.schema import BaseSchema
from polynom.session import Session

# -- the three peers' models ---------------------------------------------------------------


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
    ]


class Bike(BaseModel):
    schema = BikeSchema


class _Base(orm.DeclarativeBase):
    pass


class SaBike(_Base):
    __tablename__ = "sa_bike"
    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    brand: orm.Mapped[str] = orm.mapped_column(sa.String(30))
    model: orm.Mapped[str | None] = orm.mapped_column(sa.String(50))
    price: orm.Mapped[Decimal | None] = orm.mapped_column(sa.Numeric(10, 2))
    weight: orm.Mapped[float | None] = orm.mapped_column(sa.Float)
    in_stock: orm.Mapped[bool | None] = orm.mapped_column(sa.Boolean)
    year: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)


def _values(i: int) -> dict[str, Any]:
    return {
        "brand": f"brand{i % 50}",
        "model": f"model {i}",
        "price": Decimal(i % 5000) + Decimal("0.99"),
        "weight": 8.5 + i % 7,
        "in_stock": i % 2 == 0,
        "year": 1990 + i % 30,
    }


# -- timing --------------------------------------------------------------------------------


def best_of(runs: int, setup: Callable[[], Any], work: Callable[[Any], None]) -> float:
    times = []
    for _ in range(runs):
        state = setup()
        gc.collect()
        start = time.perf_counter()
        work(state)
        times.append(time.perf_counter() - start)
    return min(times)


def peak_memory(work: Callable[[], Any]) -> int:
    gc.collect()
    tracemalloc.start()
    kept = work()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    del kept
    return peak


# -- the peers -----------------------------------------------------------------------------


class Polynom:
    name = "polynom"

    def __init__(self, path: Path) -> None:
        self.app = Application(str(uuid.uuid4()), f"sqlite:///{path}", schemas=[BikeSchema])
        self.app.__enter__()

    def clear(self) -> None:
        with Session(self.app) as s:
            s.execute('DELETE FROM "bench"."bike"')
            s.commit()

    def insert(self, n: int) -> list[str]:
        with Session(self.app) as s:
            bikes = [Bike(**_values(i)) for i in range(n)]
            s.add_all(bikes)
            s.commit()
        return [b._entry_id for b in bikes]

    def get_each(self, ids: list[str]) -> None:
        with Session(self.app) as s:
            query = Bike.query(s)
            for entry_id in ids:
                query.get(entry_id)

    def filter_queries(self, count: int, size: int) -> None:
        for q in range(count):
            low = Decimal((q * 37) % 4000)
            with Session(self.app) as s:
                rows = Bike.query(s).filter(Bike.price >= low).limit(size).all()
                assert len(rows) == size

    def load_all(self) -> Any:
        s = Session(self.app).__enter__()
        return s, Bike.query(s).all()

    def update_all(self, state: Any) -> None:
        s, bikes = state
        for bike in bikes:
            bike.weight = bike.weight + 1
        s.commit()

    def hold(self) -> Any:
        s = Session(self.app).__enter__()
        models = Bike.query(s).all()
        return s, models


class SqlAlchemy:
    name = "SQLAlchemy ORM"

    def __init__(self, path: Path) -> None:
        self.engine = sa.create_engine(f"sqlite:///{path}")
        _Base.metadata.create_all(self.engine)
        self.Session = orm.sessionmaker(self.engine, expire_on_commit=False)

    def clear(self) -> None:
        with self.Session() as s:
            s.execute(sa.delete(SaBike))
            s.commit()

    def insert(self, n: int) -> list[str]:
        with self.Session() as s:
            bikes = [SaBike(id=str(uuid.uuid4()), **_values(i)) for i in range(n)]
            s.add_all(bikes)
            s.commit()
        return [b.id for b in bikes]

    def get_each(self, ids: list[str]) -> None:
        with self.Session() as s:
            for entry_id in ids:
                s.get(SaBike, entry_id)

    def filter_queries(self, count: int, size: int) -> None:
        for q in range(count):
            low = Decimal((q * 37) % 4000)
            with self.Session() as s:
                rows = s.scalars(sa.select(SaBike).where(SaBike.price >= low).limit(size)).all()
                assert len(rows) == size

    def load_all(self) -> Any:
        s = self.Session()
        return s, s.scalars(sa.select(SaBike)).all()

    def update_all(self, state: Any) -> None:
        s, bikes = state
        for bike in bikes:
            bike.weight = bike.weight + 1
        s.commit()
        s.close()

    def hold(self) -> Any:
        s = self.Session()
        return s, s.scalars(sa.select(SaBike)).all()


class RawSqlite:
    name = "sqlite3"

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS raw_bike (id TEXT PRIMARY KEY, brand TEXT, model TEXT, "
            "price TEXT, weight REAL, in_stock INTEGER, year INTEGER)"
        )

    def clear(self) -> None:
        self.conn.execute("DELETE FROM raw_bike")

    def insert(self, n: int) -> list[str]:
        rows = []
        for i in range(n):
            v = _values(i)
            rows.append(
                (
                    str(uuid.uuid4()),
                    v["brand"],
                    v["model"],
                    str(v["price"]),
                    v["weight"],
                    int(v["in_stock"]),
                    v["year"],
                )
            )
        self.conn.execute("BEGIN")
        self.conn.executemany("INSERT INTO raw_bike VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        self.conn.execute("COMMIT")
        return [r[0] for r in rows]

    def get_each(self, ids: list[str]) -> None:
        for entry_id in ids:
            self.conn.execute("SELECT * FROM raw_bike WHERE id = ?", (entry_id,)).fetchone()

    def filter_queries(self, count: int, size: int) -> None:
        for q in range(count):
            low = (q * 37) % 4000
            rows = self.conn.execute(
                "SELECT * FROM raw_bike WHERE CAST(price AS REAL) >= ? LIMIT ?", (low, size)
            ).fetchall()
            assert len(rows) == size

    def load_all(self) -> Any:
        return self.conn.execute("SELECT id, weight FROM raw_bike").fetchall()

    def update_all(self, rows: Any) -> None:
        self.conn.execute("BEGIN")
        self.conn.executemany(
            "UPDATE raw_bike SET weight = ? WHERE id = ?", [(w + 1, i) for i, w in rows]
        )
        self.conn.execute("COMMIT")

    def hold(self) -> Any:
        return self.conn.execute("SELECT * FROM raw_bike").fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--memory-rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    n, runs = args.rows, args.runs

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        peers = [Polynom(path), SqlAlchemy(path), RawSqlite(path)]
        results: dict[str, dict[str, float]] = {}
        for peer in peers:
            r = results[peer.name] = {}

            def fresh(peer: Any = peer) -> None:
                peer.clear()

            r["insert"] = best_of(runs, fresh, lambda _s, peer=peer: peer.insert(n))
            peer.clear()
            ids = peer.insert(n)
            r["get by id"] = best_of(
                runs, lambda: None, lambda _s, peer=peer, ids=ids: peer.get_each(ids)
            )
            r["filter x100"] = best_of(
                runs, lambda: None, lambda _s, peer=peer: peer.filter_queries(100, 1000)
            )
            r["update"] = best_of(runs, peer.load_all, peer.update_all)
            peer.clear()
            peer.insert(args.memory_rows)
            r["memory"] = peak_memory(peer.hold)
            peer.clear()

    ours, sa_, raw = (results[p.name] for p in peers)
    print(f"\nrows={n}, memory rows={args.memory_rows}, best of {runs}")
    header = (
        f"{'workload':<14}{'polynom':>12}{'SQLAlchemy':>12}{'sqlite3':>12}{'vs SA':>9}{'vs raw':>9}"
    )
    print(header)
    print("-" * len(header))
    for key in ["insert", "get by id", "filter x100", "update", "memory"]:
        unit = (
            (lambda v: f"{v / 2**20:.1f}MiB")
            if key == "memory"
            else (lambda v: f"{v * 1000:.0f}ms")
        )
        print(
            f"{key:<14}{unit(ours[key]):>12}{unit(sa_[key]):>12}{unit(raw[key]):>12}"
            f"{ours[key] / sa_[key]:>9.2f}{ours[key] / raw[key]:>9.2f}"
        )


if __name__ == "__main__":
    main()
