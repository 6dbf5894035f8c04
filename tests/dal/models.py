"""The models the DAL tests use: bikes in their own namespace."""

from __future__ import annotations

from polynom.model.model import BaseModel
from polynom.schema.field import Field
from polynom.schema.polytypes import Integer, VarChar
from polynom.schema.schema import BaseSchema
from polynom.schema.schema_registry import polynom_schema


@polynom_schema
class DalBikeSchema(BaseSchema):
    entity_name = "dal_bike"
    namespace_name = "daltest"
    fields = [
        Field("name", VarChar(40), nullable=False, unique=True),
        Field("brand", VarChar(30)),
        Field("price", Integer(), nullable=False, default=0),
    ]


class DalBike(BaseModel):
    schema = DalBikeSchema
