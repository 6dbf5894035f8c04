"""polynom: the PolyNOM object mapper for Polypheny, and Polydatum-style data access.

The names most programs need are importable from here; PolyNOM's module paths
(``polynom.application.Application``, ``polynom.schema.field.Field``...) work as well.

The names are imported when first used (PEP 562), not when ``polynom`` is: importing a
submodule -- the pytest plugin, ``polynom.errors`` -- does not load the whole mapper.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from polynom.application import Application
    from polynom.changelog import ChangeRecord, history
    from polynom.errors import PolynomError
    from polynom.model.model import BaseModel, FlexModel
    from polynom.model.model_registry import polynom_model
    from polynom.model.relationship import Relationship
    from polynom.model.state import ModelState, model_state
    from polynom.query import Query, joinedload, selectinload
    from polynom.schema.schema import BaseSchema, Field, ForeignKeyField, PrimaryKeyField
    from polynom.schema.schema_registry import polynom_schema
    from polynom.session import Session
    from polynom.sql.expression import and_, not_, or_

__all__ = [
    "Application",
    "BaseModel",
    "BaseSchema",
    "ChangeRecord",
    "Field",
    "FlexModel",
    "ForeignKeyField",
    "ModelState",
    "PolynomError",
    "PrimaryKeyField",
    "Query",
    "Relationship",
    "Session",
    "and_",
    "history",
    "joinedload",
    "model_state",
    "not_",
    "or_",
    "polynom_model",
    "polynom_schema",
    "selectinload",
]

__version__ = "0.1.0"

#: Where each public name lives (the ``TYPE_CHECKING`` imports above, for type checkers).
_LAZY = {
    "Application": "polynom.application",
    "ChangeRecord": "polynom.changelog",
    "history": "polynom.changelog",
    "PolynomError": "polynom.errors",
    "and_": "polynom.sql.expression",
    "not_": "polynom.sql.expression",
    "or_": "polynom.sql.expression",
    "BaseModel": "polynom.model.model",
    "FlexModel": "polynom.model.model",
    "polynom_model": "polynom.model.model_registry",
    "Relationship": "polynom.model.relationship",
    "ModelState": "polynom.model.state",
    "model_state": "polynom.model.state",
    "Query": "polynom.query",
    "joinedload": "polynom.query",
    "selectinload": "polynom.query",
    "Field": "polynom.schema.schema",
    "ForeignKeyField": "polynom.schema.schema",
    "PrimaryKeyField": "polynom.schema.schema",
    "BaseSchema": "polynom.schema.schema",
    "polynom_schema": "polynom.schema.schema_registry",
    "Session": "polynom.session",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
