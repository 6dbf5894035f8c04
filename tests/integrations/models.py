"""The model the integration tests use: bikes in their own namespace."""

from __future__ import annotations

from polynom.model.model import BaseModel
from polynom.schema.field import Field
from polynom.schema.polytypes import Integer, VarChar
from polynom.schema.schema import BaseSchema
from polynom.services import ModelService


class WebBikeSchema(BaseSchema):
    entity_name = "web_bike"
    namespace_name = "integrations"
    fields = [
        Field("name", VarChar(40), nullable=False, unique=True),
        Field("price", Integer(), nullable=False, default=0),
    ]


class WebBike(BaseModel):
    schema = WebBikeSchema


def services() -> dict[str, ModelService[WebBike]]:
    """Fresh services for one data manager."""
    return {"bikes": ModelService(WebBike)}
