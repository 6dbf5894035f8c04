"""Dump and load: every entry of an application in one portable file.

Format (version 1): JSON Lines, gzip-compressed when the file name ends in ``.gz``.
The first line is a header::

    {"format": "polynom-dump", "version": 1, "app_uuid": "...", "created_at": "...",
     "schema": <snapshot>, "entities": [{"entity": "ns.name", "fields": [...], "count": n}]}

Every further line is one entry: ``{"e": "ns.name", "v": [value, ...]}`` with values in the
header's field order, each in its polytype's exact JSON form (decimals and timestamps as
strings, bytes as base64...). The application's changelog rows follow as entity
``polynom_internal.change_log``. Loading checks the format version, the application and the
schema before it writes, and writes everything in one transaction: a dump that cannot be
loaded leaves the store as it was.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from polynom import sql
from polynom.errors import DumpError, PolynomError
from polynom.flush import rows_per_statement
from polynom.migration import snapshot_of
from polynom.schema.schema import ENTRY_ID, BaseSchema
from polynom.session import Session

if TYPE_CHECKING:
    from polynom.application import Application

__all__ = ["FORMAT", "VERSION", "dump", "load"]

FORMAT = "polynom-dump"
VERSION = 1
_PAGE = 1000

Progress = Callable[[str, int], None] | None


def _open(path: Path, mode: str) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "wt" if mode == "w" else "rt", encoding="utf-8")
    return open(path, mode, encoding="utf-8")


def _entities(app: Application) -> list[type[BaseSchema]]:
    from polynom.changelog import ChangeLogSchema

    return [*app.schemas, ChangeLogSchema]


def _rows(
    session: Session, schema: type[BaseSchema], where: str, params: list[Any]
) -> Iterator[tuple[Any, ...]]:
    """Every row of an entity, paged by ``_entry_id`` so memory stays flat."""
    columns = ", ".join(sql.quote(f.db_field_name) for f in schema.all_fields())
    table = sql.schema_entity(schema)
    last = ""
    while True:
        text = (
            f'SELECT {columns} FROM {table} WHERE {where} "{ENTRY_ID}" > ? '
            f'ORDER BY "{ENTRY_ID}" LIMIT {_PAGE}'
        )
        rows = session.execute(text, [*params, last]).rows
        yield from rows
        if len(rows) < _PAGE:
            return
        last = rows[-1][0]


def _filter(app: Application, schema: type[BaseSchema]) -> tuple[str, list[Any]]:
    from polynom.changelog import ChangeLogSchema

    if schema is ChangeLogSchema:
        return '"app_uuid" = ? AND', [app.app_uuid]
    return "", []


def dump(app: Application, path: Path, progress: Progress = None) -> int:
    """Write the application's entries to ``path``; returns how many were written."""
    schemas = _entities(app)
    total = 0
    with Session(app) as session:
        counts = []
        for schema in schemas:
            where, params = _filter(app, schema)
            text = f"SELECT COUNT(*) FROM {sql.schema_entity(schema)}"
            if where:
                text += " WHERE " + where.removesuffix(" AND")
            counts.append(int(session.execute(text, params).rows[0][0]))
        header = {
            "format": FORMAT,
            "version": VERSION,
            "app_uuid": app.app_uuid,
            "created_at": _dt.datetime.now(_dt.UTC).isoformat(),
            "schema": snapshot_of(app.schemas),
            "entities": [
                {
                    "entity": s.qualified_name(),
                    "fields": [f.db_field_name for f in s.all_fields()],
                    "count": n,
                }
                for s, n in zip(schemas, counts, strict=True)
            ],
        }
        with _open(path, "w") as out:
            out.write(json.dumps(header) + "\n")
            for schema in schemas:
                name = schema.qualified_name()
                fields = schema.all_fields()
                where, params = _filter(app, schema)
                done = 0
                for row in _rows(session, schema, where, params):
                    values = [
                        None if raw is None else f.polytype.to_json(f.polytype.from_db(raw))
                        for f, raw in zip(fields, row, strict=True)
                    ]
                    out.write(json.dumps({"e": name, "v": values}) + "\n")
                    done += 1
                    if progress is not None:
                        progress(name, 1)
                total += done
    return total


def read_header(path: Path) -> dict[str, Any]:
    """The header of a dump, checked for format and version."""
    try:
        with _open(path, "r") as src:
            header = json.loads(src.readline())
    except FileNotFoundError:
        raise DumpError(f"no dump at {path}") from None
    except (OSError, ValueError) as exc:
        raise DumpError(f"{path} is not a polynom dump: {exc}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise DumpError(f"{path} is not a polynom dump (no '{FORMAT}' header)")
    if header.get("version") != VERSION:
        raise DumpError(
            f"{path} is a dump of format version {header.get('version')}; this polynom reads "
            f"version {VERSION}"
        )
    return header


def load(app: Application, path: Path, replace: bool = False, progress: Progress = None) -> int:
    """Load a dump in one transaction; returns how many entries were written.

    Refuses (with :class:`DumpError`, writing nothing) a dump of another application, of an
    incompatible schema, or one whose entries clash with existing ones (unless ``replace``,
    which first deletes the application's current entries).
    """
    header = read_header(path)
    if header.get("app_uuid") != app.app_uuid:
        raise DumpError(
            f"{path} is a dump of application {header.get('app_uuid')}, not of {app.app_uuid}"
        )
    current = snapshot_of(app.schemas)["entities"]
    dumped = header.get("schema", {}).get("entities", {})
    problems = _incompatibilities(dumped, current)
    if problems:
        raise DumpError(
            f"{path} does not fit the schemas of application {app.app_uuid}:\n  - "
            + "\n  - ".join(problems)
        )
    schemas = {s.qualified_name(): s for s in _entities(app)}
    for entity in header["entities"]:
        expected = [f.db_field_name for f in schemas[entity["entity"]].all_fields()]
        if entity["fields"] != expected:
            raise DumpError(f"{path}: the fields of {entity['entity']} do not match the schema")
    total = 0
    try:
        with Session(app) as session, _open(path, "r") as src:
            src.readline()
            if replace:
                _clear(app, session, schemas)
            batch: list[list[Any]] = []
            batch_entity = ""
            for number, line in enumerate(src, start=2):
                try:
                    item = json.loads(line)
                    entity, values = item["e"], item["v"]
                    schema = schemas[entity]
                except (ValueError, KeyError, TypeError):
                    raise DumpError(f"{path}, line {number}: not a dump entry") from None
                if entity != batch_entity or len(batch) >= _PAGE:
                    _write(session, schemas.get(batch_entity), batch, progress)
                    batch, batch_entity = [], entity
                batch.append(_decode(schema, values, path, number))
                total += 1
            _write(session, schemas.get(batch_entity), batch, progress)
            session.commit()
    except DumpError:
        raise
    except PolynomError as exc:
        raise DumpError(f"loading {path} failed and nothing was written: {exc}") from exc
    return total


def _incompatibilities(dumped: dict[str, Any], current: dict[str, Any]) -> list[str]:
    def shape(entity: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(f["name"], f["sql_type"], f["nullable"]) for f in entity["fields"]]

    problems = [
        f"entity {name} is in the dump but not registered"
        for name in dumped.keys() - current.keys()
    ]
    problems += [
        f"entity {name} is registered but not in the dump"
        for name in current.keys() - dumped.keys()
    ]
    for name in dumped.keys() & current.keys():
        if shape(dumped[name]) != shape(current[name]):
            problems.append(f"entity {name} has different fields in the dump")
    return problems


def _decode(schema: type[BaseSchema], values: list[Any], path: Path, number: int) -> list[Any]:
    fields = schema.all_fields()
    if not isinstance(values, list) or len(values) != len(fields):
        raise DumpError(f"{path}, line {number}: expected {len(fields)} values")
    out: list[Any] = []
    for f, value in zip(fields, values, strict=True):
        if value is None:
            out.append(None)
            continue
        try:
            out.append(f.polytype.to_db(f.polytype.validate(f.polytype.from_json(value))))
        except (TypeError, ValueError) as exc:
            raise DumpError(
                f"{path}, line {number}: {schema.qualified_name()}.{f.db_field_name}: {exc}"
            ) from None
    return out


def _write(
    session: Session, schema: type[BaseSchema] | None, rows: list[list[Any]], progress: Progress
) -> None:
    if schema is None or not rows:
        return
    table = sql.schema_entity(schema)
    columns = [f.db_field_name for f in schema.all_fields()]
    per = rows_per_statement(session, len(columns))
    for start in range(0, len(rows), per):
        chunk = rows[start : start + per]
        session.execute(
            sql.insert_rows(table, columns, len(chunk)), [v for row in chunk for v in row]
        )
    if progress is not None:
        progress(schema.qualified_name(), len(rows))


def _clear(app: Application, session: Session, schemas: dict[str, type[BaseSchema]]) -> None:
    from polynom.changelog import ChangeLogSchema

    for schema in reversed(app.schemas):
        session.execute(f"DELETE FROM {sql.schema_entity(schema)}")
    session.execute(
        f'DELETE FROM {sql.schema_entity(ChangeLogSchema)} WHERE "app_uuid" = ?', [app.app_uuid]
    )
