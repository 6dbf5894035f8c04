"""SQLite's errors as polynom errors: one table, read top to bottom by :func:`map_error`.

``sqlite3`` raises its errors with SQLite's extended result code (``sqlite_errorcode``; the
primary code is its low byte, https://www.sqlite.org/rescode.html) and SQLite's message. A row
matches by code, by message or by the Python exception raised; the first row that matches
names the polynom error and words its message.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from typing import Any

from polynom.errors import (
    ConflictError,
    ForeignKeyViolation,
    IntegrityError,
    NotNullViolation,
    StoreConnectionError,
    StoreError,
    UniqueViolation,
)
from polynom.stores.sqlite.refusals import (
    EXECUTION,
    PARSE,
    PolyphenyRefusal,
    parse_error,
    validation_error,
)
from polynom.stores.sqlite.translate.names import REBUILD_SUFFIX, quote
from polynom.stores.sqlite.translate.tokens import first_line

#: SQLITE_CONSTRAINT: the primary code of every constraint failure.
CONSTRAINT = 19
#: SQLITE_CONSTRAINT_FOREIGNKEY: also what a COMMIT with a dangling deferred key fails with.
FOREIGN_KEY = 787


@dataclass(frozen=True, slots=True)
class _Row:
    """Which ``sqlite3`` errors a row matches, and the polynom error they become.

    ``message`` is formatted with ``detail`` (SQLite's text after its colon), ``message``
    (SQLite's whole text) and ``statement`` (the statement's first line). A row matches when
    the error is of type ``raised`` (if given), is a constraint failure (if ``constraint``),
    and has one of the ``codes`` or ``primary`` codes or a text ``pattern`` finds; a row with
    neither codes nor pattern matches on the first two conditions alone.
    """

    error: type[StoreError]
    message: str
    codes: frozenset[int] = frozenset()  # extended result codes
    primary: frozenset[int] = frozenset()  # primary result codes
    pattern: re.Pattern[str] | None = None
    raised: type[BaseException] | None = None
    constraint: bool = False


_IN_STATEMENT = "; statement: {statement}"

#: The table: first match wins; an error no row matches is a plain :class:`StoreError`.
ERRORS: tuple[_Row, ...] = (
    # "UNIQUE constraint failed: t.c" -- SQLITE_CONSTRAINT_UNIQUE (2067), and
    # SQLITE_CONSTRAINT_PRIMARYKEY (1555) for a primary key
    _Row(
        UniqueViolation,
        "unique constraint violated on {detail}: an entry with that value already exists"
        + _IN_STATEMENT,
        codes=frozenset({2067, 1555}),
        pattern=re.compile("^UNIQUE constraint"),
        constraint=True,
    ),
    # "NOT NULL constraint failed: t.c" -- SQLITE_CONSTRAINT_NOTNULL (1299)
    _Row(
        NotNullViolation,
        "{detail} may not be NULL" + _IN_STATEMENT,
        codes=frozenset({1299}),
        pattern=re.compile("^NOT NULL constraint"),
        constraint=True,
    ),
    # "FOREIGN KEY constraint failed" -- SQLITE_CONSTRAINT_FOREIGNKEY (787)
    _Row(
        ForeignKeyViolation,
        "foreign key violated" + _IN_STATEMENT,
        codes=frozenset({FOREIGN_KEY}),
        pattern=re.compile("^FOREIGN KEY"),
        constraint=True,
    ),
    # any other constraint failure ("CHECK constraint failed: b > 0", SQLITE_CONSTRAINT_CHECK)
    _Row(IntegrityError, "{message}" + _IN_STATEMENT, constraint=True),
    # "database is locked" -- SQLITE_BUSY_SNAPSHOT (517): a WAL transaction read a snapshot
    # that another connection's commit has since replaced, and then tried to write
    _Row(
        ConflictError,
        "another session changed the data since this transaction read it (its snapshot is out "
        "of date); roll back and retry" + _IN_STATEMENT,
        codes=frozenset({517}),
    ),
    # "database is locked" / "database table is locked" -- SQLITE_BUSY (5), SQLITE_LOCKED (6):
    # another connection holds the write lock past the busy timeout
    _Row(
        ConflictError,
        "another session's transaction holds the write lock (SQLite lets one transaction write "
        "at a time) and did not finish in time ({message}); roll back and retry" + _IN_STATEMENT,
        primary=frozenset({5, 6}),
    ),
    # "disk I/O error", "database disk image is malformed", "unable to open database file",
    # "file is not a database" -- SQLITE_IOERR (10), _CORRUPT (11), _CANTOPEN (14),
    # _NOTADB (26): the connection cannot be trusted any more
    _Row(
        StoreConnectionError,
        "the SQLite connection failed: {message}",
        primary=frozenset({10, 11, 14, 26}),
    ),
    # Python's sqlite3 module: "Cannot operate on a closed database."
    _Row(
        StoreConnectionError,
        "the SQLite connection failed: {message}",
        pattern=re.compile("closed"),
        raised=sqlite3.ProgrammingError,
    ),
    # Python's sqlite3 module: "Python int too large to convert to SQLite INTEGER"
    _Row(
        StoreError,
        "a value is too large for SQLite ({message})" + _IN_STATEMENT,
        raised=OverflowError,
    ),
)


def map_error(exc: BaseException, sql: str) -> StoreError:
    """The polynom error for an ``sqlite3`` error (or OverflowError) raised by ``sql``."""
    if isinstance(exc, StoreError):
        return exc
    message = str(exc).replace(REBUILD_SUFFIX, "")
    code = getattr(exc, "sqlite_errorcode", None) or 0
    primary = code & 0xFF
    constraint = isinstance(exc, sqlite3.IntegrityError) or primary == CONSTRAINT
    for row in ERRORS:
        if row.constraint and not constraint:
            continue
        if row.raised is not None and not isinstance(exc, row.raised):
            continue
        if (
            (row.codes or row.primary or row.pattern)
            and code not in row.codes
            and primary not in row.primary
            and (row.pattern is None or row.pattern.search(message) is None)
        ):
            continue
        return row.error(
            row.message.format(detail=_detail(message), message=message, statement=first_line(sql))
        )
    return StoreError(f"{message}; statement: {first_line(sql)}")


def _detail(message: str) -> str:
    """The part of an SQLite message after the colon."""
    return message.split(":", 1)[1].strip() if ":" in message else message


def describe_fk_violations(raw: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> str:
    """Describe ``pragma_foreign_key_check`` rows: which entry points at what is missing."""
    table, rowid, parent, fkid = rows[0]
    cols = [
        r[3]
        for r in raw.execute("SELECT * FROM pragma_foreign_key_list(?)", (table,)).fetchall()
        if r[0] == fkid
    ]
    where = ", ".join(f"{table}.{c}" for c in cols) or table
    value = ""
    if rowid is not None and cols:
        try:
            found = raw.execute(
                f"SELECT {', '.join(map(quote, cols))} FROM {quote(table)} WHERE rowid = ?",
                (rowid,),
            ).fetchone()
            if found is not None:
                value = " = " + ", ".join(repr(v) for v in found)
        except sqlite3.Error:
            pass
    more = f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""
    return f"{where}{value} references {parent}, which has no such entry{more}"


# -- Polypheny's words, for the embedded store's semantics="polypheny" --------------------

_NO_COLUMN = re.compile(r"^no such column: (?:(?P<qualifier>.+)\.)?(?P<column>[^.]+)$")
_NO_TABLE = re.compile(r"^no such table: (?P<table>.+)$")
_SYNTAX = re.compile(r'^near "(?P<near>.*)": syntax error$', re.S)


def _offset_of(sql: str, name: str) -> int:
    """Where ``name`` first appears in ``sql`` as an identifier (quoted or not), else 0."""
    for form in (f'"{name}"', name):
        at = sql.find(form)
        if at >= 0:
            return at
    return 0


def polypheny_error(exc: BaseException, sql: str, phase: str | None = None) -> StoreError:
    """A failed statement as a default Polypheny words it (Polypheny-DB's texts, cited in
    :mod:`polynom.stores.sqlite.refusals`), with the phase it failed in.

    ``phase`` names it for errors of our own DDL runner and parser; SQLite's errors are
    placed by their text: an unknown column or table is a validation error, a syntax error
    a parse error, anything else an error while executing (which leaves the transaction
    open on Polypheny)."""
    if isinstance(exc, PolyphenyRefusal):
        return exc
    message = str(exc).replace(REBUILD_SUFFIX, "")
    if phase == PARSE:
        return PolyphenyRefusal(f"org.polypheny.db.languages.NodeParseException: {message}", PARSE)
    if phase is not None:
        return PolyphenyRefusal(message, phase)
    m = _NO_COLUMN.match(message)
    if m is not None:
        column, qualifier = m.group("column"), m.group("qualifier")
        start = _offset_of(sql, column)
        where = f"table '{qualifier}'" if qualifier else "any table"
        return validation_error(
            sql, start, start + len(column) + 2, f"Column '{column}' not found in {where}"
        )
    m = _NO_TABLE.match(message)
    if m is not None:
        ns, _, entity = m.group("table").partition(".")
        start = _offset_of(sql, entity or ns)
        return validation_error(
            sql,
            start,
            start + len(entity or ns) + 2,
            f"Object '{entity or ns}' not found within '{ns}'",
        )
    m = _SYNTAX.match(message)
    if m is not None or message == "incomplete input":
        near = m.group("near") if m else ""
        at = sql.find(near) if near else len(sql)
        return parse_error(sql, max(at, 0), near, "...")
    # plugins/jdbc-adapter-framework/.../ResultSetEnumerable.java: the store's own text is
    # only the Java cause and never reaches the client
    return PolyphenyRefusal(
        f"While executing SQL [{' '.join(first_line(sql, 2000).split())}] on JDBC sub-namespace",
        EXECUTION,
    )
