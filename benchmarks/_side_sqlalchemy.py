"""The SQLAlchemy side of ``bench_mapper.py``: the 2.x ORM with a ``Session``, as its docs
teach it (``sessionmaker``, ``select()``, ``selectinload`` for eager loading).

Every connection gets WAL, ``synchronous=FULL`` and ``foreign_keys=ON`` from a ``connect``
event. ``Numeric(10, 2)`` returns exact ``Decimal`` values (``asdecimal=True``); SQLite has
no decimal type, so SQLAlchemy stores them as floating point (REAL) and rounds to the scale
on the way out -- exact for the 10 digits declared here, compared natively by SQLite.
"""

from __future__ import annotations

import uuid
import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from _mapper_data import PAGE_SIZE, BikeRow, cents, new_bike
from sqlalchemy import orm

# "Dialect sqlite+pysqlite does *not* support Decimal objects natively": that is the point
# made in the module docstring, not news on every query.
warnings.filterwarnings(
    "ignore", message=".*does \\*not\\* support Decimal", category=sa.exc.SAWarning
)


class _Base(orm.DeclarativeBase):
    pass


class SaOwner(_Base):
    __tablename__ = "owner"
    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    name: orm.Mapped[str] = orm.mapped_column(sa.String(40))
    bikes: orm.Mapped[list[SaBike]] = orm.relationship(back_populates="owner")


class SaBike(_Base):
    __tablename__ = "bike"
    id: orm.Mapped[str] = orm.mapped_column(sa.String(36), primary_key=True)
    brand: orm.Mapped[str] = orm.mapped_column(sa.String(30))
    model: orm.Mapped[str | None] = orm.mapped_column(sa.String(50))
    price: orm.Mapped[Decimal | None] = orm.mapped_column(sa.Numeric(10, 2, asdecimal=True))
    weight: orm.Mapped[float | None] = orm.mapped_column(sa.Double)
    in_stock: orm.Mapped[bool | None] = orm.mapped_column(sa.Boolean)
    year: orm.Mapped[int | None] = orm.mapped_column(sa.Integer)
    owner_id: orm.Mapped[str | None] = orm.mapped_column(sa.ForeignKey("owner.id"), index=True)
    owner: orm.Mapped[SaOwner | None] = orm.relationship(back_populates="bikes")


def _pragmas(dbapi_connection: Any, _record: Any) -> None:
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        dbapi_connection.execute(f"PRAGMA {pragma}")


class SqlAlchemySide:
    name = "SQLAlchemy"

    def open(self, directory: str) -> None:
        self.engine = sa.create_engine(f"sqlite:///{Path(directory) / 'sqlalchemy.db'}")
        sa.event.listen(self.engine, "connect", _pragmas)
        _Base.metadata.create_all(self.engine)
        self.Session = orm.sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    def add_owners(self, names: list[str]) -> list[str]:
        owners = [SaOwner(id=str(uuid.uuid4()), name=n) for n in names]
        with self.Session.begin() as s:
            s.add_all(owners)
        return [o.id for o in owners]

    def clear_bikes(self) -> None:
        with self.Session.begin() as s:
            s.execute(sa.delete(SaBike))

    def delete_bikes(self, ids: list[str]) -> None:
        with self.Session.begin() as s:
            s.execute(sa.delete(SaBike).where(SaBike.id.in_(ids)))

    # -- workloads -----------------------------------------------------------------------

    def insert(self, rows: list[BikeRow]) -> list[str]:
        bikes = [new_bike(SaBike, r, id=str(uuid.uuid4())) for r in rows]
        with self.Session() as s:
            s.add_all(bikes)
            s.commit()
        return [b.id for b in bikes]

    def get_each(self, ids: list[str]) -> int:
        with self.Session() as s:
            return sum(s.get(SaBike, i) is not None for i in ids)

    def filters(self, bands: list[tuple[Decimal, Decimal]]) -> int:
        seen = 0
        for low, high in bands:
            with self.Session() as s:
                query = sa.select(SaBike).where(SaBike.price >= low, SaBike.price < high)
                seen += len(s.scalars(query).all())
        return seen

    def load_all(self) -> Any:
        s = self.Session()
        return s, s.scalars(sa.select(SaBike)).all()

    def update(self, loaded: Any) -> int:
        s, bikes = loaded
        for bike in bikes:
            bike.weight = bike.weight + 1
        s.commit()
        return len(bikes)

    def release(self, loaded: Any) -> None:
        loaded[0].close()

    def lazy(self) -> int:
        with self.Session() as s:
            return sum(len(owner.bikes) for owner in s.scalars(sa.select(SaOwner)).all())

    def eager(self) -> int:
        with self.Session() as s:
            query = sa.select(SaOwner).options(orm.selectinload(SaOwner.bikes))
            return sum(len(owner.bikes) for owner in s.scalars(query).all())

    def count(self, lows: list[Decimal]) -> int:
        with self.Session() as s:
            return sum(
                s.scalar(sa.select(sa.func.count()).select_from(SaBike).where(SaBike.price >= low))
                or 0
                for low in lows
            )

    def exists(self, brands: list[str]) -> int:
        with self.Session() as s:
            return sum(
                bool(s.scalar(sa.select(sa.exists().where(SaBike.brand == b)))) for b in brands
            )

    def page_by_price(self, offsets: list[int]) -> int:
        with self.Session() as s:
            query = sa.select(SaBike).order_by(SaBike.price).limit(PAGE_SIZE)
            return sum(cents(b.price) for at in offsets for b in s.scalars(query.offset(at)))

    def page_by_model(self, offsets: list[int]) -> int:
        with self.Session() as s:
            query = sa.select(SaBike).order_by(SaBike.model).limit(PAGE_SIZE)
            return sum(int(b.model[6:]) for at in offsets for b in s.scalars(query.offset(at)))

    def transactions(self, rows: list[BikeRow]) -> list[str]:
        ids = []
        for r in rows:
            with self.Session.begin() as s:
                bike = new_bike(SaBike, r, id=str(uuid.uuid4()))
                s.add(bike)
            ids.append(bike.id)
        return ids
