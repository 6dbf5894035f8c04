"""Fields: the columns of a schema (PolyNOM's import path for them).

They are declared in :mod:`polynom.schema.schema`, next to the schemas they refer to.
"""

from polynom.schema.schema import Field, ForeignKeyField, PrimaryKeyField

__all__ = ["Field", "ForeignKeyField", "PrimaryKeyField"]
