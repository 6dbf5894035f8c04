"""Polypheny SQL -> SQLite: the one place that knows how the two spell things differently.

The mapper (and the Prism stand-in) write Polypheny SQL only. This module turns it into SQLite
SQL without ever generating SQL of its own from scratch: it tokenizes the statement (strings,
quoted identifiers and comments are tokens, so nothing inside a literal is ever touched) and
rewrites the few spots that differ.

What differs, and what we do about it:

* **Namespaces.** SQLite has one database per file and foreign keys cannot cross attached
  databases, so ``"ns"."t"`` lives as the single table ``"ns.t"``. In table positions (after
  ``FROM``/``JOIN``/``INTO``/``UPDATE``/``TABLE``/``REFERENCES`` and in ``FROM a, b`` lists)
  a two-part name is namespace.table; a one-part name belongs to the default namespace
  (``public`` unless the caller names another, as PolyNOM 0.3 does). An unaliased table gets
  its bare name as alias (``FROM "ns"."t"`` -> ``FROM "ns.t" AS "t"``) so ``"t"."c"`` keeps
  working; a three-part ``"ns"."t"."c"`` is rewritten to that table's name in the statement.
* **Types.** Each Polypheny type is declared with an SQLite type name that keeps the
  original type readable (``DECIMAL(10, 2)`` -> ``DECIMAL_TEXT(10, 2)``) and picks an affinity
  that never changes a value (see :data:`SQLITE_TYPE_NAMES`). Decimals are stored as exact
  text and compared numerically through the ``polynom_decimal`` collation.
* **Foreign keys** are declared ``DEFERRABLE INITIALLY DEFERRED``: checked at commit, as on
  Polypheny.
* **DDL** is parsed into small commands (:func:`parse_ddl`); the store runs them against its
  catalog. ``ALTER ... MODIFY COLUMN`` forms SQLite lacks become table rebuilds
  (:func:`rebuild_statements`).

Values: :func:`adapt_params` turns Python values into what SQLite stores (per call, never
through ``sqlite3.register_adapter``); :func:`register_converters` turns typed columns back into
exact Python values on the way out.
"""

from __future__ import annotations

import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from functools import lru_cache
from typing import Any, NamedTuple

from polynom.errors import StoreError

UTC = UTC
#: Polypheny's default namespace: where one-part table names live unless told otherwise.
DEFAULT_NAMESPACE = "public"
#: The collation that makes DECIMAL columns compare and sort by value, not as text.
DECIMAL_COLLATION = "polynom_decimal"
#: The table that records which namespaces exist (a table name without a dot, so it can
#: never collide with a namespaced ``"ns.t"`` table).
NAMESPACE_TABLE = "polynom$namespaces"
#: Suffix of the temporary table an ALTER rebuild copies into.
REBUILD_SUFFIX = "$rebuild"


# =========================================================================================
# Tokens
# =========================================================================================

WS, COMMENT, STRING, QIDENT, BLOB, NUMBER, WORD, PARAM, OP = range(1, 10)
_SKIP = (WS, COMMENT)

# One group per token kind, in the order of the constants above (``lastindex`` is the kind).
_TOKEN_RE = re.compile(
    r"""
    (\s+)
  | (--[^\n]*|/\*.*?(?:\*/|\Z))
  | ('(?:[^']|'')*')
  | ("(?:[^"]|"")*")
  | ([xX]'[0-9a-fA-F]*')
  | ((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | ([A-Za-z_][A-Za-z0-9_$]*)
  | (\?\d*|:[A-Za-z_][A-Za-z0-9_]*)
  | (<>|!=|<=|>=|\|\||[-+*/%=<>(),.;~&|])
    """,
    re.VERBOSE | re.DOTALL,
)


class Token(NamedTuple):
    kind: int
    text: str


def tokenize(sql: str) -> list[Token]:
    """Split SQL into tokens; raise :class:`StoreError` on text that is no SQL token."""
    tokens: list[Token] = []
    append = tokens.append
    match = _TOKEN_RE.match
    pos, end = 0, len(sql)
    while pos < end:
        m = match(sql, pos)
        if m is None:
            raise StoreError(
                f"cannot read the SQL at position {pos} ({sql[pos : pos + 20]!r}: an unclosed "
                f"quote or comment, or a character SQL does not use); statement: "
                f"{first_line(sql)}"
            )
        kind = m.lastindex
        assert kind is not None
        text = m.group(kind)
        if kind == COMMENT and text.startswith("/*") and not text.endswith("*/"):
            raise StoreError(
                f"the comment at position {pos} is never closed; statement: {first_line(sql)}"
            )
        append(Token(kind, text))
        pos = m.end()
    return tokens


def quote(name: str) -> str:
    """Quote an identifier for SQLite (and Polypheny): ``a"b`` -> ``"a""b"``."""
    if "\x00" in name:
        raise StoreError(f"an identifier may not contain NUL: {name!r}")
    return '"' + name.replace('"', '""') + '"'


def _name_of(tok: Token) -> str:
    """The identifier a QIDENT or WORD token names."""
    if tok.kind == QIDENT:
        return tok.text[1:-1].replace('""', '"')
    return tok.text


def first_line(sql: str, limit: int = 160) -> str:
    """The statement's first line, shortened, for error messages."""
    line = sql.strip().split("\n", 1)[0].strip()
    return line if len(line) <= limit else line[: limit - 3] + "..."


def mangle(namespace: str, entity: str) -> str:
    """The SQLite table that holds Polypheny's ``"namespace"."entity"``."""
    return f"{namespace}.{entity}"


def unmangle(table: str) -> tuple[str, str]:
    """``"ns.t"`` -> ``("ns", "t")`` (namespaces never contain a dot)."""
    ns, _, entity = table.partition(".")
    return ns, entity


def check_namespace_name(name: str) -> str:
    if not name or "\x00" in name or "." in name:
        raise StoreError(f"invalid namespace name {name!r}: it must be non-empty, without '.'")
    if name.lower().startswith("sqlite_"):
        raise StoreError(f"invalid namespace name {name!r}: names starting 'sqlite_' are reserved")
    return name


def check_entity_name(name: str) -> str:
    if not name or "\x00" in name or name.endswith(REBUILD_SUFFIX):
        raise StoreError(f"invalid entity or column name {name!r}")
    return name


# =========================================================================================
# Types
# =========================================================================================

#: Polypheny type -> the SQLite type name it is declared with. Each keeps the Polypheny name
#: readable and picks the affinity that stores values unchanged (SQLite's rules look for
#: INT, then CHAR/CLOB/TEXT, then BLOB, then REAL/FLOA/DOUB; anything else is NUMERIC, which
#: would turn the text '1.10' into the REAL 1.1). INTEGER is declared ``INT`` on purpose:
#: an ``INTEGER PRIMARY KEY`` becomes SQLite's rowid and silently fills in NULLs.
SQLITE_TYPE_NAMES: dict[str, str] = {
    "VARCHAR": "VARCHAR",  # TEXT affinity
    "TEXT": "TEXT",  # TEXT
    "INTEGER": "INT",  # INTEGER
    "SMALLINT": "SMALLINT",  # INTEGER
    "TINYINT": "TINYINT",  # INTEGER
    "BIGINT": "BIGINT",  # INTEGER
    "DOUBLE": "DOUBLE",  # REAL
    "REAL": "REAL",  # REAL
    "DECIMAL": "DECIMAL_TEXT",  # TEXT: exact digits; compared with polynom_decimal
    "BOOLEAN": "BOOLEAN_INT",  # INTEGER: 0 / 1
    "DATE": "DATE_TEXT",  # TEXT: YYYY-MM-DD
    "TIME": "TIME_TEXT",  # TEXT: HH:MM:SS.ffffff
    "TIMESTAMP": "TIMESTAMP_TEXT",  # TEXT: YYYY-MM-DD HH:MM:SS.ffffff in UTC
    "FILE": "FILE_BLOB",  # BLOB: bytes
}
_POLY_FROM_SQLITE = {v: k for k, v in SQLITE_TYPE_NAMES.items()} | {"INTEGER": "INTEGER"}
_TYPE_SYNONYMS = {"INT": "INTEGER", "BOOL": "BOOLEAN", "NUMERIC": "DECIMAL"}
#: How many parenthesised arguments each type takes (min, max).
_TYPE_ARITY = {"VARCHAR": (0, 1), "DECIMAL": (0, 2), "TIME": (0, 1), "TIMESTAMP": (0, 1)}
_INT_RANGES = {
    "TINYINT": (-(2**7), 2**7 - 1),
    "SMALLINT": (-(2**15), 2**15 - 1),
    "INTEGER": (-(2**31), 2**31 - 1),
    "BIGINT": (-(2**63), 2**63 - 1),
}
_DECL_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$")


@dataclass(frozen=True, slots=True)
class PolyType:
    """A Polypheny column type: a name and its arguments (length, precision, scale)."""

    name: str
    args: tuple[int, ...] = ()

    def __str__(self) -> str:
        if not self.args:
            return self.name
        return f"{self.name}({', '.join(map(str, self.args))})"

    @property
    def sqlite_decl(self) -> str:
        """The SQLite declared type (affinity-safe, Polypheny type recoverable)."""
        base = SQLITE_TYPE_NAMES[self.name]
        return base if not self.args else f"{base}({', '.join(map(str, self.args))})"

    @property
    def column_sql(self) -> str:
        """Declared type plus the collation the type needs."""
        if self.name == "DECIMAL":
            return f"{self.sqlite_decl} COLLATE {DECIMAL_COLLATION}"
        return self.sqlite_decl


def make_type(name: str, args: Sequence[int] = ()) -> PolyType:
    """Build a :class:`PolyType`, checking the name and the number of arguments."""
    upper = _TYPE_SYNONYMS.get(name.upper(), name.upper())
    if upper not in SQLITE_TYPE_NAMES:
        raise StoreError(
            f"unknown column type {name!r}; Polypheny types are " + ", ".join(SQLITE_TYPE_NAMES)
        )
    low, high = _TYPE_ARITY.get(upper, (0, 0))
    if not low <= len(args) <= high:
        raise StoreError(f"type {upper} takes {low} to {high} arguments, not {len(args)}")
    return PolyType(upper, tuple(args))


@lru_cache(maxsize=256)
def type_from_decl(decl: str) -> PolyType | None:
    """The Polypheny type an SQLite declared type stands for (None if not one of ours)."""
    m = _DECL_RE.match(decl or "")
    if not m:
        return None
    name = _POLY_FROM_SQLITE.get(m.group(1).upper())
    if name is None:
        return None
    args = tuple(int(g) for g in m.group(2, 3) if g is not None)
    try:
        return make_type(name, args)
    except StoreError:
        return None


@lru_cache(maxsize=256)
def parse_type(text: str) -> PolyType:
    """Parse a Polypheny type written as text, e.g. ``"DECIMAL(10, 2)"``."""
    p = _Parser(text)
    t = p.type()
    p.expect_end("a type")
    return t


# =========================================================================================
# Values: Python -> SQLite storage (per call), storage -> Python (converters), coercion
# =========================================================================================


def _adapt_datetime(v: datetime) -> str:
    if v.tzinfo is not None:
        v = v.astimezone(UTC).replace(tzinfo=None)
    return v.isoformat(" ", "microseconds")


def _adapt_time(v: time) -> str:
    if v.tzinfo is not None:
        offset = v.utcoffset()
        if offset:
            v = (datetime.combine(date(2000, 1, 1), v.replace(tzinfo=None)) - offset).time()
        v = v.replace(tzinfo=None)
    return v.isoformat("microseconds")


def _adapt_decimal(v: Decimal) -> str:
    if not v.is_finite():
        raise StoreError(f"cannot store the decimal {v}: only finite decimals can be stored")
    return format(v, "f")


def _adapt_date(v: date) -> str:
    return v.isoformat()


# Exact-type dispatch: one dict lookup per value. ``None`` means "SQLite takes it as is".
_ADAPTERS: dict[type, Any] = {
    str: None,
    int: None,
    float: None,
    bytes: None,
    type(None): None,
    bool: int,
    Decimal: _adapt_decimal,
    datetime: _adapt_datetime,
    date: _adapt_date,
    time: _adapt_time,
    bytearray: bytes,
    memoryview: bytes,
}


_BY_BASE: tuple[tuple[type, Callable[[Any], Any]], ...] = (
    (int, int),
    (float, float),
    (str, str.__str__),  # the text itself, also for (str, Enum) members
    (bytes, bytes),
    (Decimal, _adapt_decimal),
    (datetime, _adapt_datetime),
    (date, _adapt_date),
    (time, _adapt_time),
)


def _adapt_other(v: Any) -> Any:
    """Values of subclasses (IntEnum, a datetime subclass...) map like their base type."""
    for base, adapter in _BY_BASE:
        if isinstance(v, base):
            return adapter(v)
    return v  # sqlite3 refuses it with a clear "type is not supported" error


def adapt_value(v: Any) -> Any:
    """One Python value as SQLite stores it (see the module docstring for the forms)."""
    f = _ADAPTERS.get(type(v), _adapt_other)
    return v if f is None else f(v)


def adapt_params(params: Sequence[Any]) -> Sequence[Any]:
    """Bound parameters as SQLite stores them; the input itself when nothing needs changing.

    A mapping (for ``:name`` placeholders) is adapted value by value."""
    if isinstance(params, dict):
        return {k: adapt_value(v) for k, v in params.items()}  # type: ignore[return-value]
    get = _ADAPTERS.get
    for v in params:
        if get(type(v), _adapt_other) is not None:
            break
    else:
        return params
    other = _adapt_other
    return [v if (f := get(type(v), other)) is None else f(v) for v in params]


def _conv_decimal(b: bytes) -> Any:
    try:
        return Decimal(b.decode())
    except (InvalidOperation, UnicodeDecodeError):
        return b.decode(errors="replace")


_BOOLS = {b"1": True, b"0": False, b"true": True, b"false": False}


def _conv_bool(b: bytes) -> Any:
    v = _BOOLS.get(b)
    if v is None:
        v = _BOOLS.get(b.lower())
    return b.decode(errors="replace") if v is None else v


def _conv_date(b: bytes) -> Any:
    s = b.decode(errors="replace")
    try:
        return date.fromisoformat(s)
    except ValueError:
        try:
            return datetime.fromisoformat(s).date()
        except ValueError:
            return s


def _conv_time(b: bytes) -> Any:
    s = b.decode(errors="replace")
    try:
        return time.fromisoformat(s)
    except ValueError:
        return s


def _conv_timestamp(b: bytes) -> Any:
    s = b.decode(errors="replace")
    try:
        v = datetime.fromisoformat(s)
    except ValueError:
        return s
    return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)


def register_converters() -> None:
    """Register the converters for our declared types with ``sqlite3``.

    The registry is process-wide, but these names (``DECIMAL_TEXT``, ``BOOLEAN_INT``,
    ``DATE_TEXT``, ``TIME_TEXT``, ``TIMESTAMP_TEXT``) are ours alone: they only change what
    columns declared with them return, and only on connections opened with
    ``detect_types=PARSE_DECLTYPES``. A value a converter cannot read comes back as text.
    """
    sqlite3.register_converter("DECIMAL_TEXT", _conv_decimal)
    sqlite3.register_converter("BOOLEAN_INT", _conv_bool)
    sqlite3.register_converter("DATE_TEXT", _conv_date)
    sqlite3.register_converter("TIME_TEXT", _conv_time)
    sqlite3.register_converter("TIMESTAMP_TEXT", _conv_timestamp)


def _as_number(s: str) -> Decimal | None:
    try:
        d = Decimal(s)
    except (InvalidOperation, ValueError, TypeError):
        return None
    return None if d.is_nan() else d


def decimal_collation(a: str, b: str) -> int:
    """Order decimal text by value ('999.50' < '1000.00'; '1.1' == '1.10').

    Never raises (SQLite cannot propagate an error from a collation): text that is no number
    sorts after every number, and among itself as text.
    """
    try:  # fast path: correctly rounded floats keep the order of the decimals they come from
        fa, fb = float(a), float(b)
    except ValueError:
        pass
    else:
        if fa < fb:
            return -1
        if fa > fb:
            return 1
    x, y = _as_number(a), _as_number(b)
    if x is not None and y is not None:
        return -1 if x < y else (1 if x > y else 0)
    if x is not None:
        return -1
    if y is not None:
        return 1
    return -1 if a < b else (1 if a > b else 0)


_BIG = Context(prec=1000)


def _parse_timestamp(s: str) -> datetime:
    v = datetime.fromisoformat(s.strip().replace("Z", "+00:00"))
    return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)


def coerce(value: Any, ptype: PolyType) -> Any:
    """``value`` as the canonical Python value of ``ptype``; ValueError if it cannot be.

    Used for DEFAULT literals and for ``SET TYPE`` (where it first reads the stored value
    with the old type, then converts it to the new one).
    """
    if value is None:
        return None
    name = ptype.name
    if name in ("VARCHAR", "TEXT"):
        if isinstance(value, bool):
            s = "true" if value else "false"
        elif isinstance(value, Decimal):
            s = format(value, "f")
        elif isinstance(value, datetime):
            s = _adapt_datetime(value)
        elif isinstance(value, time):
            s = _adapt_time(value)
        elif isinstance(value, (bytes, bytearray)):
            s = bytes(value).decode()
        else:
            s = str(value)
        if ptype.args and len(s) > ptype.args[0]:
            raise ValueError(f"{s[:30]!r} is longer than {ptype.args[0]} characters")
        return s
    if name in _INT_RANGES:
        if isinstance(value, (bool, int)):
            i = int(value)
        elif isinstance(value, (float, Decimal, str)):
            try:
                d = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
            except InvalidOperation:
                raise ValueError(f"{value!r} is not a number") from None
            if not d.is_finite() or d != d.to_integral_value():
                raise ValueError(f"{value!r} is not a whole number")
            i = int(d)
        else:
            raise ValueError(f"{type(value).__name__} is not a number")
        low, high = _INT_RANGES[name]
        if not low <= i <= high:
            raise ValueError(f"{i} is out of range for {name}")
        return i
    if name in ("DOUBLE", "REAL"):
        if isinstance(value, (bool, int, float, Decimal)):
            return float(value)
        if isinstance(value, str):
            return float(value.strip())
        raise ValueError(f"{type(value).__name__} is not a number")
    if name == "DECIMAL":
        if isinstance(value, Decimal):
            d = value
        elif isinstance(value, (bool, int)):
            d = Decimal(int(value))
        elif isinstance(value, float):
            d = Decimal(repr(value))
        elif isinstance(value, str):
            try:
                d = Decimal(value.strip())
            except InvalidOperation:
                raise ValueError(f"{value!r} is not a number") from None
        else:
            raise ValueError(f"{type(value).__name__} is not a number")
        if not d.is_finite():
            raise ValueError(f"{d} is not a finite number")
        if ptype.args:
            precision = ptype.args[0]
            scale = ptype.args[1] if len(ptype.args) > 1 else 0
            d = d.quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP, context=_BIG)
            if d and d.adjusted() + 1 > precision - scale:
                raise ValueError(f"{d} does not fit DECIMAL({precision}, {scale})")
        return d
    if name == "BOOLEAN":
        if isinstance(value, (bool, int)):
            if value in (0, 1):
                return bool(value)
            raise ValueError(f"{value} is not a boolean (0 or 1)")
        if isinstance(value, str):
            word = value.strip().lower()
            if word in ("true", "t", "1"):
                return True
            if word in ("false", "f", "0"):
                return False
        raise ValueError(f"{value!r} is not a boolean")
    if name == "DATE":
        if isinstance(value, datetime):
            return value.astimezone(UTC).date() if value.tzinfo else value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            s = value.strip()
            return date.fromisoformat(s) if len(s) == 10 else _parse_timestamp(s).date()
        raise ValueError(f"{type(value).__name__} is not a date")
    if name == "TIME":
        if isinstance(value, datetime):
            return (value.astimezone(UTC) if value.tzinfo else value).time()
        if isinstance(value, str):
            value = time.fromisoformat(value.strip())
        if isinstance(value, time):
            return time.fromisoformat(_adapt_time(value)) if value.tzinfo else value
        raise ValueError(f"{type(value).__name__} is not a time")
    if name == "TIMESTAMP":
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if isinstance(value, date):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        if isinstance(value, str):
            return _parse_timestamp(value)
        raise ValueError(f"{type(value).__name__} is not a timestamp")
    if name == "FILE":
        if isinstance(value, (bytes, bytearray, memoryview)):
            return bytes(value)
        if isinstance(value, str):
            return value.encode()
        raise ValueError(f"{type(value).__name__} is not binary data")
    raise ValueError(f"no conversion to {ptype}")  # pragma: no cover - all types handled


def convert_stored(raw: Any, old: PolyType | None, new: PolyType) -> Any:
    """A value stored for type ``old`` converted to storage for type ``new`` (SET TYPE)."""
    value = coerce(raw, old) if old is not None else raw
    return adapt_value(coerce(value, new))


def sql_literal(value: Any) -> str:
    """An SQLite literal for a stored value (None, int, float, str or bytes)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return "NULL"
        return repr(value) if abs(value) != float("inf") else ("9e999" if value > 0 else "-9e999")
    if isinstance(value, str):
        if "\x00" in value:
            raise StoreError("a text literal may not contain NUL")
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "X'" + bytes(value).hex().upper() + "'"
    return sql_literal(adapt_value(value))


class RawSql(str):
    """A DEFAULT that is an expression SQLite evaluates itself (``CURRENT_TIMESTAMP``)."""


_SQL_NOW = {"CURRENT_TIMESTAMP", "CURRENT_DATE", "CURRENT_TIME"}


def default_sql(value: Any, ptype: PolyType) -> str | None:
    """The SQLite DEFAULT text for a parsed literal in a column of ``ptype``."""
    if isinstance(value, RawSql):
        return str(value)
    if value is None:
        return None
    try:
        return sql_literal(adapt_value(coerce(value, ptype)))
    except (ValueError, ArithmeticError) as exc:
        raise StoreError(f"the default {value!r} does not fit {ptype}: {exc}") from None


# =========================================================================================
# A small recursive-descent parser over significant tokens (DDL and literals)
# =========================================================================================


class _Parser:
    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.toks = [t for t in tokenize(sql) if t.kind not in _SKIP]
        while self.toks and self.toks[-1].text == ";":
            self.toks.pop()
        self.i = 0

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
        return _name_of(t)

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

    def integer(self) -> int:
        t = self.next()
        if t.kind != NUMBER or not t.text.isdigit():
            self.i -= 1
            raise self.error("expected a whole number")
        return int(t.text)

    # -- grammar pieces ------------------------------------------------------------------

    def type(self) -> PolyType:
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
            if w in _SQL_NOW:
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
    p = _Parser(text)
    v = p.literal()
    p.expect_end("a literal")
    return v


# =========================================================================================
# Table definitions and their SQLite DDL
# =========================================================================================


@dataclass(slots=True)
class ColumnDef:
    """One column: Polypheny type, nullability and the SQLite text of its default."""

    name: str
    type: PolyType
    not_null: bool = False
    default: str | None = None  # SQLite literal text, e.g. "'1.10'" or "CURRENT_TIMESTAMP"

    def sql(self) -> str:
        parts = [quote(self.name), self.type.column_sql]
        if self.not_null:
            parts.append("NOT NULL")
        if self.default is not None:
            parts.append(f"DEFAULT {self.default}")
        return " ".join(parts)


@dataclass(slots=True)
class ForeignKey:
    """``FOREIGN KEY (columns) REFERENCES table (ref_columns)``, always checked at commit."""

    columns: list[str]
    ref_table: str  # the SQLite table, "ns.t"
    ref_columns: list[str] | None = None
    on_delete: str | None = None
    on_update: str | None = None

    def sql(self) -> str:
        """The table constraint."""
        return f"FOREIGN KEY ({', '.join(map(quote, self.columns))}) {self.references_sql()}"

    def references_sql(self) -> str:
        """The REFERENCES clause (also usable as a column constraint)."""
        text = f"REFERENCES {quote(self.ref_table)}"
        if self.ref_columns:
            text += f" ({', '.join(map(quote, self.ref_columns))})"
        if self.on_delete and self.on_delete != "NO ACTION":
            text += f" ON DELETE {self.on_delete}"
        if self.on_update and self.on_update != "NO ACTION":
            text += f" ON UPDATE {self.on_update}"
        return text + " DEFERRABLE INITIALLY DEFERRED"


@dataclass(slots=True)
class TableDef:
    """A table as SQLite holds it: ``name`` is the SQLite name ``"ns.t"``."""

    name: str
    columns: list[ColumnDef]
    primary_key: list[str] = field(default_factory=list)
    uniques: list[list[str]] = field(default_factory=list)
    foreign_keys: list[ForeignKey] = field(default_factory=list)

    def column(self, name: str) -> ColumnDef | None:
        low = name.lower()
        for c in self.columns:
            if c.name.lower() == low:
                return c
        return None

    def create_sql(self, name: str | None = None) -> str:
        """``CREATE TABLE`` for SQLite. Primary key columns are NOT NULL (SQLite would
        otherwise allow NULL in them)."""
        pk = {c.lower() for c in self.primary_key}
        items = []
        for c in self.columns:
            if c.name.lower() in pk and not c.not_null:
                c = replace(c, not_null=True)
            items.append(c.sql())
        if self.primary_key:
            items.append(f"PRIMARY KEY ({', '.join(map(quote, self.primary_key))})")
        items.extend(f"UNIQUE ({', '.join(map(quote, u))})" for u in self.uniques)
        items.extend(fk.sql() for fk in self.foreign_keys)
        return f"CREATE TABLE {quote(name or self.name)} ({', '.join(items)})"

    def validate(self, sql: str) -> None:
        """Every constraint names existing columns; column names are unique."""
        seen: set[str] = set()
        for c in self.columns:
            check_entity_name(c.name)
            if c.name.lower() in seen:
                raise StoreError(
                    f"column {c.name!r} is declared twice; statement: {first_line(sql)}"
                )
            seen.add(c.name.lower())
        groups = [self.primary_key, *self.uniques, *(fk.columns for fk in self.foreign_keys)]
        for group in groups:
            for col in group:
                if col.lower() not in seen:
                    raise StoreError(
                        f"constraint names the unknown column {col!r}; statement: {first_line(sql)}"
                    )


def table_def_from_catalog(
    name: str,
    table_info: Sequence[tuple[Any, ...]],
    unique_indexes: Sequence[tuple[str, list[str]]],
    foreign_keys: Sequence[tuple[Any, ...]],
) -> TableDef:
    """Rebuild a :class:`TableDef` from SQLite's catalog.

    ``table_info``: rows of ``pragma_table_info`` (cid, name, type, notnull, dflt, pk);
    ``unique_indexes``: (origin, columns) of the table's ``'u'`` / ``'pk'`` indexes;
    ``foreign_keys``: rows of ``pragma_foreign_key_list`` (id, seq, table, from, to,
    on_update, on_delete, match).
    """
    columns: list[ColumnDef] = []
    pk: list[tuple[int, str]] = []
    for _cid, col, decl, notnull, dflt, pk_pos in table_info:
        ptype = type_from_decl(decl)
        if ptype is None:
            raise StoreError(f"column {col!r} of {name} has type {decl!r}, not a Polypheny type")
        columns.append(ColumnDef(col, ptype, bool(notnull), dflt))
        if pk_pos:
            pk.append((pk_pos, col))
    uniques = [cols for origin, cols in unique_indexes if origin == "u"]
    fks: dict[int, ForeignKey] = {}
    for fk_id, _seq, ref, frm, to, on_update, on_delete, _match in foreign_keys:
        fk = fks.get(fk_id)
        if fk is None:
            ref_columns: list[str] | None = [] if to is not None else None
            fk = fks[fk_id] = ForeignKey([], ref, ref_columns, on_delete, on_update)
        fk.columns.append(frm)
        if fk.ref_columns is not None and to is not None:
            fk.ref_columns.append(to)
    return TableDef(
        name,
        columns,
        [c for _, c in sorted(pk)],
        uniques,
        [fks[k] for k in sorted(fks)],
    )


def rebuild_statements(old: TableDef, new: TableDef, copy: dict[str, str]) -> list[str]:
    """The statements that replace ``old`` by ``new`` keeping the rows.

    ``copy`` maps each column of ``new`` that takes data to an SQL expression over ``old``'s
    columns (columns not in it get their default). Run inside one transaction with
    foreign keys off, then check them (``pragma_foreign_key_check``) before committing.
    """
    tmp = new.name + REBUILD_SUFFIX
    stmts = [new.create_sql(tmp)]
    if copy:
        cols = ", ".join(quote(c) for c in copy)
        exprs = ", ".join(copy.values())
        stmts.append(f"INSERT INTO {quote(tmp)} ({cols}) SELECT {exprs} FROM {quote(old.name)}")
    stmts.append(f"DROP TABLE {quote(old.name)}")
    stmts.append(f"ALTER TABLE {quote(tmp)} RENAME TO {quote(new.name)}")
    return stmts


# =========================================================================================
# DDL commands
# =========================================================================================


@dataclass(slots=True)
class CreateNamespace:
    name: str
    if_not_exists: bool = False
    model: str = "RELATIONAL"


@dataclass(slots=True)
class DropNamespace:
    name: str
    if_exists: bool = False


@dataclass(slots=True)
class CreateTable:
    namespace: str
    entity: str
    table: TableDef
    if_not_exists: bool = False


@dataclass(slots=True)
class DropTable:
    namespace: str
    entity: str
    if_exists: bool = False


@dataclass(slots=True)
class RenameTable:
    new_entity: str


@dataclass(slots=True)
class AddColumn:
    column: ColumnDef
    default_value: Any = None  # the parsed literal (for messages)
    primary_key: bool = False
    unique: bool = False
    foreign_key: ForeignKey | None = None


@dataclass(slots=True)
class DropColumn:
    name: str


@dataclass(slots=True)
class RenameColumn:
    old: str
    new: str


@dataclass(slots=True)
class ModifyColumn:
    """``MODIFY COLUMN c SET NOT NULL | DROP NOT NULL | SET DEFAULT v | DROP DEFAULT |
    SET TYPE T`` (``op`` is one of those, lower-case with underscores)."""

    name: str
    op: str
    default_value: Any = None
    new_type: PolyType | None = None


@dataclass(slots=True)
class AddConstraint:
    kind: str  # "primary_key" | "unique" | "foreign_key"
    columns: list[str]
    foreign_key: ForeignKey | None = None


AlterAction = RenameTable | AddColumn | DropColumn | RenameColumn | ModifyColumn | AddConstraint


@dataclass(slots=True)
class AlterTable:
    namespace: str
    entity: str
    action: AlterAction


DdlCommand = CreateNamespace | DropNamespace | CreateTable | DropTable | AlterTable

_DDL_FORMS = (
    "CREATE [RELATIONAL|DOCUMENT|GRAPH] NAMESPACE [IF NOT EXISTS] n; DROP NAMESPACE [IF EXISTS] "
    "n; CREATE TABLE [IF NOT EXISTS] n (...); DROP TABLE [IF EXISTS] n; ALTER TABLE n RENAME "
    "TO | ADD [COLUMN] | DROP [COLUMN] | RENAME COLUMN a TO b | MODIFY [COLUMN] c SET NOT NULL |"
    " DROP NOT NULL | SET DEFAULT v | DROP DEFAULT | SET TYPE t | ADD [CONSTRAINT n] "
    "PRIMARY KEY|UNIQUE|FOREIGN KEY (...)"
)


def _table_name(p: _Parser, default_ns: str) -> tuple[str, str]:
    parts = p.dotted()
    if len(parts) == 1:
        return default_ns, check_entity_name(parts[0])
    if len(parts) == 2:
        return check_namespace_name(parts[0]), check_entity_name(parts[1])
    raise p.error("a table is named namespace.table")


def _references(p: _Parser, columns: list[str], default_ns: str) -> ForeignKey:
    """After REFERENCES: table [(cols)] [ON DELETE|UPDATE action] [[NOT] DEFERRABLE ...]."""
    ns, entity = _table_name(p, default_ns)
    ref_cols = p.name_list() if p.peek() == Token(OP, "(") else None
    fk = ForeignKey(columns, mangle(ns, entity), ref_cols)
    while True:
        if p.accept("ON", "DELETE"):
            fk.on_delete = _fk_action(p)
        elif p.accept("ON", "UPDATE"):
            fk.on_update = _fk_action(p)
        elif p.accept("NOT", "DEFERRABLE") or p.accept("DEFERRABLE"):
            # always deferred here, whatever is asked: Polypheny checks at commit
            if p.accept("INITIALLY") and not (p.accept("DEFERRED") or p.accept("IMMEDIATE")):
                raise p.error("expected DEFERRED or IMMEDIATE")
        elif p.accept("MATCH"):
            p.name()
        else:
            return fk


def _fk_action(p: _Parser) -> str:
    actions = (("CASCADE",), ("RESTRICT",), ("SET", "NULL"), ("SET", "DEFAULT"), ("NO", "ACTION"))
    for words in actions:
        if p.accept(*words):
            return " ".join(words)
    raise p.error("expected CASCADE, RESTRICT, SET NULL, SET DEFAULT or NO ACTION")


class _ColumnSpec(NamedTuple):
    column: ColumnDef
    default_value: Any
    primary_key: bool
    unique: bool
    foreign_key: ForeignKey | None


def _column_def(p: _Parser, default_ns: str) -> _ColumnSpec:
    name = check_entity_name(p.name())
    ptype = p.type()
    col = ColumnDef(name, ptype)
    default_value: Any = None
    primary_key = unique = False
    fk: ForeignKey | None = None
    while not p.at_end() and p.peek() not in (Token(OP, ","), Token(OP, ")")):
        if p.accept("NOT", "NULL"):
            col.not_null = True
        elif p.accept("NULL"):
            col.not_null = False
        elif p.accept("DEFAULT"):
            default_value = p.literal()
            col.default = default_sql(default_value, ptype)
        elif p.accept("PRIMARY", "KEY"):
            primary_key = True
            col.not_null = True
        elif p.accept("UNIQUE"):
            unique = True
        elif p.accept("REFERENCES"):
            fk = _references(p, [name], default_ns)
        elif p.accept("CONSTRAINT"):
            p.name()
        else:
            raise p.error(f"unexpected text in the definition of column {name!r}")
    return _ColumnSpec(col, default_value, primary_key, unique, fk)


def _table_constraint(p: _Parser, table: TableDef, default_ns: str) -> bool:
    """Parse a table constraint into ``table``; False if the next item is a column."""
    start = p.i
    if p.accept("CONSTRAINT"):
        p.name()
    if p.accept("PRIMARY", "KEY"):
        if table.primary_key:
            raise p.error("a table has one primary key")
        table.primary_key = p.name_list()
    elif p.accept("UNIQUE"):
        table.uniques.append(p.name_list())
    elif p.accept("FOREIGN", "KEY"):
        cols = p.name_list()
        p.expect("REFERENCES")
        table.foreign_keys.append(_references(p, cols, default_ns))
    else:
        p.i = start
        return False
    return True


def _create_table(p: _Parser, default_ns: str) -> CreateTable:
    if_not_exists = p.accept("IF", "NOT", "EXISTS")
    ns, entity = _table_name(p, default_ns)
    table = TableDef(mangle(ns, entity), [])
    p.expect_op("(")
    while True:
        if not _table_constraint(p, table, default_ns):
            spec = _column_def(p, default_ns)
            table.columns.append(spec.column)
            if spec.primary_key:
                if table.primary_key:
                    raise p.error("a table has one primary key")
                table.primary_key = [spec.column.name]
            if spec.unique:
                table.uniques.append([spec.column.name])
            if spec.foreign_key is not None:
                table.foreign_keys.append(spec.foreign_key)
        if p.accept_op(")"):
            break
        p.expect_op(",")
    if p.accept("ON", "STORE"):  # Polypheny's placement clause: meaningless here
        p.name()
    p.expect_end("CREATE TABLE")
    table.validate(p.sql)
    for col in table.columns:
        if col.name.lower() in {c.lower() for c in table.primary_key}:
            col.not_null = True
    return CreateTable(ns, entity, table, if_not_exists)


def _alter_table(p: _Parser, default_ns: str) -> AlterTable:
    ns, entity = _table_name(p, default_ns)
    action: AlterAction
    if p.accept("RENAME", "TO"):
        parts = p.dotted()
        if len(parts) == 2 and parts[0].lower() != ns.lower():
            raise p.error("RENAME TO cannot move a table to another namespace")
        if len(parts) > 2:
            raise p.error("a table is named namespace.table")
        action = RenameTable(check_entity_name(parts[-1]))
    elif p.accept("RENAME", "COLUMN") or p.accept("RENAME"):
        old = p.name()
        p.expect("TO")
        action = RenameColumn(old, check_entity_name(p.name()))
    elif p.word() == "ADD" and p.word(1) in ("CONSTRAINT", "PRIMARY", "UNIQUE", "FOREIGN"):
        p.accept("ADD")
        table = TableDef("", [])
        if not _table_constraint(p, table, default_ns):
            raise p.error("expected PRIMARY KEY, UNIQUE or FOREIGN KEY")
        if table.primary_key:
            action = AddConstraint("primary_key", table.primary_key)
        elif table.uniques:
            action = AddConstraint("unique", table.uniques[0])
        else:
            fk = table.foreign_keys[0]
            action = AddConstraint("foreign_key", fk.columns, fk)
    elif p.accept("ADD"):
        p.accept("COLUMN")
        spec = _column_def(p, default_ns)
        action = AddColumn(*spec)
    elif p.accept("DROP"):
        p.accept("COLUMN")
        action = DropColumn(p.name())
    elif p.accept("MODIFY") or p.accept("ALTER"):
        p.accept("COLUMN")
        col = p.name()
        if p.accept("SET", "NOT", "NULL"):
            action = ModifyColumn(col, "set_not_null")
        elif p.accept("DROP", "NOT", "NULL"):
            action = ModifyColumn(col, "drop_not_null")
        elif p.accept("SET", "DEFAULT"):
            action = ModifyColumn(col, "set_default", default_value=p.literal())
        elif p.accept("DROP", "DEFAULT"):
            action = ModifyColumn(col, "drop_default")
        elif p.accept("SET", "TYPE") or p.accept("SET", "DATA", "TYPE") or p.accept("TYPE"):
            action = ModifyColumn(col, "set_type", new_type=p.type())
        else:
            raise p.error(
                "expected SET NOT NULL, DROP NOT NULL, SET DEFAULT, DROP DEFAULT or SET TYPE"
            )
    else:
        raise p.error(f"unsupported ALTER TABLE; supported forms: {_DDL_FORMS}")
    p.expect_end("ALTER TABLE")
    return AlterTable(ns, entity, action)


def parse_ddl(sql: str, default_ns: str = DEFAULT_NAMESPACE) -> DdlCommand:
    """Parse one Polypheny DDL statement into a command for the store to run."""
    p = _Parser(sql)
    if p.accept("CREATE"):
        model = "RELATIONAL"
        for m in ("RELATIONAL", "DOCUMENT", "GRAPH"):
            if p.accept(m):
                model = m
                break
        if p.accept("NAMESPACE") or p.accept("SCHEMA"):
            if_not_exists = p.accept("IF", "NOT", "EXISTS")
            name = check_namespace_name(p.name())
            p.expect_end("CREATE NAMESPACE")
            return CreateNamespace(name, if_not_exists, model)
        if p.accept("TABLE") and model == "RELATIONAL":
            return _create_table(p, default_ns)
    elif p.accept("DROP"):
        if p.accept("NAMESPACE") or p.accept("SCHEMA"):
            if_exists = p.accept("IF", "EXISTS")
            name = check_namespace_name(p.name())
            p.accept("CASCADE")
            p.expect_end("DROP NAMESPACE")
            return DropNamespace(name, if_exists)
        if p.accept("TABLE"):
            if_exists = p.accept("IF", "EXISTS")
            ns, entity = _table_name(p, default_ns)
            p.expect_end("DROP TABLE")
            return DropTable(ns, entity, if_exists)
    elif p.accept("ALTER", "TABLE"):
        return _alter_table(p, default_ns)
    raise StoreError(
        f"unsupported statement: {first_line(sql)}; the DDL forms supported are: {_DDL_FORMS}"
    )


# =========================================================================================
# DML and queries: rewriting table names in place
# =========================================================================================

# Words that end a FROM list at their depth (a comma after them is no longer a table).
_CLAUSE_END = frozenset(
    [
        "WHERE",
        "GROUP",
        "ORDER",
        "LIMIT",
        "OFFSET",
        "HAVING",
        "UNION",
        "EXCEPT",
        "INTERSECT",
        "WINDOW",
        "FETCH",
        "RETURNING",
        "SET",
        "VALUES",
        "SELECT",
    ]
)
# Words that cannot be an implicit alias after a table name.
_NOT_ALIAS = _CLAUSE_END | frozenset(
    [
        "JOIN",
        "LEFT",
        "RIGHT",
        "INNER",
        "OUTER",
        "FULL",
        "CROSS",
        "NATURAL",
        "ON",
        "USING",
        "DEFAULT",
        "INDEXED",
        "NOT",
        "AS",
    ]
)
# Functions whose arguments contain a FROM that is not a table FROM.
_FROM_FUNCTIONS = frozenset(["EXTRACT", "SUBSTRING", "TRIM", "OVERLAY"])
# Polypheny function names SQLite spells differently.
_FUNCTION_NAMES = {"CHAR_LENGTH": "LENGTH", "CHARACTER_LENGTH": "LENGTH"}

DML, DDL, COMMIT, ROLLBACK, BEGIN = "dml", "ddl", "commit", "rollback", "begin"
_WRITE_WORDS = frozenset(["INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "UPSERT"])


#: One select-list item: (qualifier or None, column name or "*"), or None for an expression.
SelectItem = tuple[str | None, str] | None
#: A SELECT's own FROM tables as (name used in the statement, SQLite table), lower-cased
#: names, and its select-list items: enough to name each result column's declared type.
SelectSources = tuple[tuple[tuple[str, str], ...], tuple[SelectItem, ...]]


class Translation(NamedTuple):
    """What :func:`translate` made of a statement: its kind, SQLite's SQL for DML, whether
    the statement writes (INSERT, UPDATE, DELETE), and for a SELECT where its columns come
    from."""

    kind: str
    sql: str
    writes: bool = False
    sources: SelectSources | None = None
    #: One-part table names put in the default namespace (a store may look for them in
    #: another namespace when the default one has no such table: see :func:`translate`).
    bare: tuple[str, ...] = ()


@dataclass(slots=True)
class _Ref:
    start: int  # first significant-token position of the name
    end: int  # last significant-token position of the name
    namespace: str
    entity: str
    kind: str  # "from" | "into" | "update"
    alias: str | None = None
    auto_alias: str | None = None
    depth: int = 0  # parentheses around it: 0 for the statement's own FROM

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace.lower(), self.entity.lower())

    @property
    def table(self) -> str:
        return mangle(self.namespace, self.entity)


class _DmlRewriter:
    """Rewrites table names of one DML/query statement (see the module docstring)."""

    def __init__(self, sql: str, default_ns: str, homes: dict[str, str] | None = None) -> None:
        self.sql = sql
        self.default_ns = default_ns
        self.homes = homes or {}  # one-part entity name (lower) -> its namespace
        #: One-part table names that were placed in the default namespace (lower-cased).
        self.bare: set[str] = set()
        self.toks = tokenize(sql)
        sig = [i for i, t in enumerate(self.toks) if t.kind not in _SKIP]
        while sig and self.toks[sig[-1]].text == ";":
            self.toks[sig.pop()] = Token(WS, "")
        for i in sig:
            if self.toks[i].text == ";":
                raise StoreError(f"one statement at a time, please; statement: {first_line(sql)}")
        self.sig = sig
        self.n = len(sig)
        #: Where each result column of a SELECT comes from (see :func:`select_sources`).
        self.sources: SelectSources | None = None

    # -- helpers over significant positions ----------------------------------------------

    def tok(self, k: int) -> Token:
        return self.toks[self.sig[k]]

    def word(self, k: int) -> str:
        if 0 <= k < self.n:
            t = self.toks[self.sig[k]]
            if t.kind == WORD:
                return t.text.upper()
        return ""

    def is_op(self, k: int, op: str) -> bool:
        if 0 <= k < self.n:
            t = self.toks[self.sig[k]]
            return t.kind == OP and t.text == op
        return False

    def is_name(self, k: int) -> bool:
        return 0 <= k < self.n and self.toks[self.sig[k]].kind in (QIDENT, WORD)

    # -- pass 1: find table references ---------------------------------------------------

    def _ctes(self) -> tuple[set[str], int]:
        """Names defined by a leading WITH, and where the main statement starts."""
        names: set[str] = set()
        if self.word(0) != "WITH":
            return names, 0
        k = 2 if self.word(1) == "RECURSIVE" else 1
        while self.is_name(k):
            names.add(_name_of(self.tok(k)).lower())
            k += 1
            if self.is_op(k, "("):
                k = self._skip_parens(k)
            if self.word(k) != "AS":
                break
            k += 1
            while self.word(k) in ("NOT", "MATERIALIZED"):
                k += 1
            if not self.is_op(k, "("):
                break
            k = self._skip_parens(k)
            if not self.is_op(k, ","):
                break
            k += 1
        return names, k

    def _skip_parens(self, k: int) -> int:
        depth = 0
        while k < self.n:
            if self.is_op(k, "("):
                depth += 1
            elif self.is_op(k, ")"):
                depth -= 1
                if depth == 0:
                    return k + 1
            k += 1
        return k

    def _table_ref(self, k: int, kind: str, ctes: set[str]) -> tuple[_Ref | None, int]:
        parts = [_name_of(self.tok(k))]
        j = k + 1
        while self.is_op(j, ".") and self.is_name(j + 1):
            parts.append(_name_of(self.tok(j + 1)))
            j += 2
        end = j - 1
        if len(parts) == 1 and kind == "from" and self.is_op(j, "("):
            return None, j  # a table-valued function
        if len(parts) == 1 and parts[0].lower() in ctes:
            ref = None
        elif len(parts) == 1:
            home = self.homes.get(parts[0].lower())
            if home is None:
                self.bare.add(parts[0].lower())
            ref = _Ref(k, end, home or self.default_ns, parts[0], kind)
        elif len(parts) == 2:
            ref = _Ref(k, end, parts[0], parts[1], kind)
        else:
            raise StoreError(
                f"a table is named namespace.table, not {'.'.join(parts)!r}; "
                f"statement: {first_line(self.sql)}"
            )
        alias = None
        if self.word(j) == "AS" and self.is_name(j + 1):
            alias = _name_of(self.tok(j + 1))
            j += 2
        elif kind != "into" and self.is_name(j) and self.word(j) not in _NOT_ALIAS:
            alias = _name_of(self.tok(j))
            j += 1
        if ref is not None:
            ref.alias = alias
        return ref, j

    def _find_refs(self) -> list[_Ref]:
        ctes, start = self._ctes()
        refs: list[_Ref] = []
        special: list[bool] = []  # per open paren: inside EXTRACT(... FROM ...) & co
        from_active = [False]
        expect: str | None = "update" if self.word(start) == "UPDATE" else None
        k = start + 1 if expect else 0
        while k < self.n:
            if expect is not None:
                if self.is_name(k):
                    ref, k = self._table_ref(k, expect, ctes)
                    if ref is not None:
                        ref.depth = len(from_active) - 1
                        refs.append(ref)
                    expect = None
                    continue
                expect = None
            t = self.tok(k)
            if t.kind == OP:
                if t.text == "(":
                    special.append(self.word(k - 1) in _FROM_FUNCTIONS)
                    from_active.append(False)
                elif t.text == ")" and special:
                    special.pop()
                    from_active.pop()
                elif t.text == "," and from_active[-1]:
                    expect = "from"
            elif t.kind == WORD:
                w = t.text.upper()
                if w == "FROM":
                    if not (special and special[-1]):
                        expect = "from"
                        from_active[-1] = True
                elif w == "JOIN":
                    expect = "from"
                    from_active[-1] = True
                elif w == "INTO":
                    expect = "into"
                elif w in _CLAUSE_END:
                    from_active[-1] = False
            k += 1
        return refs

    # -- pass 2: rewrite -------------------------------------------------------------------

    def rewrite(self) -> str:
        refs = self._find_refs()
        explicit = {r.alias.lower() for r in refs if r.alias}
        bare = Counter(r.entity.lower() for r in refs if r.alias is None and r.kind != "into")
        for r in refs:
            low = r.entity.lower()
            if r.alias is None and r.kind != "into" and bare[low] == 1 and low not in explicit:
                r.auto_alias = r.entity
        by_key: dict[tuple[str, str], list[_Ref]] = {}
        for r in refs:
            by_key.setdefault(r.key, []).append(r)

        out = [t.text for t in self.toks]
        sig = self.sig

        def put(first: int, last: int, text: str) -> None:
            out[sig[first]] = text
            for i in range(sig[first] + 1, sig[last] + 1):
                out[i] = ""

        if self.word(0) == "SELECT":
            self.sources = self._select_sources(refs)
        taken: set[int] = set()
        for r in refs:
            text = quote(mangle(r.namespace, r.entity))
            if r.auto_alias:
                text += f" AS {quote(r.auto_alias)}"
            put(r.start, r.end, text)
            taken.update(range(r.start, r.end + 1))

        k = 0
        while k < self.n:
            if k in taken:
                k += 1
                continue
            t = self.tok(k)
            if (
                t.kind in (QIDENT, WORD)
                and self.is_op(k + 1, ".")
                and self.is_name(k + 2)
                and self.is_op(k + 3, ".")
                and (self.is_name(k + 4) or self.is_op(k + 4, "*"))
                and not self.is_op(k - 1, ".")
            ):
                ns, entity = _name_of(t), _name_of(self.tok(k + 2))
                put(k, k + 2, quote(self._qualifier(by_key, ns, entity)))
                k += 5
                continue
            if t.kind == WORD and self.is_op(k + 1, "("):
                renamed = _FUNCTION_NAMES.get(t.text.upper())
                if renamed:
                    out[sig[k]] = renamed
            k += 1
        return "".join(out)

    def _select_sources(self, refs: list[_Ref]) -> SelectSources | None:
        """The statement's own FROM tables and what each select-list item names."""
        tables = tuple(
            ((r.alias or r.auto_alias or r.table).lower(), r.table) for r in refs if r.depth == 0
        )
        k = 2 if self.word(1) in ("DISTINCT", "ALL") else 1
        spans: list[tuple[int, int]] = []
        start, depth = k, 0
        while k < self.n:
            if self.is_op(k, "("):
                depth += 1
            elif self.is_op(k, ")"):
                depth -= 1
            elif depth == 0 and (self.is_op(k, ",") or self.word(k) == "FROM"):
                spans.append((start, k - 1))
                start = k + 1
                if self.word(k) == "FROM":
                    break
            k += 1
        else:
            spans.append((start, self.n - 1))
        return tables, tuple(self._select_item(a, b) for a, b in spans)

    def _select_item(self, a: int, b: int) -> SelectItem:
        if b - a >= 2 and self.word(b - 1) == "AS":
            b -= 2
        elif b > a and self.is_name(b) and not self.is_op(b - 1, "."):
            b -= 1  # an implicit alias
        names = [self.tok(i) for i in range(a, b + 1)]
        parts: list[str] = []
        for i, t in enumerate(names):
            if i % 2:
                if t.text != ".":
                    return None
            elif t.kind in (QIDENT, WORD):
                parts.append(_name_of(t))
            elif t.text == "*" and i == len(names) - 1:
                parts.append("*")
            else:
                return None
        if not parts or len(parts) > 3 or len(names) % 2 == 0:
            return None
        qualifier = None
        if len(parts) == 3:
            qualifier = mangle(parts[0], parts[1]).lower()
        elif len(parts) == 2:
            qualifier = parts[0].lower()
        return (qualifier, parts[-1])

    @staticmethod
    def _qualifier(by_key: dict[tuple[str, str], list[_Ref]], ns: str, entity: str) -> str:
        refs = by_key.get((ns.lower(), entity.lower()), [])
        if len(refs) == 1:
            r = refs[0]
            return r.alias or r.auto_alias or mangle(r.namespace, r.entity)
        return mangle(ns, entity)


# INSERT ... VALUES (?, ?), (?, ?) ...: only the head needs reading; the tail is checked to
# hold nothing but placeholders, commas, parentheses and blanks (so no literal hides there).
_INSERT_VALUES = re.compile(r"(\s*INSERT\s.*?)(\bVALUES[\s?,()]*);?\s*$", re.I | re.S)
# The first two words of a statement (after blanks and comments), to tell its kind cheaply.
_LEADING_WORDS = re.compile(
    r"(?:\s+|--[^\n]*|/\*.*?\*/)*([A-Za-z]+)(?:(?:\s+|--[^\n]*|/\*.*?\*/)+([A-Za-z]+))?", re.S
)


@lru_cache(maxsize=1024)
def translate(
    sql: str,
    default_ns: str = DEFAULT_NAMESPACE,
    homes: tuple[tuple[str, str], ...] = (),
) -> Translation:
    """Translate one Polypheny statement for SQLite (cached by its arguments).

    One-part table names live in ``default_ns`` unless ``homes`` names another namespace for
    them (``(("bike", "shop"),)``): PolyNOM 0.3 queries entities by bare name whatever their
    namespace, and the store resolves those it can find in exactly one namespace.
    """
    home_map = dict(homes)
    m = _INSERT_VALUES.match(sql)
    if m is not None:
        rewriter = _DmlRewriter(m.group(1), default_ns, home_map)
        head = rewriter.rewrite()
        return Translation(DML, head + m.group(2), True, None, tuple(sorted(rewriter.bare)))
    lead = _LEADING_WORDS.match(sql)
    first, second = (lead.group(1).upper(), (lead.group(2) or "").upper()) if lead else ("", "")
    if first in ("CREATE", "DROP", "ALTER"):
        return Translation(DDL, sql)  # parsed when run: DDL depends on the catalog
    plain = second in ("", "WORK", "TRANSACTION")
    if first == "COMMIT" and plain:
        return Translation(COMMIT, sql)
    if first == "ROLLBACK" and plain:
        return Translation(ROLLBACK, sql)
    if (first == "BEGIN" and plain) or (first == "START" and second == "TRANSACTION"):
        return Translation(BEGIN, sql)
    if first == "TRUNCATE":
        p = _Parser(sql)
        p.accept("TRUNCATE")
        p.accept("TABLE")
        ns, entity = _table_name(p, default_ns)
        p.expect_end("TRUNCATE")
        return Translation(DML, f"DELETE FROM {quote(mangle(ns, entity))}", True)
    rewriter = _DmlRewriter(sql, default_ns, home_map)
    out = rewriter.rewrite()
    bare = tuple(sorted(rewriter.bare))
    return Translation(DML, out, first in _WRITE_WORDS, rewriter.sources, bare)


def result_types(
    sources: SelectSources | None,
    width: int,
    table_columns: Callable[[str], list[tuple[str, str]]],
) -> list[str | None]:
    """The Polypheny type of each of ``width`` result columns, where a column is a plain
    table column (None elsewhere). ``table_columns(table)`` lists a table's (column, type)."""
    unknown: list[str | None] = [None] * width
    if sources is None:
        return unknown
    tables, items = sources
    out: list[str | None] = []
    for item in items:
        if item is None:
            out.append(None)
            continue
        qualifier, column = item
        chosen = [t for name, t in tables if qualifier is None or qualifier in (name, t.lower())]
        if column == "*":
            for table in chosen:
                out.extend(ptype for _, ptype in table_columns(table))
            continue
        found = [
            ptype
            for table in chosen
            for name, ptype in table_columns(table)
            if name.lower() == column.lower()
        ]
        out.append(found[0] if len(found) == 1 else None)
    return out if len(out) == width else unknown
