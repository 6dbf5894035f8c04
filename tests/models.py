"""Models shared by the mapper's tests: a bike shop across two namespaces."""

from __future__ import annotations

import enum

from polynom.model.model import BaseModel
from polynom.model.model_registry import polynom_model
from polynom.model.relationship import Relationship
from polynom.schema.field import Field, ForeignKeyField
from polynom.schema.polytypes import (
    BigInt,
    Boolean,
    Date,
    Decimal,
    Double,
    File,
    Geometry,
    Integer,
    Json,
    PolyEnum,
    Real,
    SmallInt,
    Text,
    Time,
    Timestamp,
    TinyInt,
    VarChar,
)
from polynom.schema.schema import BaseSchema
from polynom.schema.schema_registry import polynom_schema


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@polynom_schema
class OwnerSchema(BaseSchema):
    entity_name = "owner"
    namespace_name = "people"
    fields = [
        Field("name", VarChar(40), nullable=False),
        Field("email", VarChar(80), unique=True),
    ]


@polynom_schema
class BikeSchema(BaseSchema):
    entity_name = "bike"
    namespace_name = "shop"
    fields = [
        Field("brand", VarChar(30), nullable=False),
        Field("model", VarChar(50)),
        Field("price", Decimal(10, 2)),
        Field("weight", Double()),
        Field("in_stock", Boolean(), default=True),
        ForeignKeyField("owner_id", OwnerSchema),
    ]


@polynom_schema
class PartSchema(BaseSchema):
    entity_name = "part"
    namespace_name = "shop"
    fields = [
        Field("label", Text(), nullable=False),
        ForeignKeyField("bike_id", BikeSchema, nullable=False),
    ]


@polynom_model
class Owner(BaseModel):
    schema = OwnerSchema
    bikes = Relationship("tests.models.Bike", back_populates="owner")


@polynom_model
class Bike(BaseModel):
    schema = BikeSchema()
    owner = Relationship(Owner, back_populates="bikes")
    parts = Relationship("tests.models.Part", back_populates="bike", cascade="all, delete-orphan")


@polynom_model
class Part(BaseModel):
    schema = PartSchema
    bike = Relationship(Bike, back_populates="parts")


class LegacyBike(BaseModel):
    """A PolyNOM-style model with its own positional __init__."""

    schema = BikeSchema

    def __init__(self, brand, model, price, weight, _entry_id=None):
        self.brand = brand
        self.model = model
        self.price = price
        self.weight = weight
        super().__init__(_entry_id)


@polynom_schema
class EverythingSchema(BaseSchema):
    entity_name = "everything"
    fields = [
        Field("varchar", VarChar(5)),
        Field("text", Text()),
        Field("integer", Integer()),
        Field("smallint", SmallInt()),
        Field("tinyint", TinyInt()),
        Field("bigint", BigInt()),
        Field("double", Double()),
        Field("real", Real()),
        Field("decimal", Decimal(12, 4)),
        Field("boolean", Boolean()),
        Field("date", Date()),
        Field("time", Time(3)),
        Field("timestamp", Timestamp(3)),
        Field("json", Json()),
        Field("enum", PolyEnum(Color)),
        Field("file", File()),
        Field("geometry", Geometry()),
    ]


class Everything(BaseModel):
    schema = EverythingSchema
