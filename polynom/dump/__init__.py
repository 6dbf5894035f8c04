"""Dump and load: every entry of an application in one portable file.

Two formats: polynom's own (:mod:`polynom.dump.native`, JSON Lines, lossless, the default)
and PolyNOM 0.3's SQL text (:mod:`polynom.dump.polynom03`), which PolyNOM users already have
and which PolyNOM 0.3 loads. :func:`load` recognises which one a file is by its first line.

A dump file is untrusted input: loading checks the header (format, version, application,
schema) before it writes, decodes every value with its field's polytype, refuses duplicate
entries and changelog rows of another application, and writes everything in one
transaction. Whatever is wrong -- a truncated or foreign file, a malformed line, a value
that does not fit -- is a :class:`~polynom.errors.DumpError` naming the line and the
problem, and the store is left as it was.

Dump and load take narrow objects -- an executor (or an open transaction), the
application's uuid and its schemas -- never the application itself.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from polynom.dump import native, polynom03
from polynom.dump.entries import physical_lines, shorten
from polynom.errors import DumpError, ExistingEntriesError, IntegrityError, PolynomError
from polynom.schema.internal import ChangeLogSchema
from polynom.schema.schema import ENTRY_ID, BaseSchema
from polynom.sql import dml
from polynom.sql import select as sql_select
from polynom.sql.names import quote, schema_entity
from polynom.unit_of_work.executor import Executor, Statements
from polynom.unit_of_work.persistence import insert_rows

__all__ = [
    "FORMAT",
    "FORMATS",
    "POLYNOM03",
    "VERSION",
    "DumpInfo",
    "Transaction",
    "count_entries",
    "dump",
    "inspect",
    "load",
    "read_header",
]

FORMAT = native.FORMAT
VERSION = native.VERSION
#: PolyNOM 0.3's format, for ``dump(format=POLYNOM03)``.
POLYNOM03 = polynom03.FORMAT
FORMATS = (FORMAT, POLYNOM03)
_PAGE = 1000

Progress = Callable[[str, int], None] | None

Schemas = Sequence[type[BaseSchema]]


class Transaction(Protocol):
    """What a load writes through: an open session will do."""

    @property
    def executor(self) -> Executor: ...

    def commit(self) -> None: ...


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


# -- dump ------------------------------------------------------------------------------------


def dump(
    statements: Statements,
    app_uuid: str,
    schemas: Schemas,
    path: Path,
    progress: Progress = None,
    format: str = FORMAT,
) -> int:
    """Write the application's entries to ``path`` in ``format``; returns how many.

    ``statements`` reads them (an open session); ``schemas`` are the application's. The
    file appears complete or not at all: it is written beside ``path`` and moved there.
    """
    if format not in FORMATS:
        raise DumpError(f"unknown dump format {format!r}; the formats are {', '.join(FORMATS)}")
    schemas = list(schemas)

    def rows(schema: type[BaseSchema]) -> Iterator[tuple[Any, ...]]:
        where, params = _filter(app_uuid, schema)
        return _rows(statements, schema, where, params)

    partial = path.with_name(path.name + ".partial")
    try:
        if format == POLYNOM03:
            total = polynom03.write(partial, app_uuid, schemas, rows, progress)
        else:
            entities = _entities(schemas)
            counts = count_entries(statements, app_uuid, schemas)
            compress = path.suffix == ".gz"
            total = native.write(
                partial, app_uuid, schemas, entities, counts, rows, progress, compress
            )
        os.replace(partial, path)
    except BaseException:
        with contextlib.suppress(OSError):
            partial.unlink()
        raise
    return total


# -- load ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DumpInfo:
    """What a dump's header says: its format, application and (when known) entry count."""

    format: str
    app_uuid: str
    total: int | None


def _reader(path: Path, app_uuid: str, schemas: Schemas) -> Any:
    """The reader for the file's format (recognised by its first line), header checked."""
    with contextlib.closing(physical_lines(path)) as lines:
        first = next(lines, None)
    text = first[1] if first is not None else ""
    if polynom03.is_polynom03_dump(text):
        return polynom03.Polynom03Reader(path, app_uuid, list(schemas))
    if native.is_native(text) or not text.strip():
        return native.NativeReader(path, app_uuid, list(schemas))
    raise DumpError(
        f"{path}, line 1: is not a polynom dump, nor a PolyNOM 0.3 dump "
        f"(it starts with {shorten(text.strip(), 40)}); nothing was written",
        line=1,
    )


def inspect(path: Path) -> DumpInfo:
    """The format, application and entry count of a dump, from its header alone."""
    reader = _reader(path, "", [])
    return DumpInfo(reader.format, reader.dump_app_uuid, reader.total)


def read_header(path: Path) -> dict[str, Any]:
    """The header of a dump of polynom's own format, checked for format and version."""
    reader = _reader(path, "", [])
    if not isinstance(reader, native.NativeReader):
        raise DumpError(f"{path} is a PolyNOM 0.3 dump, which has no JSON header")
    return reader.header


def load(
    transaction: Transaction,
    app_uuid: str,
    schemas: Schemas,
    path: Path,
    replace: bool = False,
    progress: Progress = None,
) -> int:
    """Load a dump (either format) in one transaction and commit it; returns how many entries.

    Refuses (with :class:`DumpError`, writing nothing) a file that is not a dump or is
    damaged, a dump of another application or of an incompatible schema, and -- unless
    ``replace``, which first deletes the application's current entries and changelog --
    entries that exist already. ``transaction`` is an open session of the application whose
    uuid and schemas are given.
    """
    reader = _reader(path, app_uuid, schemas)
    if reader.dump_app_uuid != app_uuid:
        raise DumpError(
            f"{path} is a dump of application {shorten(reader.dump_app_uuid)}, not of "
            f"{app_uuid}; nothing was written",
            line=1,
        )
    entities = _entities(schemas)
    reader.check_schema(entities)
    total = 0
    try:
        executor = transaction.executor
        if replace:
            _clear(executor, app_uuid, schemas)
        batch: list[list[Any]] = []
        batch_schema: type[BaseSchema] | None = None
        for _line, schema, row in reader.entries():
            if schema is not batch_schema or len(batch) >= _PAGE:
                _write(executor, batch_schema, batch, progress)
                batch, batch_schema = [], schema
            batch.append(row)
            total += 1
        _write(executor, batch_schema, batch, progress)
        reader.finish()
        transaction.commit()
    except DumpError:
        raise
    except IntegrityError as exc:
        what = re.split(r"; statement:| \[SQL:", str(exc), maxsplit=1)[0]  # not its SQL
        raise ExistingEntriesError(
            f"{path}: entries of the dump clash with entries already in the store ({what}); "
            "nothing was written -- load with replace=True to replace the application's "
            "entries",
            detail=what,
        ) from exc
    except PolynomError as exc:
        raise DumpError(f"loading {path} failed and nothing was written: {exc}") from exc
    return total


def _write(
    executor: Executor, schema: type[BaseSchema] | None, rows: list[list[Any]], progress: Progress
) -> None:
    """Write one batch of checked rows of one entity."""
    if schema is None or not rows:
        return
    insert_rows(executor, schema, rows)
    if progress is not None:
        progress(schema.qualified_name(), len(rows))


def _clear(executor: Executor, app_uuid: str, schemas: Schemas) -> None:
    """Delete the application's entries (children first) and its changelog rows."""
    for schema in reversed(schemas):
        executor.execute(dml.delete_all(schema_entity(schema)))
    executor.execute(dml.delete_all(schema_entity(ChangeLogSchema), ["app_uuid"]), [app_uuid])
