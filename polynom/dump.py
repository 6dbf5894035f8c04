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

Dump and load take narrow objects -- an executor (or an open transaction), the
application's uuid and its schemas -- never the application itself.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, Protocol

from polynom.errors import DumpError, PolynomError
from polynom.migration import snapshot_of
from polynom.schema.internal import ChangeLogSchema
from polynom.schema.schema import ENTRY_ID, BaseSchema
from polynom.sql import dml
from polynom.sql import select as sql_select
from polynom.sql.names import quote, schema_entity
from polynom.unit_of_work.executor import Executor, Statements
from polynom.unit_of_work.persistence import insert_rows

__all__ = ["FORMAT", "VERSION", "Transaction", "count_entries", "dump", "load", "read_header"]

FORMAT = "polynom-dump"
VERSION = 1
_PAGE = 1000

Progress = Callable[[str, int], None] | None

Schemas = Sequence[type[BaseSchema]]


class Transaction(Protocol):
    """What a load writes through: an open session will do."""

    @property
    def executor(self) -> Executor: ...

    def commit(self) -> None: ...


def _open(path: Path, mode: str) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "wt" if mode == "w" else "rt", encoding="utf-8")
    return open(path, mode, encoding="utf-8")


def _entities(schemas: Schemas) -> list[type[BaseSchema]]:
    return [*schemas, ChangeLogSchema]


def _rows(
    statements: Statements, schema: type[BaseSchema], where: str, params: list[Any]
) -> Iterator[tuple[Any, ...]]:
    """Every row of an entity, paged by ``_entry_id`` so memory stays flat."""
    columns = [f.db_field_name for f in schema.all_fields()]
    text = sql_select.scan_page(columns, schema_entity(schema), ENTRY_ID, _PAGE, where)
    last = ""
    while True:
        rows = statements.execute(text, [*params, last]).rows
        yield from rows
        if len(rows) < _PAGE:
            return
        last = rows[-1][0]


def _filter(app_uuid: str, schema: type[BaseSchema]) -> tuple[str, list[Any]]:
    """The condition that keeps an entity's rows to the application's (the changelog's)."""
    if schema is ChangeLogSchema:
        return f"{quote('app_uuid')} = ?", [app_uuid]
    return "", []


def count_entries(statements: Statements, app_uuid: str, schemas: Schemas) -> list[int]:
    """How many entries a dump holds per entity: ``schemas``, then the changelog."""
    counts = []
    for schema in _entities(schemas):
        where, params = _filter(app_uuid, schema)
        text = sql_select.count(schema_entity(schema), [where] if where else [])
        counts.append(int(statements.execute(text, params).rows[0][0]))
    return counts


def dump(
    statements: Statements, app_uuid: str, schemas: Schemas, path: Path, progress: Progress = None
) -> int:
    """Write the application's entries to ``path``; returns how many were written.

    ``statements`` reads them (an open session); ``schemas`` are the application's.
    """
    entities = _entities(schemas)
    counts = count_entries(statements, app_uuid, schemas)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "app_uuid": app_uuid,
        "created_at": _dt.datetime.now(_dt.UTC).isoformat(),
        "schema": snapshot_of(schemas),
        "entities": [
            {
                "entity": s.qualified_name(),
                "fields": [f.db_field_name for f in s.all_fields()],
                "count": n,
            }
            for s, n in zip(entities, counts, strict=True)
        ],
    }
    total = 0
    with _open(path, "w") as out:
        out.write(json.dumps(header) + "\n")
        for schema in entities:
            name = schema.qualified_name()
            fields = schema.all_fields()
            where, params = _filter(app_uuid, schema)
            for row in _rows(statements, schema, where, params):
                values = [
                    None if raw is None else f.polytype.to_json(f.polytype.from_db(raw))
                    for f, raw in zip(fields, row, strict=True)
                ]
                out.write(json.dumps({"e": name, "v": values}) + "\n")
                total += 1
                if progress is not None:
                    progress(name, 1)
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


def load(
    transaction: Transaction,
    app_uuid: str,
    schemas: Schemas,
    path: Path,
    replace: bool = False,
    progress: Progress = None,
) -> int:
    """Load a dump in one transaction and commit it; returns how many entries were written.

    Refuses (with :class:`DumpError`, writing nothing) a dump of another application, of an
    incompatible schema, or one whose entries clash with existing ones (unless ``replace``,
    which first deletes the application's current entries). ``transaction`` is an open
    session of the application whose uuid and schemas are given.
    """
    header = read_header(path)
    if header.get("app_uuid") != app_uuid:
        raise DumpError(
            f"{path} is a dump of application {header.get('app_uuid')}, not of {app_uuid}"
        )
    current = snapshot_of(schemas)["entities"]
    dumped = header.get("schema", {}).get("entities", {})
    problems = _incompatibilities(dumped, current)
    if problems:
        raise DumpError(
            f"{path} does not fit the schemas of application {app_uuid}:\n  - "
            + "\n  - ".join(problems)
        )
    by_name = {s.qualified_name(): s for s in _entities(schemas)}
    for entity in header["entities"]:
        expected = [f.db_field_name for f in by_name[entity["entity"]].all_fields()]
        if entity["fields"] != expected:
            raise DumpError(f"{path}: the fields of {entity['entity']} do not match the schema")
    total = 0
    try:
        executor = transaction.executor
        with _open(path, "r") as src:
            src.readline()
            if replace:
                _clear(executor, app_uuid, schemas)
            batch: list[list[Any]] = []
            batch_entity = ""
            for number, line in enumerate(src, start=2):
                try:
                    item = json.loads(line)
                    entity, values = item["e"], item["v"]
                    schema = by_name[entity]
                except (ValueError, KeyError, TypeError):
                    raise DumpError(f"{path}, line {number}: not a dump entry") from None
                if entity != batch_entity or len(batch) >= _PAGE:
                    _write(executor, by_name.get(batch_entity), batch, progress, replace, path)
                    batch, batch_entity = [], entity
                batch.append(_decode(schema, values, path, number))
                total += 1
            _write(executor, by_name.get(batch_entity), batch, progress, replace, path)
        transaction.commit()
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
    executor: Executor,
    schema: type[BaseSchema] | None,
    rows: list[list[Any]],
    progress: Progress,
    replace: bool,
    path: Path,
) -> None:
    if schema is None or not rows:
        return
    if not replace:
        _refuse_existing(executor, schema, [row[0] for row in rows], path)
    insert_rows(executor, schema, rows)
    if progress is not None:
        progress(schema.qualified_name(), len(rows))


def _refuse_existing(
    executor: Executor, schema: type[BaseSchema], ids: list[Any], path: Path
) -> None:
    """Refuse a dump whose entries already exist -- asked of the store, whatever it
    enforces (a default Polypheny keeps no primary key: a second copy would be stored)."""
    key = quote(ENTRY_ID)
    found = executor.execute(
        sql_select.select(key, schema_entity(schema), [sql_select.in_list(key, len(ids))], limit=1),
        ids,
    ).rows
    if found:
        raise DumpError(
            f"{path}: entry {found[0][0]} of {schema.qualified_name()} already exists; nothing "
            "was written (load with replace to replace the application's entries)"
        )


def _clear(executor: Executor, app_uuid: str, schemas: Schemas) -> None:
    """Delete the application's entries (children first) and its changelog rows."""
    for schema in reversed(schemas):
        executor.execute(dml.delete_all(schema_entity(schema)))
    executor.execute(dml.delete_all(schema_entity(ChangeLogSchema), ["app_uuid"]), [app_uuid])
