"""The data and the query arguments every side of ``bench_mapper.py`` works with.

Every side stores the same model -- owners, and bikes that reference them -- and gets the
same values and the same query arguments from here, so the sides differ only in how they
do the work. Each workload returns a *check* value (rows seen, a count...) that must be the
same on every side: a side that did less work would show.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

#: Bikes per owner: ``n`` bikes come with ``n // 10`` owners.
BIKES_PER_OWNER = 10
#: Queries per workload (filters, counts, exists) and pages per paging workload.
QUERIES = 100
PAGES = 50
PAGE_SIZE = 20
#: One-row transactions per round (fewer when the table is smaller).
TRANSACTIONS = 1000
#: Width of a filter's price band: a tenth of the prices (0.00 to 999.99).
BAND = Decimal(100)


class BikeRow(NamedTuple):
    """One bike's values (the id is each side's own business, as in real code)."""

    brand: str
    model: str
    price: Decimal
    weight: float
    in_stock: bool
    year: int
    owner_id: str


def new_bike(model: Any, r: BikeRow, **key: str) -> Any:
    """A new object of an ORM side's bike ``model`` with the row's values, by keyword (the
    idiom of every ORM; no dict of the row is made, as the raw sqlite3 side makes none);
    ``key`` is the id where the side makes it."""
    return model(
        **key,
        brand=r.brand,
        model=r.model,
        price=r.price,
        weight=r.weight,
        in_stock=r.in_stock,
        year=r.year,
        owner_id=r.owner_id,
    )


def owner_names(n: int) -> list[str]:
    return [f"owner {i}" for i in range(max(1, n // BIKES_PER_OWNER))]


def bike_rows(n: int, owner_ids: Sequence[str], start: int = 0) -> list[BikeRow]:
    """``n`` bikes spread evenly over the owners. Prices are exact cents, 0.00 to 999.99,
    in a scattered order (7919 is prime to 100,000), so a band holds a tenth of any table."""
    rows = []
    for i in range(start, start + n):
        rows.append(
            BikeRow(
                brand=f"brand{i % 50}",
                model=f"model {i:06d}",
                price=Decimal((i * 7919) % 100_000).scaleb(-2),
                weight=8.5 + i % 7,
                in_stock=i % 2 == 0,
                year=1990 + i % 30,
                owner_id=owner_ids[i % len(owner_ids)],
            )
        )
    return rows


def bands() -> list[tuple[Decimal, Decimal]]:
    """``QUERIES`` filters ``low <= price < high``, each matching about a tenth of the rows
    (no ``LIMIT``: every matching row becomes a model)."""
    return [(Decimal((q * 37) % 900), Decimal((q * 37) % 900) + BAND) for q in range(QUERIES)]


def count_lows() -> list[Decimal]:
    """``QUERIES`` counts of ``price >= low``."""
    return [Decimal(q * 10) for q in range(QUERIES)]


def exists_brands() -> list[str]:
    """``QUERIES`` brands to ask ``exists`` about: half exist, half do not (a full scan)."""
    return [f"brand{q}" for q in range(QUERIES)]


def page_offsets() -> list[int]:
    return [k * PAGE_SIZE for k in range(PAGES)]


def cents(price: Any) -> int:
    """A price as whole cents, from a ``Decimal`` or (raw sqlite3) a float."""
    return round(price * 100)


class Side(Protocol):
    """What each contender implements. Each workload method returns its check value."""

    name: str

    def open(self, directory: str) -> None: ...
    def close(self) -> None: ...
    def add_owners(self, names: list[str]) -> list[str]: ...
    def clear_bikes(self) -> None: ...
    def delete_bikes(self, ids: list[str]) -> None: ...

    def insert(self, rows: list[BikeRow]) -> list[str]: ...
    def get_each(self, ids: list[str]) -> int: ...
    def filters(self, bands: list[tuple[Decimal, Decimal]]) -> int: ...
    def load_all(self) -> tuple[Any, list[Any]]:
        """Every bike, held: (the session holding them or None, the models or rows)."""

    def update(self, loaded: tuple[Any, list[Any]]) -> int: ...
    def release(self, loaded: tuple[Any, list[Any]]) -> None: ...
    def lazy(self) -> int: ...
    def eager(self) -> int: ...
    def count(self, lows: list[Decimal]) -> int: ...
    def exists(self, brands: list[str]) -> int: ...
    def page_by_price(self, offsets: list[int]) -> int: ...
    def page_by_model(self, offsets: list[int]) -> int: ...
    def transactions(self, rows: list[BikeRow]) -> list[str]: ...
