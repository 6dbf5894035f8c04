"""Fields: the columns of a schema (PolyNOM's import path for them).

They are declared in :mod:`polynom.schema.schema`, next to the schemas they refer to.
"""

from polynom.schema.schema import BaseField, Field, ForeignKeyField, PrimaryKeyField

#: PolyNOM 0.3's name for the base of its fields (its test suite imports it).
_BaseField = BaseField

__all__ = ["BaseField", "Field", "ForeignKeyField", "PrimaryKeyField"]
