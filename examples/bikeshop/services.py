"""The bike shop's services: data access and business rules, used inside a DAL context.

``ctx.dal.bikes`` and ``ctx.dal.owners`` are these services; everything they write is
committed when the context ends (or rolled back when it raises), and recorded in the
changelog under the context's user.
"""

from __future__ import annotations

import builtins
from decimal import ROUND_HALF_UP
from decimal import Decimal as D
from typing import Any

from examples.bikeshop.models import Bike, Kind, Owner
from polynom.errors import ValidationError
from polynom.services import ModelService, Page

__all__ = ["BikeService", "OwnerService", "create_dal", "make_services"]

_CENT = D("0.01")


class OwnerService(ModelService[Owner]):
    """Owners: the generic methods, a search, lookup by e-mail; deleting keeps the bikes."""

    model = Owner

    def search(
        self,
        *,
        name: str | None = None,
        order_by: str = "name",
        limit: int | None = 20,
        offset: int = 0,
    ) -> Page[Owner]:
        """One page of the owners whose name contains ``name`` (all without it)."""
        criteria = [Owner.name.like(f"%{name}%")] if name else []
        order = [order_by, "_entry_id"]  # a unique tie-breaker keeps pages stable
        return self.page(*criteria, order_by=order, limit=limit, offset=offset)

    def delete(self, entry_id: str) -> None:
        """Delete the owner; their bikes stay, without an owner."""
        owner = self.get_or_raise(entry_id)
        for bike in list(owner.bikes):
            bike.owner_id = None
        super().delete(entry_id)

    def by_email(self, email: str) -> Owner | None:
        """The owner with this e-mail address, or ``None``."""
        result: Owner | None = self.query().filter_by(email=email).first()
        return result

    def bikes_of(self, owner_id: str) -> builtins.list[Bike]:
        """The owner's bikes; raises ``NotFound`` when there is no such owner."""
        owner = self.get_or_raise(owner_id)
        return sorted(owner.bikes, key=lambda b: (b.brand, b.model))


class BikeService(ModelService[Bike]):
    """Bikes: searching and repricing a whole brand (``create``/``update`` raise ``NotFound``
    for an ``owner_id`` that names no owner, as every ``ModelService`` does)."""

    model = Bike

    def search(
        self,
        *,
        brand: str | None = None,
        kind: Kind | None = None,
        min_price: D | None = None,
        max_price: D | None = None,
        in_stock: bool | None = None,
        owner_id: str | None = None,
        order_by: str = "brand",
        limit: int | None = 20,
        offset: int = 0,
    ) -> Page[Bike]:
        """One page of the bikes matching every filter given, with the total count."""
        filters: dict[str, Any] = {}
        if brand is not None:
            filters["brand"] = brand
        if kind is not None:
            filters["kind"] = kind
        if in_stock is not None:
            filters["in_stock"] = in_stock
        if owner_id is not None:
            filters["owner_id"] = owner_id
        criteria: list[Any] = []  # Bike.price >= x builds a query expression
        if min_price is not None:
            criteria.append(Bike.price >= min_price)
        if max_price is not None:
            criteria.append(Bike.price <= max_price)
        # a unique tie-breaker keeps pages stable when the sort key repeats
        order = [order_by, "_entry_id"]
        return self.page(*criteria, filters=filters, order_by=order, limit=limit, offset=offset)

    def reprice(self, brand: str, percent: D | int | float | str) -> int:
        """Change the price of every bike of ``brand`` by ``percent`` (rounded to cents).

        Each bike is updated through the session, so every new price is recorded in the
        changelog with its old value. Returns how many bikes were repriced.
        """
        factor = self._factor(percent)
        bikes = self.query().filter_by(brand=brand).all()
        for bike in bikes:
            bike.price = (bike.price * factor).quantize(_CENT, rounding=ROUND_HALF_UP)
        self.session.flush()
        return len(bikes)

    @staticmethod
    def _factor(percent: D | int | float | str) -> D:
        try:
            value = D(str(percent))
        except ArithmeticError:
            value = D("NaN")
        if not value.is_finite() or value <= -100 or value > 1000:
            raise ValidationError(
                f"reprice: percent must be a number above -100 and at most 1000, got {percent!r}",
                model="Bike",
                field="percent",
                value=percent,
            )
        return (D(100) + value) / D(100)


def make_services() -> dict[str, ModelService[Any]]:
    """Fresh service instances, by the name the DAL exposes them under."""
    return {"bikes": BikeService(), "owners": OwnerService()}


def create_dal(application: Any, **options: Any) -> Any:
    """A polydatum ``DataManager`` for the bike shop on an open ``application``."""
    from polynom.dal import create_data_manager

    return create_data_manager(application, services=make_services(), **options)
