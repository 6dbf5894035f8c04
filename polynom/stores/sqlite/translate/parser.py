"""A small recursive-descent parser over significant tokens: names, types and literals,
the pieces DDL is made of (:mod:`.ddl` parses whole statements with it)."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from polynom.errors import StoreError
from polynom.stores.sqlite.translate.literals import SQL_NOW, RawSql
from polynom.stores.sqlite.translate.names import check_entity_name, check_namespace_name
from polynom.stores.sqlite.translate.tokens import (
    BLOB,
    NUMBER,
    OP,
    QIDENT,
    SKIP,
    STRING,
    WORD,
    Token,
    first_line,
    name_of,
    tokenize,
)
from polynom.stores.sqlite.translate.types import ColumnType, make_type


class Parser:
    """Reads one statement's significant tokens from left to right (a trailing ``;`` is
    dropped); errors name what was expected, where, and the statement."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.toks: list[Token] = []
        #: Where each significant token starts in ``sql`` (for Polypheny's error positions).
        self.offsets: list[int] = []
        at = 0
        for t in tokenize(sql):
            if t.kind not in SKIP:
                self.toks.append(t)
                self.offsets.append(at)
            at += len(t.text)
        while self.toks and self.toks[-1].text == ";":
            self.toks.pop()
        self.i = 0
        #: Polypheny's grammar only (see :func:`..ddl.parse_ddl`).
        self.strict = False

    # -- looking -------------------------------------------------------------------------

    def peek(self, k: int = 0) -> Token | None:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else None

    def word(self, k: int = 0) -> str:
        t = self.peek(k)
        return t.text.upper() if t is not None and t.kind == WORD else ""

    def at_end(self) -> bool:
        return self.i >= len(self.toks)

    def error(self, what: str) -> StoreError:
        t = self.peek()
        near = "the end" if t is None else repr(t.text)
        return StoreError(f"{what} near {near}; statement: {first_line(self.sql)}")

    def offset(self) -> int:
        """Where the next token starts in the statement (its length at the end)."""
        return self.offsets[self.i] if self.i < len(self.offsets) else len(self.sql)

    # -- consuming -----------------------------------------------------------------------

    def next(self) -> Token:
        t = self.peek()
        if t is None:
            raise self.error("unexpected end of statement")
        self.i += 1
        return t

    def accept(self, *words: str) -> bool:
        for k, w in enumerate(words):
            if self.word(k) != w:
                return False
        self.i += len(words)
        return True

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise self.error(f"expected {' '.join(words)}")

    def accept_op(self, op: str) -> bool:
        t = self.peek()
        if t is not None and t.kind == OP and t.text == op:
            self.i += 1
            return True
        return False

    def expect_op(self, op: str) -> None:
        if not self.accept_op(op):
            raise self.error(f"expected {op!r}")

    def expect_end(self, what: str) -> None:
        if not self.at_end():
            raise self.error(f"unexpected text after {what}")

    def is_name(self, k: int = 0) -> bool:
        t = self.peek(k)
        return t is not None and t.kind in (QIDENT, WORD)

    def name(self) -> str:
        t = self.peek()
        if t is None or t.kind not in (QIDENT, WORD):
            raise self.error("expected a name")
        self.i += 1
        return name_of(t)

    def dotted(self) -> list[str]:
        parts = [self.name()]
        while self.peek() is not None and self.peek() == Token(OP, ".") and self.is_name(1):
            self.i += 1
            parts.append(self.name())
        return parts

    def name_list(self) -> list[str]:
        self.expect_op("(")
        names = [self.name()]
        while self.accept_op(","):
            names.append(self.name())
        self.expect_op(")")
        return names

    def table_name(self, default_ns: str) -> tuple[str, str]:
        """``"ns"."t"`` as (namespace, entity); a one-part name is in ``default_ns``."""
        parts = self.dotted()
        if len(parts) == 1:
            return default_ns, check_entity_name(parts[0])
        if len(parts) == 2:
            return check_namespace_name(parts[0]), check_entity_name(parts[1])
        raise self.error("a table is named namespace.table")

    def integer(self) -> int:
        t = self.next()
        if t.kind != NUMBER or not t.text.isdigit():
            self.i -= 1
            raise self.error("expected a whole number")
        return int(t.text)

    # -- grammar pieces ------------------------------------------------------------------

    def type(self) -> ColumnType:
        t = self.peek()
        if t is None or t.kind != WORD:
            raise self.error("expected a type")
        self.i += 1
        name = t.text
        if name.upper() == "DOUBLE":
            self.accept("PRECISION")
        args: list[int] = []
        if self.accept_op("("):
            args.append(self.integer())
            while self.accept_op(","):
                args.append(self.integer())
            self.expect_op(")")
        try:
            return make_type(name, args)
        except StoreError as exc:
            raise StoreError(f"{exc}; statement: {first_line(self.sql)}") from None

    def literal(self) -> Any:
        """A literal: number, string, TRUE/FALSE/NULL, X'..', DATE/TIME/TIMESTAMP 'x',
        CURRENT_TIMESTAMP & co (kept as :class:`RawSql`), optionally in parentheses."""
        if self.accept_op("("):
            v = self.literal()
            self.expect_op(")")
            return v
        sign = ""
        if self.peek() in (Token(OP, "-"), Token(OP, "+")):
            sign = self.next().text
        t = self.next()
        if t.kind == NUMBER:
            text = sign + t.text
            if re.fullmatch(r"[-+]?\d+", text):
                return int(text)
            return Decimal(text)
        if sign:
            self.i -= 1
            raise self.error("expected a number after the sign")
        if t.kind == STRING:
            return t.text[1:-1].replace("''", "'")
        if t.kind == BLOB:
            return bytes.fromhex(t.text[2:-1])
        if t.kind == WORD:
            w = t.text.upper()
            if w == "NULL":
                return None
            if w in ("TRUE", "FALSE"):
                return w == "TRUE"
            if w in SQL_NOW:
                return RawSql(w)
            if w in ("DATE", "TIME", "TIMESTAMP") and self.peek() is not None:
                s = self.next()
                if s.kind == STRING:
                    return s.text[1:-1].replace("''", "'")
        self.i -= 1
        raise self.error("expected a literal value")


@lru_cache(maxsize=256)
def parse_literal_sql(text: str) -> Any:
    """Parse one literal (as SQLite reports a column's default) into a Python value."""
    p = Parser(text)
    v = p.literal()
    p.expect_end("a literal")
    return v


@lru_cache(maxsize=256)
def parse_type(text: str) -> ColumnType:
    """Parse a Polypheny type written as text, e.g. ``"DECIMAL(10, 2)"``."""
    p = Parser(text)
    t = p.type()
    p.expect_end("a type")
    return t
