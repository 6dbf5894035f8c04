"""Polypheny's column types and the SQLite declarations that hold them.

Each Polypheny type is declared with an SQLite type name that keeps the original type readable
(``VARCHAR(20)``, ``TIMESTAMP_TEXT``) and picks an affinity that never changes a value (see
:data:`SQLITE_TYPE_NAMES`).

Decimals take one of two forms, both exact. A ``DECIMAL(p, s)`` of up to
:data:`REAL_DIGITS` digits is declared ``DECIMAL_REAL_<s>(p, s)`` and stored as the nearest
double: every decimal of at most 15 significant digits has its own double, and that double
prints back as the same digits, so SQLite compares, sorts, counts and indexes these columns
natively. Wider decimals are declared ``DECIMAL_TEXT_<s>(p, s)``, stored as exact text and
compared by value through the :data:`DECIMAL_COLLATION` (a Python call per comparison). The
scale in the name gives each column a converter that returns its values with that scale.
Files written before these forms declare ``DECIMAL_TEXT(p, s)``; they are read as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from polynom.errors import StoreError

#: The collation that makes DECIMAL_TEXT columns compare and sort by value, not as text.
DECIMAL_COLLATION = "polynom_decimal"

#: The widest DECIMAL stored as a double: 15 significant digits always survive the trip
#: decimal -> nearest double -> 15-digit text (C's ``DBL_DIG``).
REAL_DIGITS = 15

#: The declared-type prefixes of a DECIMAL stored as a double (REAL affinity) and as text
#: (TEXT affinity); the scale follows (``DECIMAL_REAL_2(10, 2)``).
DECIMAL_REAL = "DECIMAL_REAL_"
DECIMAL_TEXT = "DECIMAL_TEXT_"

#: The largest scale a DECIMAL has (Polypheny's precision limit, polytypes.Decimal).
MAX_SCALE = 64

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
    "DECIMAL": "DECIMAL_TEXT",  # TEXT: exact digits, compared with polynom_decimal; with a
    # precision DECIMAL_TEXT_<scale>, or DECIMAL_REAL_<scale> (REAL) up to REAL_DIGITS digits
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
#: The values each integer type holds (Polypheny's Java int types).
INT_RANGES = {
    "TINYINT": (-(2**7), 2**7 - 1),
    "SMALLINT": (-(2**15), 2**15 - 1),
    "INTEGER": (-(2**31), 2**31 - 1),
    "BIGINT": (-(2**63), 2**63 - 1),
}
_DECL_RE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?\s*$")
_DECIMAL_FORM_RE = re.compile(r"DECIMAL_(?:REAL|TEXT)_\d+$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ColumnType:
    """A Polypheny column type: a name and its arguments (length, precision, scale)."""

    name: str
    args: tuple[int, ...] = ()

    def __str__(self) -> str:
        if not self.args:
            return self.name
        return f"{self.name}({', '.join(map(str, self.args))})"

    @property
    def stored_as_real(self) -> bool:
        """A DECIMAL narrow enough to be stored, exactly, as a double."""
        return self.name == "DECIMAL" and bool(self.args) and self.args[0] <= REAL_DIGITS

    @property
    def scale(self) -> int:
        """A DECIMAL's scale (0 when not given)."""
        return self.args[1] if len(self.args) > 1 else 0

    @property
    def sqlite_decl(self) -> str:
        """The SQLite declared type (affinity-safe, Polypheny type recoverable)."""
        if self.name == "DECIMAL" and self.args:
            base = f"{DECIMAL_REAL if self.stored_as_real else DECIMAL_TEXT}{self.scale}"
        else:
            base = SQLITE_TYPE_NAMES[self.name]
        return base if not self.args else f"{base}({', '.join(map(str, self.args))})"

    @property
    def column_sql(self) -> str:
        """Declared type plus the collation the type needs."""
        if self.name == "DECIMAL" and not self.stored_as_real:
            return f"{self.sqlite_decl} COLLATE {DECIMAL_COLLATION}"
        return self.sqlite_decl


def make_type(name: str, args: Sequence[int] = ()) -> ColumnType:
    """Build a :class:`ColumnType`, checking the name and the number of arguments."""
    upper = _TYPE_SYNONYMS.get(name.upper(), name.upper())
    if upper not in SQLITE_TYPE_NAMES:
        raise StoreError(
            f"unknown column type {name!r}; Polypheny types are " + ", ".join(SQLITE_TYPE_NAMES)
        )
    low, high = _TYPE_ARITY.get(upper, (0, 0))
    if not low <= len(args) <= high:
        raise StoreError(f"type {upper} takes {low} to {high} arguments, not {len(args)}")
    return ColumnType(upper, tuple(args))


@lru_cache(maxsize=256)
def type_from_decl(decl: str) -> ColumnType | None:
    """The Polypheny type an SQLite declared type stands for (None if not one of ours)."""
    m = _DECL_RE.match(decl or "")
    if not m:
        return None
    base = m.group(1).upper()
    name = "DECIMAL" if _DECIMAL_FORM_RE.match(base) else _POLY_FROM_SQLITE.get(base)
    if name is None:
        return None
    args = tuple(int(g) for g in m.group(2, 3) if g is not None)
    try:
        return make_type(name, args)
    except StoreError:
        return None
