"""polynom's own dump format (version 1): JSON Lines, lossless.

The first line is a header::

    {"format": "polynom-dump", "version": 1, "app_uuid": "...", "created_at": "...",
     "schema": <snapshot>, "entities": [{"entity": "ns.name", "fields": [...], "count": n}]}

Every further line is one entry: ``{"e": "ns.name", "v": [value, ...]}`` with values in the
header's field order, each in its polytype's exact JSON form (decimals and timestamps as
strings, bytes as base64...). The application's changelog rows follow as entity
``polynom_internal.change_log``. The file is gzip-compressed when its name ends in ``.gz``
(reading recognises gzip by its first bytes).
"""

from __future__ import annotations

import base64
import datetime as _dt
import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

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
from polynom.schema.polynom03_values import polynom03_kind
from polynom.schema.schema import BaseSchema, Field

__all__ = ["FORMAT", "VERSION", "NativeReader", "is_native", "write"]

FORMAT = "polynom-dump"
VERSION = 1

#: What reading a row of an entity (store values, in field order) yields.
Rows = Callable[[type[BaseSchema]], Iterator[tuple[Any, ...]]]


def is_native(first_line: str) -> bool:
    return first_line.lstrip().startswith("{")


def _open_text(path: Path, compress: bool) -> IO[str]:
    if compress:
        return gzip.open(path, "wt", encoding="utf-8")
    return open(path, "w", encoding="utf-8")


def write(
    path: Path,
    app_uuid: str,
    schemas: list[type[BaseSchema]],
    entities: list[type[BaseSchema]],
    counts: list[int],
    rows: Rows,
    progress: Callable[[str, int], None] | None,
    compress: bool = False,
) -> int:
    """Write a dump of ``entities`` (the schemas, then the changelog) to ``path``, gzipped
    with ``compress``."""
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
    with _open_text(path, compress) as out:
        out.write(json.dumps(header) + "\n")
        for schema in entities:
            name = schema.qualified_name()
            fields = schema.all_fields()
            for row in rows(schema):
                values = [
                    None if raw is None else f.polytype.to_json(f.polytype.from_db(raw))
                    for f, raw in zip(fields, row, strict=True)
                ]
                out.write(json.dumps({"e": name, "v": values}) + "\n")
                total += 1
                if progress is not None:
                    progress(name, 1)
    return total


def _from_json(field: Field, value: Any) -> Any:
    """A value in its polytype's JSON form, read strictly (base64 must be base64)."""
    if value is None:
        return None
    polytype = field.polytype
    if polynom03_kind(polytype) == "file":
        if not isinstance(value, str):
            raise TypeError(f"expected base64 text, got {type(value).__name__}")
        return base64.b64decode(value.encode("ascii"), validate=True)
    return polytype.from_json(value)


class NativeReader:
    """Reads a dump of our format: the header checked first, then one entry per line."""

    format = FORMAT

    def __init__(self, path: Path, app_uuid: str, schemas: list[type[BaseSchema]]) -> None:
        self.path = path
        self.app_uuid = app_uuid
        self.schemas = schemas
        self._lines = physical_lines(path)
        self.header = self._header()
        self.check = EntryCheck(path, app_uuid)
        self._expected: dict[type[BaseSchema], tuple[list[str], int]] = {}

    def _fail(self, line: int | None, message: str) -> DumpError:
        return problem(self.path, line, message)

    def _header(self) -> dict[str, Any]:
        first = next(self._lines, None)
        if first is None:
            raise self._fail(1, "is empty, not a polynom dump")
        try:
            header = json.loads(first[1])
        except DECODE_ERRORS as exc:
            raise self._fail(1, f"is not a polynom dump (the header is not JSON: {exc})") from None
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise self._fail(1, f"is not a polynom dump (no {FORMAT!r} header)")
        version = header.get("version")
        if type(version) is not int or version != VERSION:
            raise self._fail(
                1,
                f"a dump of format version {shorten(version)}; this polynom reads version "
                f"{VERSION}",
            )
        for key, kind in (("app_uuid", str), ("schema", dict), ("entities", list)):
            if not isinstance(header.get(key), kind):
                raise self._fail(1, f"the header's {key!r} is missing or not a {kind.__name__}")
        return header

    @property
    def dump_app_uuid(self) -> str:
        value: str = self.header["app_uuid"]
        return value

    @property
    def total(self) -> int | None:
        counts = [e.get("count") for e in self.header["entities"] if isinstance(e, dict)]
        return sum(c for c in counts if type(c) is int) if counts else None

    def check_schema(self, entities: list[type[BaseSchema]]) -> None:
        """Refuse a dump whose schema or entity list does not fit the application."""
        dumped = self.header["schema"].get("entities")
        if not isinstance(dumped, dict):
            raise self._fail(1, "the header's schema has no entities")
        current = snapshot_of(self.schemas)["entities"]
        problems = incompatibilities(dumped, current)
        if problems:
            raise DumpSchemaError(
                f"{self.path} does not fit the schemas of application {self.app_uuid}:\n  - "
                + "\n  - ".join(problems),
                line=1,
            )
        by_name = {s.qualified_name(): s for s in entities}
        for entity in self.header["entities"]:
            if not isinstance(entity, dict) or not isinstance(entity.get("entity"), str):
                raise self._fail(1, f"the header lists a malformed entity: {shorten(entity)}")
            schema = by_name.get(entity["entity"])
            if schema is None:
                raise self._fail(1, f"the header lists the unknown entity {entity['entity']!r}")
            expected = [f.db_field_name for f in schema.all_fields()]
            count = entity.get("count")
            if entity.get("fields") != expected or type(count) is not int or count < 0:
                raise self._fail(
                    1, f"the header's fields or count of {entity['entity']} do not match"
                )
            self._expected[schema] = (expected, count)

    def entries(self) -> Iterator[tuple[int, type[BaseSchema], list[Any]]]:
        """``(line, schema, store values)`` of every entry, each checked."""
        by_name = {s.qualified_name(): s for s in self._expected}
        for number, text in self._lines:
            if not text.strip():
                continue
            try:
                item = json.loads(text)
            except DECODE_ERRORS as exc:
                raise self._fail(number, f"not a dump entry (invalid JSON: {exc})") from None
            if not isinstance(item, dict) or not isinstance(item.get("e"), str):
                raise self._fail(number, "not a dump entry (no entity 'e')")
            schema = by_name.get(item["e"])
            if schema is None:
                raise self._fail(number, f"an entry of the unknown entity {clip(item['e'])}")
            values = item.get("v")
            fields = schema.all_fields()
            if not isinstance(values, list) or len(values) != len(fields):
                raise self._fail(number, f"{item['e']}: 'v' must be a list of {len(fields)} values")
            decoded = []
            for f, value in zip(fields, values, strict=True):
                try:
                    decoded.append(_from_json(f, value))
                except DECODE_ERRORS as exc:
                    raise self._fail(
                        number,
                        f"{item['e']}.{f.db_field_name}: {shorten(value)} is not a valid "
                        f"{type(f.polytype).__name__} value ({clip(str(exc), 120)})",
                    ) from None
            yield number, schema, self.check.row(number, schema, decoded)

    def finish(self) -> None:
        """Refuse a dump that ends before the entries its header announced (truncated)."""
        for schema, (_, count) in self._expected.items():
            found = self.check.counts.get(schema, 0)
            if found != count:
                raise self._fail(
                    None,
                    f"the header announces {count} entries of {schema.qualified_name()} but the "
                    f"file holds {found} (truncated or edited?)",
                )
