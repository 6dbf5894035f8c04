"""What every dump reader shares: a dump file is untrusted input.

:func:`physical_lines` reads a file -- gzip or text, recognised by its first bytes -- line by
line, its line endings kept, and turns every read failure (a truncated gzip stream, bytes
that are not UTF-8) into a :class:`~polynom.errors.DumpError` naming the line.
:class:`EntryCheck` turns one entry's values into store values: each checked by its field's
polytype, no entry twice, changelog rows only of the dump's application. Every failure is a
``DumpError`` naming the file, the line, the entity and field, and what is wrong.
"""

from __future__ import annotations

import codecs
import gzip
import zlib
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import IO, Any

from polynom.errors import DumpError
from polynom.schema.internal import ChangeLogSchema
from polynom.schema.schema import ENTRY_ID, BaseSchema, Field

__all__ = [
    "DECODE_ERRORS",
    "EntryCheck",
    "clip",
    "incompatibilities",
    "opens_as_gzip",
    "physical_lines",
    "problem",
    "shorten",
]

#: What decoding a hostile value can raise, besides our own errors.
DECODE_ERRORS = (
    TypeError,
    ValueError,
    ArithmeticError,
    KeyError,
    IndexError,
    AttributeError,
    RecursionError,
    UnicodeError,
)

_GZIP_MAGIC = b"\x1f\x8b"
_READ_ERRORS = (OSError, EOFError, zlib.error, UnicodeDecodeError, gzip.BadGzipFile)


def shorten(value: Any, width: int = 60) -> str:
    """``repr(value)``, cut to ``width`` characters (a hostile value may be huge)."""
    try:
        text = repr(value) if not isinstance(value, str) else repr(value[: width + 1])
    except (ValueError, RecursionError):  # an int too long for repr
        text = f"<{type(value).__name__}>"
    return text if len(text) <= width else text[: width - 1] + "…"


def clip(text: str, width: int = 60) -> str:
    """A name or text from the file, cut to ``width`` characters."""
    return text if len(text) <= width else text[: width - 1] + "…"


def problem(path: Path, line: int | None, message: str) -> DumpError:
    """A ``DumpError`` for ``path`` at ``line``: what it says, and that nothing was written."""
    where = f"{path}, line {line}" if line else str(path)
    return DumpError(f"{where}: {message}; nothing was written", line=line)


def opens_as_gzip(path: Path) -> bool:
    """True when the file starts like a gzip stream (whatever its name says)."""
    try:
        with open(path, "rb") as raw:
            return raw.read(2) == _GZIP_MAGIC
    except FileNotFoundError:
        raise DumpError(f"no dump at {path}") from None
    except OSError as exc:
        raise DumpError(f"cannot read {path}: {exc.strerror or exc}") from None


def physical_lines(path: Path) -> Generator[tuple[int, str], None, None]:
    """``(number, line)`` for every line of the file, line endings kept, numbered from 1."""
    number = 0
    compressed = opens_as_gzip(path)
    try:
        with _open_binary(path, compressed) as raw:
            decoder = codecs.getincrementaldecoder("utf-8")()
            pending = ""
            while chunk := raw.read(1 << 16):
                pending += decoder.decode(chunk)
                *complete, pending = _split_keepends(pending)
                for text in complete:
                    number += 1
                    yield number, text
            pending += decoder.decode(b"", final=True)
            if pending:
                number += 1
                yield number, pending
    except DumpError:
        raise
    except _READ_ERRORS as exc:
        reason = "the compressed stream is cut off" if isinstance(exc, EOFError) else str(exc)
        message = f"cannot be read ({type(exc).__name__}: {reason})"
        raise problem(path, number + 1, message) from None


def _open_binary(path: Path, compressed: bool) -> IO[bytes]:
    if compressed:
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _split_keepends(text: str) -> list[str]:
    """Lines ending in ``\\n`` each, and what follows the last one (maybe ``""``)."""
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + [parts[-1]]


def incompatibilities(dumped: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """How a dump's entities differ from the application's (our snapshot form each)."""

    def shape(entity: Any) -> list[tuple[Any, ...]]:
        fields = entity.get("fields") if isinstance(entity, dict) else None
        if not isinstance(fields, list):
            return []
        return [
            (f.get("name"), f.get("sql_type"), f.get("nullable"))
            for f in fields
            if isinstance(f, dict)
        ]

    problems = [
        f"entity {name} is in the dump but not registered"
        for name in sorted(dumped.keys() - current.keys())
    ]
    problems += [
        f"entity {name} is registered but not in the dump"
        for name in sorted(current.keys() - dumped.keys())
    ]
    for name in sorted(dumped.keys() & current.keys()):
        if shape(dumped[name]) != shape(current[name]):
            problems.append(f"entity {name} has different fields in the dump")
    return problems


class EntryCheck:
    """Checks each entry a reader decoded and turns it into store values."""

    def __init__(self, path: Path, app_uuid: str) -> None:
        self.path = path
        self.app_uuid = app_uuid
        self._seen: dict[type[BaseSchema], dict[str, int]] = {}
        self.counts: dict[type[BaseSchema], int] = {}

    def error(self, line: int, message: str) -> DumpError:
        return problem(self.path, line, message)

    def row(self, line: int, schema: type[BaseSchema], values: Sequence[Any]) -> list[Any]:
        """``values`` (model values, in the schema's field order) as store values."""
        fields = schema.all_fields()
        if len(values) != len(fields):
            raise self.error(line, f"{schema.qualified_name()}: expected {len(fields)} values")
        out = [self._store_value(line, schema, f, v) for f, v in zip(fields, values, strict=True)]
        entry_id = out[0]
        if entry_id is None:
            raise self.error(line, f"{schema.qualified_name()}: the entry has no {ENTRY_ID}")
        seen = self._seen.setdefault(schema, {})
        first = seen.get(entry_id)
        if first is not None:
            raise self.error(
                line,
                f"{schema.qualified_name()} {entry_id} is in the dump twice (first on line "
                f"{first})",
            )
        seen[entry_id] = line
        if schema is ChangeLogSchema:
            owner = out[1]  # app_uuid
            if owner != self.app_uuid:
                raise self.error(
                    line,
                    f"a changelog entry of application {shorten(owner)}, not of {self.app_uuid}: "
                    "a dump carries only its own application's history",
                )
        self.counts[schema] = self.counts.get(schema, 0) + 1
        return out

    def _store_value(self, line: int, schema: type[BaseSchema], field: Field, value: Any) -> Any:
        if value is None:
            if not field.nullable:
                raise self.error(
                    line, f"{schema.qualified_name()}.{field.db_field_name} is required but null"
                )
            return None
        polytype = field.polytype
        try:
            stored = polytype.to_db(polytype.validate(value))
            if isinstance(stored, str):
                stored.encode("utf-8")  # a lone surrogate cannot be stored anywhere
        except DECODE_ERRORS as exc:
            raise self.error(
                line,
                f"{schema.qualified_name()}.{field.db_field_name}: {shorten(value)} is not a valid "
                f"{type(polytype).__name__} value ({type(exc).__name__}: {clip(str(exc), 120)})",
            ) from None
        return stored
