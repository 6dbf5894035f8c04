"""The bike shop's data: owners and their bikes.

Both entities live in the namespace ``bikeshop``. A bike may have an owner
(``bike.owner``); an owner has a list of bikes (``owner.bikes``), kept in step in
memory by ``back_populates``.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal as D

from polynom.model.model import BaseModel
from polynom.model.model_registry import polynom_model
from polynom.model.relationship import Relationship
from polynom.schema.field import Field, ForeignKeyField
from polynom.schema.polytypes import Boolean, Decimal, Double, PolyEnum, Timestamp, VarChar
from polynom.schema.schema import BaseSchema
from polynom.schema.schema_registry import polynom_schema

__all__ = ["SCHEMAS", "Bike", "BikeSchema", "Kind", "Owner", "OwnerSchema"]

NAMESPACE = "bikeshop"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Kind(enum.Enum):
    """What a bike is for."""

    ROAD = "road"
    GRAVEL = "gravel"
    MOUNTAIN = "mountain"
    CITY = "city"


@polynom_schema
class OwnerSchema(BaseSchema):
    entity_name = "owner"
    namespace_name = NAMESPACE
    fields = [
        Field("name", VarChar(60), nullable=False),
        Field("email", VarChar(120), nullable=False, unique=True),
    ]


@polynom_schema
class BikeSchema(BaseSchema):
    entity_name = "bike"
    namespace_name = NAMESPACE
    fields = [
        Field("brand", VarChar(40), nullable=False),
        Field("model", VarChar(60), nullable=False),
        Field("kind", PolyEnum(Kind), nullable=False, default=Kind.ROAD),
        Field("price", Decimal(10, 2), nullable=False),
        Field("weight_kg", Double()),
        Field("in_stock", Boolean(), nullable=False, default=True),
        Field("added_at", Timestamp(0), default=_now),
        ForeignKeyField("owner_id", OwnerSchema),
    ]


#: The schemas the bike shop's application manages.
SCHEMAS = [OwnerSchema, BikeSchema]


# The annotations are for type checkers and readers; the fields come from the schema.


@polynom_model
class Owner(BaseModel):
    schema = OwnerSchema
    bikes = Relationship("examples.bikeshop.models.Bike", back_populates="owner")

    name: str
    email: str


@polynom_model
class Bike(BaseModel):
    schema = BikeSchema
    owner = Relationship(Owner, back_populates="bikes")

    brand: str
    model: str
    kind: Kind
    price: D
    weight_kg: float | None
    in_stock: bool
    added_at: dt.datetime | None
    owner_id: str | None
