"""All the Polypheny SQL polynom writes, one module per statement kind.

- :mod:`~polynom.sql.names`: identifiers validated and double-quoted, qualified entities;
- :mod:`~polynom.sql.ddl`: namespaces, tables, column changes;
- :mod:`~polynom.sql.dml`: multi-row inserts, checked updates, deletes;
- :mod:`~polynom.sql.select`: queries, counts, paged scans;
- :mod:`~polynom.sql.expression`: filter and ordering expressions (``Bike.price > 100``).

Values are always bound as ``?`` parameters, except DEFAULT literals in DDL, which
polytypes render and escape. Stores receive the statements as text and parameters.
"""

from __future__ import annotations

from polynom.sql import ddl, dml, select
from polynom.sql.ddl import add_column, create_namespace, create_table
from polynom.sql.dml import delete_where_ids, insert_rows
from polynom.sql.names import entity, quote, schema_entity

__all__ = [
    "add_column",
    "create_namespace",
    "create_table",
    "ddl",
    "delete_where_ids",
    "dml",
    "entity",
    "insert_rows",
    "quote",
    "schema_entity",
    "select",
]
