"""PolyNOM 0.3's SQL text: the statement lines of its dump files, written and read.

A PolyNOM line is ``/*<language>@<namespace or None>*/ <statement>``, the statement's ``?``
replaced by its values inlined (:meth:`Statement.dump`). PolyNOM's own loader runs each
line as it is, so a dump polynom writes for it (:func:`literal`) uses literals Polypheny
parses -- ``DATE '...'``, ``TIMESTAMP '...'``, ``X'...'`` -- where PolyNOM wrote a bare
``2025-12-31`` or ``b'...'`` that its loader then fails on.

Reading (:func:`parse_statement`) never executes anything: it recognises the three kinds of
statement a PolyNOM dump holds -- ``CREATE RELATIONAL NAMESPACE``, ``CREATE TABLE``, a
one-row ``INSERT`` -- and returns the INSERT's values as :class:`Token`\\ s for the caller to
decode with the column's polytype. PolyNOM wrote line breaks inside values as they are, so a
statement may continue on the next line: :class:`Incomplete` says the text ended inside a
string literal.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from polynom.schema.polynom03_values import polynom03_kind
from polynom.sql.names import quote

if TYPE_CHECKING:
    from polynom.schema.polytypes import PolyType

__all__ = [
    "Incomplete",
    "ParsedStatement",
    "Statement",
    "Token",
    "create_namespace_line",
    "format_value",
    "line",
    "literal",
    "parse_statement",
    "split_prefix",
]

_PREFIX = re.compile(r"/\*(\w+)@([^*\s]*)\*/[ \t]?")


def format_value(value: Any) -> str:
    """A value as PolyNOM 0.3 inlined it (``Statement._format_value``)."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    return str(value)


@dataclass
class Statement:
    """PolyNOM 0.3's ``Statement``: a statement, its values, its language and namespace."""

    language: str
    statement: str
    values: Sequence[Any] | None = None
    namespace: str | None = None

    def execute(self, target: Any) -> Any:
        """Run it on a ``polypheny`` cursor (``executeany``) or anything with ``execute``
        (a session, a store connection)."""
        if hasattr(target, "executeany"):
            return target.executeany(
                self.language, self.statement, self.values, namespace=self.namespace
            )
        return target.execute(self.statement, list(self.values or ()))

    def dump(self) -> str:
        """The statement as a PolyNOM dump line, its values inlined."""
        text = self.statement
        if self.language == "sql" and self.values:
            parts = text.split("?")
            text = parts[0] + "".join(
                format_value(v) + part for part, v in zip(parts[1:], self.values, strict=False)
            )
        return f"/*{self.language}@{self.namespace or 'None'}*/ {text}"

    _format_value = staticmethod(format_value)


def line(namespace: str | None, statement: str) -> str:
    """One SQL line of a PolyNOM dump."""
    return f"/*sql@{namespace or 'None'}*/ {statement}"


def create_namespace_line(namespace: str) -> str:
    return line(None, f"CREATE RELATIONAL NAMESPACE IF NOT EXISTS {quote(namespace)}")


def literal(polytype: PolyType, value: Any) -> str:
    """``value`` (a model value of ``polytype``) as a literal PolyNOM's loader can run.

    ``ValueError`` for what a PolyNOM dump cannot carry: a line break in a text (its
    loader reads one line per statement), a non-finite float.
    """
    if value is None:
        return "NULL"
    kind = polynom03_kind(polytype)
    if kind == "file":
        return "X'" + bytes(value).hex().upper() + "'"
    if kind == "number" and isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} cannot be written as a SQL number")
    if kind == "geometry":  # PolyNOM's compact GeoJSON
        text = format_value(polytype._to_prism_serializable(value))
    else:
        text = polytype.sql_literal(value)
    if "\n" in text or "\r" in text:
        raise ValueError("a line break cannot be written in a PolyNOM 0.3 dump line")
    return text


# -- reading ---------------------------------------------------------------------------------


class Incomplete(ValueError):
    """The text ended inside a string literal: the statement continues on the next line."""


@dataclass(frozen=True)
class Token:
    """One value of an INSERT, as written: ``kind`` is ``string`` (``'...'``), ``bytes``
    (Python's ``b'...'``, as PolyNOM wrote files), ``hex`` (``X'...'``), ``typed``
    (``DATE '...'``...; ``type_name`` says which), ``null``, ``bool`` or ``bare`` (numbers,
    and PolyNOM's unquoted dates, times and timestamps)."""

    kind: str
    value: Any
    type_name: str = ""


@dataclass(frozen=True)
class ParsedStatement:
    """A statement of a PolyNOM dump: ``kind`` is ``namespace``, ``table`` or ``insert``."""

    kind: str
    namespace: str
    entity: str = ""
    columns: tuple[str, ...] = ()
    values: tuple[Token, ...] = ()


def split_prefix(text: str) -> tuple[str, str | None, str] | None:
    """``(language, namespace, statement)`` of a dump line, or None when it has no prefix."""
    match = _PREFIX.match(text)
    if match is None:
        return None
    namespace = None if match.group(2) == "None" else match.group(2)
    return match.group(1), namespace, text[match.end() :]


class _Reader:
    """A cursor over one statement's text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def skip_space(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        self.pos = pos

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def at_end(self) -> bool:
        self.skip_space()
        return self.pos >= len(self.text)

    def expect(self, word: str) -> None:
        self.skip_space()
        if self.text[self.pos : self.pos + len(word)].upper() != word.upper():
            found = self.text[self.pos : self.pos + 20] or "the end of the statement"
            raise ValueError(f"expected {word!r}, found {found!r}")
        self.pos += len(word)

    def words(self, *words: str) -> None:
        for word in words:
            self.expect(word)

    def sql_string(self) -> str:
        """``'...'`` with ``''`` for a quote; Incomplete when the text ends inside it."""
        text = self.text
        assert text[self.pos] == "'"
        out: list[str] = []
        pos = self.pos + 1
        while True:
            end = text.find("'", pos)
            if end < 0:
                raise Incomplete("the text ends inside a string")
            out.append(text[pos:end])
            if text.startswith("''", end):
                out.append("'")
                pos = end + 2
                continue
            self.pos = end + 1
            return "".join(out)

    def identifier(self) -> str:
        """``"name"`` (``""`` for a quote) or a bare word."""
        self.skip_space()
        text = self.text
        if self.peek() == '"':
            out: list[str] = []
            pos = self.pos + 1
            while True:
                end = text.find('"', pos)
                if end < 0:
                    raise Incomplete("the text ends inside a quoted name")
                out.append(text[pos:end])
                if text.startswith('""', end):
                    out.append('"')
                    pos = end + 2
                    continue
                self.pos = end + 1
                return "".join(out)
        match = re.compile(r"[A-Za-z_][\w$]*").match(text, self.pos)
        if match is None:
            raise ValueError(f"expected a name, found {text[self.pos : self.pos + 20]!r}")
        self.pos = match.end()
        return match.group(0)

    def entity(self) -> tuple[str, str]:
        first = self.identifier()
        if self.peek() != ".":
            raise ValueError(
                f'expected a qualified entity name "namespace"."entity" after {first!r}'
            )
        self.pos += 1
        return first, self.identifier()

    def python_bytes(self) -> bytes:
        """PolyNOM's ``b'...'`` / ``b"..."`` (Python's repr of the bytes), never evaluated as
        code: ``ast.literal_eval`` of the literal alone."""
        text = self.text
        quote_char = text[self.pos + 1]
        pos = self.pos + 2
        while True:
            if pos >= len(text):
                raise Incomplete("the text ends inside a bytes value")
            char = text[pos]
            if char == "\\":
                pos += 2
                continue
            if char == quote_char:
                break
            if char in "\r\n":
                raise ValueError("a bytes value breaks off at the end of the line")
            pos += 1
        source = text[self.pos : pos + 1]
        self.pos = pos + 1
        value = ast.literal_eval(source)
        if not isinstance(value, bytes):
            raise ValueError(f"{source[:30]!r} is not a bytes value")
        return value

    def value(self) -> Token:
        self.skip_space()
        text, start = self.text, self.pos
        head = text[start : start + 2]
        if head[:1] == "'":
            return Token("string", self.sql_string())
        if head in ("b'", 'b"'):
            return Token("bytes", self.python_bytes())
        if head in ("X'", "x'"):
            self.pos += 1
            raw = self.sql_string()
            try:
                return Token("hex", bytes.fromhex(raw))
            except ValueError:
                raise ValueError(f"X'{raw[:30]}' is not hexadecimal") from None
        typed = re.compile(r"(DATE|TIME|TIMESTAMP)\s*'", re.IGNORECASE).match(text, start)
        if typed is not None:
            self.pos = typed.end() - 1
            return Token("typed", self.sql_string(), typed.group(1).upper())
        depth, pos = 0, start  # a bare value runs to the next top-level ',' or ')'
        while pos < len(text):
            char = text[pos]
            if char in "'\"":
                raise ValueError(f"unexpected quote in the value {text[start : pos + 1]!r}")
            if char == "(":
                depth += 1
            elif char in ",)":
                if depth == 0:
                    break
                if char == ")":
                    depth -= 1
            pos += 1
        bare = text[start:pos].strip()
        self.pos = pos
        if not bare:
            raise ValueError("a value is missing")
        upper = bare.upper()
        if upper == "NULL":
            return Token("null", None)
        if upper in ("TRUE", "FALSE"):
            return Token("bool", upper == "TRUE")
        return Token("bare", bare)


def _skip_balanced(reader: _Reader) -> None:
    """Skip a parenthesised list (a CREATE TABLE's body), strings and names included."""
    reader.expect("(")
    depth = 1
    text = reader.text
    while depth:
        if reader.pos >= len(text):
            raise Incomplete("the statement ends before its closing parenthesis")
        char = text[reader.pos]
        if char == "'":
            reader.sql_string()
            continue
        if char == '"':
            reader.identifier()
            continue
        depth += {"(": 1, ")": -1}.get(char, 0)
        reader.pos += 1


def _end(reader: _Reader) -> None:
    reader.skip_space()
    if reader.peek() == ";":
        reader.pos += 1
    if not reader.at_end():
        rest = reader.text[reader.pos : reader.pos + 30]
        raise ValueError(f"unexpected text after the statement: {rest!r}")


def parse_statement(text: str) -> ParsedStatement:
    """What one statement of a PolyNOM dump says (``ValueError`` naming the problem, or
    :class:`Incomplete` when the text ends inside a string)."""
    reader = _Reader(text)
    reader.skip_space()
    upper = text[reader.pos : reader.pos + 40].upper()
    if upper.startswith("CREATE RELATIONAL NAMESPACE"):
        reader.words("CREATE", "RELATIONAL", "NAMESPACE", "IF", "NOT", "EXISTS")
        namespace = reader.identifier()
        _end(reader)
        return ParsedStatement("namespace", namespace)
    if upper.startswith("CREATE TABLE"):
        reader.words("CREATE", "TABLE", "IF", "NOT", "EXISTS")
        namespace, entity = reader.entity()
        _skip_balanced(reader)
        _end(reader)
        return ParsedStatement("table", namespace, entity)
    if upper.startswith("INSERT"):
        reader.words("INSERT", "INTO")
        namespace, entity = reader.entity()
        reader.expect("(")
        columns = [reader.identifier()]
        while not reader.at_end() and reader.peek() == ",":
            reader.pos += 1
            columns.append(reader.identifier())
        reader.expect(")")
        reader.words("VALUES", "(")
        values = [reader.value()]
        while True:
            reader.skip_space()
            char = reader.peek()
            if char == ",":
                reader.pos += 1
                values.append(reader.value())
                continue
            if char == ")":
                reader.pos += 1
                break
            if not char:
                raise ValueError("the value list is not closed")
            raise ValueError(
                f"expected ',' or ')', found {reader.text[reader.pos : reader.pos + 20]!r}"
            )
        _end(reader)
        if len(columns) != len(values):
            raise ValueError(f"{len(columns)} columns but {len(values)} values")
        return ParsedStatement("insert", namespace, entity, tuple(columns), tuple(values))
    word = text.strip().split(None, 1)[0] if text.strip() else "an empty statement"
    raise ValueError(f"a PolyNOM dump holds no {word[:30]!r} statements")
