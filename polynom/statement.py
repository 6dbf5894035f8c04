"""PolyNOM 0.3's ``polynom.statement`` (a face): ``Statement`` is
:class:`polynom.sql.polynom03.Statement`, and the statement generator builds PolyNOM's
statements with :mod:`polynom.sql` -- values bound as ``?`` parameters, names validated and
quoted -- for code that ran statements of its own through PolyNOM's generator.
"""

from __future__ import annotations

from typing import Any

from polynom.errors import SchemaError
from polynom.model.mapper import mapper_of
from polynom.schema.schema import ENTRY_ID, BaseSchema, DataModel, schema_class
from polynom.sql import ddl, dml
from polynom.sql.names import schema_entity
from polynom.sql.polynom03 import Statement

__all__ = ["Statement", "StatementGenerator", "get_generator_for_data_model"]


class StatementGenerator:
    """PolyNOM 0.3's ``_SqlGenerator``: the statements of one model or schema."""

    LANGUAGE = "sql"

    def insert(self, model: Any) -> Statement:
        mapper = mapper_of(model)
        columns = [a.field.db_field_name for a in mapper.columns]
        values = [_db(a, model.__dict__.get(a.name)) for a in mapper.columns]
        text = dml.insert_rows(schema_entity(mapper.schema), columns, 1)
        return Statement(self.LANGUAGE, text, values, mapper.schema.namespace())

    def update(self, model: Any) -> Statement:
        mapper = mapper_of(model)
        columns = [a for a in mapper.columns if a.name != ENTRY_ID]
        text = dml.update_checked(
            schema_entity(mapper.schema), [a.field.db_field_name for a in columns], []
        )
        values = [_db(a, model.__dict__.get(a.name)) for a in columns]
        values.append(model.__dict__[ENTRY_ID])
        return Statement(self.LANGUAGE, text, values, mapper.schema.namespace())

    def delete(self, model: Any) -> Statement:
        mapper = mapper_of(model)
        text = dml.delete_where_ids(schema_entity(mapper.schema), 1)
        return Statement(self.LANGUAGE, text, [model.__dict__[ENTRY_ID]], mapper.schema.namespace())

    def create_namespace(
        self,
        namespace: str,
        datamodel: DataModel = DataModel.RELATIONAL,
        if_not_exists: bool = True,
    ) -> Statement:
        _relational(datamodel)
        return Statement(self.LANGUAGE, ddl.create_namespace(namespace))

    def drop_namespace(self, namespace: str, if_exists: bool = True) -> Statement:
        return Statement(self.LANGUAGE, ddl.drop_namespace(namespace))

    def define_entity(
        self, schema: type[BaseSchema] | BaseSchema, if_not_exists: bool = True
    ) -> Statement:
        cls = schema_class(schema)
        return Statement(self.LANGUAGE, ddl.create_table(cls), None, cls.namespace())

    def drop_entity(
        self, schema: type[BaseSchema] | BaseSchema, if_exists: bool = True
    ) -> Statement:
        cls = schema_class(schema)
        return Statement(self.LANGUAGE, ddl.drop_table(schema_entity(cls)), None, cls.namespace())

    # PolyNOM 0.3's names
    _insert = insert
    _update = update
    _delete = delete
    _create_namespace = create_namespace
    _drop_namespace = drop_namespace
    _define_entity = define_entity
    _drop_entity = drop_entity


def _db(attribute: Any, value: Any) -> Any:
    return None if value is None else attribute.polytype.to_db(value)


def _relational(data_model: DataModel) -> None:
    if data_model is not DataModel.RELATIONAL:
        raise SchemaError(f"only relational entities can be mapped, not {data_model.name}")


def get_generator_for_data_model(data_model: DataModel) -> StatementGenerator:
    """The statement generator for a data model (only ``RELATIONAL`` has one)."""
    _relational(data_model)
    return StatementGenerator()


#: PolyNOM 0.3's name for the generator class.
_SqlGenerator = StatementGenerator
