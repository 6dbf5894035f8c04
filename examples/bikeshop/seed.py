"""Sample data for the demo: a few owners and their bikes, written once.

Every sample entry has the same id in every copy of the demo (:func:`sample_id`), so the
docs can name one: Ada's Moots Vamoots RSL is ``e7d6473e-e685-515d-847a-73df540182dd``.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from examples.bikeshop.models import Kind

__all__ = ["BIKES", "OWNERS", "sample_id", "seed"]

OWNERS = [
    ("Ada Lovelace", "ada@example.org"),
    ("Grace Hopper", "grace@example.org"),
    ("Alan Turing", "alan@example.org"),
]

# brand, model, kind, price, weight, in stock, owner (index into OWNERS) or None
BIKES: list[tuple[str, str, Kind, str, float | None, bool, int | None]] = [
    ("Moots", "Vamoots RSL", Kind.ROAD, "8900.00", 7.2, True, 0),
    ("Moots", "Routt YBB", Kind.GRAVEL, "7400.00", 8.6, True, None),
    ("Giant", "Defy Advanced 2", Kind.ROAD, "2199.00", 8.6, True, 1),
    ("Giant", "Trance X 29", Kind.MOUNTAIN, "3499.00", 15.1, False, None),
    ("Giant", "Escape 3", Kind.CITY, "549.00", 11.3, True, 2),
    ("Brompton", "C Line Explore", Kind.CITY, "1675.50", 11.6, True, 0),
    ("Canyon", "Grizl CF SL 7", Kind.GRAVEL, "2499.00", 8.9, True, None),
    ("Canyon", "Ultimate CF SLX", Kind.ROAD, "5799.00", 7.0, False, 1),
    ("Santa Cruz", "Hightower", Kind.MOUNTAIN, "6200.00", 14.6, True, None),
    ("Surly", "Long Haul Trucker", Kind.GRAVEL, "1650.00", 13.3, True, 2),
]


def sample_id(kind: str, name: str) -> str:
    """The fixed id of a sample entry: ``sample_id("bike", "Moots Vamoots RSL")``,
    ``sample_id("owner", "ada@example.org")``."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"bikeshop:{kind}:{name}"))


def seed(dm: Any, *, user: str = "seed") -> int:
    """Write the sample owners and bikes unless there are owners already.

    Returns how many entries were written (0 when the store already had data).
    """
    with dm.context(meta={"user": user}) as ctx:
        if ctx.dal.owners.count():
            return 0
        owners = [
            ctx.dal.owners.create(_entry_id=sample_id("owner", e), name=n, email=e)
            for n, e in OWNERS
        ]
        for brand, model, kind, price, weight, stock, owner in BIKES:
            ctx.dal.bikes.create(
                _entry_id=sample_id("bike", f"{brand} {model}"),
                brand=brand,
                model=model,
                kind=kind,
                price=Decimal(price),
                weight_kg=weight,
                in_stock=stock,
                owner_id=None if owner is None else owners[owner]._entry_id,
            )
    return len(OWNERS) + len(BIKES)
