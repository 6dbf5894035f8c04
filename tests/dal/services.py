"""Services the DAL tests register: a model service with business methods and a sub-service."""

from __future__ import annotations

from polydatum import Service

from polynom.services import ModelService

from .models import DalBike


class BikeStats(Service):
    """A nested service: ``dal.bikes.stats.average_price()``."""

    def average_price(self) -> float | None:
        bikes = DalBike.query(self._ctx.session).all()
        return sum(b.price for b in bikes) / len(bikes) if bikes else None


class BikeService(ModelService[DalBike]):
    model = DalBike

    def __init__(self) -> None:
        super().__init__()
        self.register_services(stats=BikeStats())

    def cheaper_than(self, price: int) -> list[DalBike]:
        return self.query().filter(DalBike.price < price).order_by("price").all()

    def rename(self, entry_id: str, name: str) -> DalBike:
        bike = self.get_or_raise(entry_id)
        bike.name = name
        return bike

    def whoami(self) -> str | None:
        user: str | None = self._ctx.meta.user
        return user
