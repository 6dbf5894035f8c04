"""PolyNOM 0.3's dump format, read and written.

A PolyNOM dump is SQL text: a header of exactly five lines::

    /*
    @format_version: 1
    @app_uuid: <uuid>
    @snapshot: {"version": "...", "schemas": [...]}
    */

then one statement per line, ``/*sql@<namespace or None>*/ <statement>``: a ``CREATE
RELATIONAL NAMESPACE`` the first time a namespace appears, a ``CREATE TABLE`` per entity and
one ``INSERT`` per entry, values inlined (``polynom.sql.polynom03``).

**Reading** never runs the file's SQL: the header is checked (format, application, its
snapshot against the application's schemas), each INSERT is parsed and its values decoded by
the column's polytype, and anything else is refused. PolyNOM wrote values as they are, line
breaks included, so a statement whose text ends inside a string continues on the next line
(kept byte for byte, ``\\r`` and all); a statement still open at the end of the file is a
truncated file. PolyNOM's unquoted dates, times and timestamps and its ``b'...'`` bytes are
read by the column's type.

**Writing** gives PolyNOM 0.3's own loader -- which runs every line as it is -- literals it
can pass on (``DATE '...'``, ``TIMESTAMP '...'``, ``X'...'``), the changelog in PolyNOM's 7
columns, and refuses (``DumpError``) a value PolyNOM cannot read back: a text with a line
break.
"""

from __future__ import annotations

import datetime as _dt
import decimal as _decimal
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from polynom.dump.entries import (
    DECODE_ERRORS,
    EntryCheck,
    clip,
    incompatibilities,
    physical_lines,
    problem,
    shorten,
)
from polynom.errors import DumpError, DumpSchemaError
from polynom.migration import snapshot_of
from polynom.schema.internal import ChangeLogSchema
from polynom.schema.polynom03_snapshot import (
    POLYNOM03_CHANGE_LOG_COLUMNS,
    Polynom03ChangeLogSchema,
    polynom03_snapshot,
    stored_entities,
)
from polynom.schema.polynom03_values import polynom03_kind
from polynom.schema.schema import BaseSchema, Field
from polynom.sql import ddl
from polynom.sql.names import quote, schema_entity
from polynom.sql.polynom03 import (
    Incomplete,
    ParsedStatement,
    Token,
    create_namespace_line,
    line,
    literal,
    parse_statement,
    split_prefix,
)

__all__ = ["FORMAT", "Polynom03Reader", "is_polynom03_dump", "write"]

FORMAT = "polynom03"
_FORMAT_VERSION = 1
_HEADER_LINES = 5

Rows = Callable[[type[BaseSchema]], Iterator[tuple[Any, ...]]]


def is_polynom03_dump(first_line: str) -> bool:
    return first_line.strip() == "/*"


# -- writing ---------------------------------------------------------------------------------


def write(
    path: Path,
    app_uuid: str,
    schemas: list[type[BaseSchema]],
    rows: Rows,
    progress: Callable[[str, int], None] | None,
) -> int:
    """Write a dump PolyNOM 0.3 loads: the schemas' entries, then this app's changelog."""
    total = 0
    seen: set[str] = set()
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write("/*\n")
        out.write(f"@format_version: {_FORMAT_VERSION}\n")
        out.write(f"@app_uuid: {app_uuid}\n")
        out.write(f"@snapshot: {json.dumps(polynom03_snapshot(schemas))}\n")
        out.write("*/\n")
        entities: list[type[BaseSchema]] = [*schemas, ChangeLogSchema]
        for schema in entities:
            namespace = schema.namespace()
            if namespace not in seen:
                seen.add(namespace)
                out.write(create_namespace_line(namespace) + "\n")
            written = Polynom03ChangeLogSchema if schema is ChangeLogSchema else schema
            out.write(line(namespace, ddl.create_table(written) + ";") + "\n")
            fields = written.all_fields()
            columns = ", ".join(quote(f.db_field_name) for f in fields)
            table = schema_entity(schema)
            for row in rows(schema):
                values = ", ".join(
                    _literal(schema, f, raw, row[0]) for f, raw in zip(fields, row, strict=False)
                )
                out.write(line(namespace, f"INSERT INTO {table} ({columns}) VALUES ({values})"))
                out.write("\n")
                total += 1
                if progress is not None:
                    progress(schema.qualified_name(), 1)
    return total


def _literal(schema: type[BaseSchema], field: Field, raw: Any, entry_id: Any) -> str:
    polytype = field.polytype
    try:
        return literal(polytype, None if raw is None else polytype.from_db(raw))
    except ValueError as exc:
        raise DumpError(
            f"{schema.qualified_name()} {entry_id}: {field.db_field_name} cannot be written in "
            f"PolyNOM 0.3's format: {exc} (use polynom's own format, which keeps every value)"
        ) from None


# -- reading ---------------------------------------------------------------------------------


class Polynom03Reader:
    """Reads a PolyNOM 0.3 dump: the header checked first, then statement by statement."""

    format = FORMAT
    total = None

    def __init__(self, path: Path, app_uuid: str, schemas: list[type[BaseSchema]]) -> None:
        self.path = path
        self.app_uuid = app_uuid
        self.schemas = schemas
        self._lines = physical_lines(path)
        self.snapshot = self._header()
        self.check = EntryCheck(path, app_uuid)
        self._entities: dict[tuple[str, str], type[BaseSchema]] = {}

    def _fail(self, number: int | None, message: str) -> DumpError:
        return problem(self.path, number, message)

    def _header(self) -> dict[str, Any]:
        lines: list[str] = []
        for number, text in self._lines:
            lines.append(text.rstrip("\r\n"))
            if number == _HEADER_LINES:
                break
        expected = ["/*", "@format_version:", "@app_uuid:", "@snapshot:", "*/"]
        for number, (text, start) in enumerate(zip(lines, expected, strict=False), start=1):
            if not text.strip().startswith(start) or (
                start in ("/*", "*/") and text.strip() != start
            ):
                raise self._fail(
                    number, f"not a PolyNOM 0.3 dump header (line {number} must be {start!r}...)"
                )
        if len(lines) < _HEADER_LINES:
            raise self._fail(len(lines) + 1, "the PolyNOM dump header is cut off")
        version = lines[1].split(":", 1)[1].strip()
        if version != str(_FORMAT_VERSION):
            raise self._fail(
                2,
                f"a PolyNOM dump of format version {shorten(version)}; this polynom reads "
                f"version {_FORMAT_VERSION}",
            )
        self.dump_app_uuid = lines[2].split(":", 1)[1].strip()
        try:
            snapshot = json.loads(lines[3].split(":", 1)[1])
        except DECODE_ERRORS as exc:
            raise self._fail(4, f"the header's @snapshot is not JSON ({exc})") from None
        if not isinstance(snapshot, dict) or not isinstance(snapshot.get("schemas"), list):
            raise self._fail(4, "the header's @snapshot has no 'schemas' list")
        return snapshot

    def check_schema(self, entities: list[type[BaseSchema]]) -> None:
        """Refuse a dump whose snapshot does not fit the application's schemas."""
        try:
            dumped = stored_entities(self.snapshot, self.schemas)
        except ValueError as exc:
            raise self._fail(4, str(exc)) from None
        problems = incompatibilities(dumped, snapshot_of(self.schemas)["entities"])
        if problems:
            raise DumpSchemaError(
                f"{self.path} does not fit the schemas of application {self.app_uuid}:\n  - "
                + "\n  - ".join(problems),
                line=4,
            )
        self._entities = {(s.namespace(), s.entity_name): s for s in entities}
        self._folded = {(k[0].lower(), k[1].lower()): s for k, s in self._entities.items()}

    def _schema(self, number: int, statement: ParsedStatement) -> type[BaseSchema]:
        key = (statement.namespace, statement.entity)
        schema = self._entities.get(key) or self._folded.get((key[0].lower(), key[1].lower()))
        if schema is None:
            raise self._fail(
                number,
                f"the unknown entity {clip(statement.namespace)}.{clip(statement.entity)}",
            )
        return schema

    def _statements(self) -> Iterator[tuple[int, str | None, str]]:
        """``(first line, namespace, text)`` of every statement, continuations joined."""
        pending: tuple[int, str | None, str] | None = None
        for number, text in self._lines:
            if pending is not None:
                start, namespace, body = pending
                body += text
                try:
                    parse_statement(body)
                except Incomplete:
                    pending = (start, namespace, body)
                    continue
                except ValueError:
                    pass  # complete now; the caller reports what is wrong with it
                pending = None
                yield start, namespace, body
                continue
            if not text.strip():
                continue
            parts = split_prefix(text)
            if parts is None:
                raise self._fail(
                    number, f"not a statement line of a PolyNOM dump: {shorten(text.strip())}"
                )
            language, namespace, body = parts
            if language != "sql":
                raise self._fail(number, f"a {clip(language)} statement; PolyNOM dumps hold SQL")
            try:
                parse_statement(body)
            except Incomplete:
                pending = (number, namespace, body)
                continue
            except ValueError:
                pass
            yield number, namespace, body
        if pending is not None:
            raise self._fail(
                pending[0],
                "the statement starting here never ends (a string is not closed): the file is "
                "cut off",
            )

    def entries(self) -> Iterator[tuple[int, type[BaseSchema], list[Any]]]:
        """``(line, schema, store values)`` of every INSERT, each checked."""
        known_namespaces = {ns for ns, _ in self._entities}
        for number, namespace, text in self._statements():
            try:
                statement = parse_statement(text.rstrip("\r\n"))
            except ValueError as exc:
                raise self._fail(number, f"cannot be read: {exc}") from None
            if statement.kind == "namespace":
                if statement.namespace not in known_namespaces:
                    raise self._fail(
                        number, f"the namespace {clip(statement.namespace)} is not this app's"
                    )
                continue
            schema = self._schema(number, statement)
            if namespace is not None and namespace.lower() != schema.namespace().lower():
                raise self._fail(
                    number,
                    f"a statement for {schema.qualified_name()} marked @{shorten(namespace)}",
                )
            if statement.kind == "table":
                continue
            yield number, schema, self._row(number, schema, statement)

    def _row(self, number: int, schema: type[BaseSchema], statement: ParsedStatement) -> list[Any]:
        fields = {f.db_field_name.lower(): f for f in schema.all_fields()}
        values: dict[str, Any] = {}
        for column, token in zip(statement.columns, statement.values, strict=True):
            field = fields.get(column.lower())
            if field is None:
                raise self._fail(number, f"{schema.qualified_name()} has no column {clip(column)}")
            if field.db_field_name in values:
                raise self._fail(number, f"the column {column} is given twice")
            try:
                values[field.db_field_name] = _decode(field, token)
            except DECODE_ERRORS as exc:
                raise self._fail(
                    number,
                    f"{schema.qualified_name()}.{field.db_field_name}: {shorten(token.value)} is "
                    f"not a valid {type(field.polytype).__name__} value ({clip(str(exc), 120)})",
                ) from None
        optional = (
            set(ChangeLogSchema.all_fields()[len(POLYNOM03_CHANGE_LOG_COLUMNS) :])
            if schema is ChangeLogSchema
            else set()
        )
        missing = [
            f.db_field_name
            for f in schema.all_fields()
            if f.db_field_name not in values and f not in optional
        ]
        if missing:
            raise self._fail(
                number, f"the INSERT into {schema.qualified_name()} lacks {', '.join(missing)}"
            )
        row = [values.get(f.db_field_name) for f in schema.all_fields()]
        return self.check.row(number, schema, row)

    def finish(self) -> None:
        """Nothing to compare at the end: a PolyNOM header announces no counts."""


def _decode(field: Field, token: Token) -> Any:
    """The model value a PolyNOM literal stands for, read by the column's type."""
    if token.kind == "null":
        return None
    polytype = field.polytype
    kind = polynom03_kind(polytype)
    value = token.value
    if kind == "file":
        if token.kind not in ("bytes", "hex"):
            raise TypeError(f"expected b'...' or X'...' bytes, got a {token.kind} value")
        return value
    if kind == "boolean":
        if token.kind != "bool":
            raise TypeError(f"expected TRUE or FALSE, got a {token.kind} value")
        return value
    if kind in ("number", "decimal"):
        if token.kind != "bare":
            raise TypeError(f"expected a number, got a {token.kind} value")
        text = value.strip()
        if kind == "decimal":
            return _decimal.Decimal(text)
        if type(polytype).__name__ in ("Double", "Real") or any(c in text for c in ".eE"):
            return float(text)
        return int(text)
    if kind == "temporal":
        if token.kind not in ("bare", "typed", "string"):
            raise TypeError(f"expected a date or time, got a {token.kind} value")
        return _temporal(polytype, value.strip())
    if token.kind != "string":
        raise TypeError(f"expected a quoted string, got a {token.kind} value")
    if kind in ("json", "enum", "geometry"):
        return polytype.from_db(value)
    return value


def _temporal(polytype: Any, text: str) -> Any:
    names = {c.__name__ for c in type(polytype).__mro__}
    if "Timestamp" in names:
        return _dt.datetime.fromisoformat(text)
    if "Date" in names:
        return _dt.date.fromisoformat(text)
    return _dt.time.fromisoformat(text)
