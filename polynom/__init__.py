"""polynom: the PolyNOM object mapper for Polypheny, and Polydatum-style data access.

The names most programs need are importable from here; PolyNOM's module paths
(``polynom.application.Application``, ``polynom.schema.field.Field``...) work as well.
"""

from polynom.application import Application
from polynom.changelog import ChangeRecord, history
from polynom.errors import PolynomError
from polynom.expression import and_, not_, or_
from polynom.model.model import BaseModel, FlexModel
from polynom.model.model_registry import polynom_model
from polynom.model.relationship import Relationship
from polynom.query import Query, joinedload, selectinload
from polynom.schema.field import Field, ForeignKeyField, PrimaryKeyField
from polynom.schema.schema import BaseSchema
from polynom.schema.schema_registry import polynom_schema
from polynom.session import Session

__all__ = [
    "Application",
    "BaseModel",
    "BaseSchema",
    "ChangeRecord",
    "Field",
    "FlexModel",
    "ForeignKeyField",
    "PolynomError",
    "PrimaryKeyField",
    "Query",
    "Relationship",
    "Session",
    "and_",
    "history",
    "joinedload",
    "not_",
    "or_",
    "polynom_model",
    "polynom_schema",
    "selectinload",
]

__version__ = "0.1.0"
