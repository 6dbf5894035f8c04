"""One pooled connection of the embedded store, and what its queries return.

Each connection's transaction is explicit and starts at its first write (``BEGIN
IMMEDIATE``, which takes SQLite's one write lock): reads before it see the latest committed
data, as under READ COMMITTED, and a writer never fails because it read an older snapshot.
Foreign keys are checked at commit. Statements are translated by
:mod:`polynom.stores.sqlite.translate` (cached by text); values are adapted per call.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from itertools import chain
from operator import itemgetter
from typing import Any, NamedTuple

from polynom.errors import (
    ConflictError,
    ForeignKeyViolation,
    IntegrityError,
    StoreConnectionError,
    StoreError,
)
from polynom.stores.base import Result, StoreConnection
from polynom.stores.sqlite.catalog import Catalog
from polynom.stores.sqlite.ddl_polypheny import (
    KEYS_TABLE,
    PolyphenyDdlRunner,
    create_keys_table,
    read_table,
)
from polynom.stores.sqlite.ddl_runner import run_ddl
from polynom.stores.sqlite.errors import (
    FOREIGN_KEY,
    describe_fk_violations,
    map_error,
    polypheny_error,
)
from polynom.stores.sqlite.refusals import DDL as DDL_PHASE
from polynom.stores.sqlite.refusals import PARSE
from polynom.stores.sqlite.translate.ddl import parse_ddl
from polynom.stores.sqlite.translate.dml import SelectSources
from polynom.stores.sqlite.translate.names import (
    DEFAULT_NAMESPACE,
    NAMESPACE_TABLE,
    mangle,
    quote,
)
from polynom.stores.sqlite.translate.tables import ForeignKey, TableDef
from polynom.stores.sqlite.translate.tokens import first_line
from polynom.stores.sqlite.translate.translation import (
    COMMIT,
    DDL,
    DML,
    ROLLBACK,
    Translation,
    translate,
)
from polynom.stores.sqlite.translate.types import type_from_decl
from polynom.stores.sqlite.translate.values import AS_IS, adapt_params, register_converters
from polynom.stores.sqlite.writes import fit

__all__ = ["SqliteConnection", "SqliteResult", "is_broken"]

register_converters()

_first = itemgetter(0)  # a column's name in cursor.description
#: How many reads' translations one connection keeps (see ``SqliteConnection.fetch_rows``).
_MAX_READS = 512


class SqliteResult(Result):
    """A query's :class:`Result` that can also name each result column's Polypheny type
    (``DECIMAL(10, 2)``...) where the column is a plain table column, ``None`` elsewhere:
    what the Prism stand-in reports as column metadata. Worked out on first access only."""

    __slots__ = ("_catalog", "_sources", "_types")

    def __init__(
        self,
        columns: list[str],
        rows: list[tuple[Any, ...]],
        catalog: Catalog | None = None,
        sources: SelectSources | None = None,
    ) -> None:
        # the fields of Result, set here: one call less for every query
        self.columns = columns
        self.rows = rows
        self.rowcount = -1
        self._catalog = catalog
        self._sources = sources
        self._types: list[str | None] | None = None

    @property
    def types(self) -> list[str | None]:
        if self._types is None:
            catalog, sources = self._catalog, self._sources
            self._catalog = self._sources = None
            width = len(self.columns)
            self._types = (
                catalog.result_types(sources, width)
                if catalog is not None and sources
                else [None] * width
            )
        return self._types


class _PagedRead(NamedTuple):
    """The two texts of a paged read (see :mod:`~.translate.paging`) and the table it reads:
    which one runs depends on the table, which DDL may change."""

    stored: str
    paged: str
    table: str


def _read_text(tr: Translation) -> str | _PagedRead:
    """What :meth:`SqliteConnection.fetch_rows` runs for a query."""
    text = tr.stored_sql or tr.sql
    if tr.paged_sql is None or tr.sources is None:
        return text
    return _PagedRead(text, tr.paged_sql, tr.sources[0][0][1])


class SqliteConnection(StoreConnection):
    """One pooled ``sqlite3`` connection with an explicit transaction.

    With ``polypheny`` (the store's ``semantics="polypheny"``) it answers as a default
    Polypheny does: no key is enforced, NOT NULL is checked logically, DDL runs in the open
    transaction and commits it (a failed one rolls it all back), and a failed statement is a
    :class:`~polynom.stores.sqlite.refusals.PolyphenyRefusal` in Polypheny's words that
    leaves the transaction to the caller (the Prism stand-in decides, by its phase)."""

    def __init__(
        self, raw: sqlite3.Connection, url: str, catalog: Catalog, *, polypheny: bool = False
    ) -> None:
        self._raw: sqlite3.Connection | None = raw
        self._url = url  # for messages
        self._catalog = catalog
        self._broken = False
        self.polypheny = polypheny
        #: The SQLite text of each read :meth:`fetch_rows` ran (by its Polypheny text).
        self._reads: dict[str, str | _PagedRead] = {}

    @property
    def broken(self) -> bool:
        return self._raw is None or self._broken

    @property
    def in_transaction(self) -> bool:
        return self._raw is not None and self._raw.in_transaction

    def _conn(self) -> sqlite3.Connection:
        raw = self._raw
        if raw is None or self._broken:
            raise StoreConnectionError(f"this connection to {self._url} is closed")
        return raw

    def _failed(self, exc: BaseException, sql: str) -> StoreError:
        """Map ``exc``; roll back after integrity errors and conflicts (the transaction
        cannot go on), and mark the connection broken when SQLite says it is. With
        Polypheny's semantics the error is Polypheny's and nothing is rolled back."""
        error = map_error(exc, sql)
        if isinstance(error, StoreConnectionError):
            self._broken = True
        elif self.polypheny:
            return error if isinstance(error, ConflictError) else polypheny_error(exc, sql)
        elif isinstance(error, (IntegrityError, ConflictError)):
            self._quiet_rollback()
        return error

    def _quiet_rollback(self) -> None:
        raw = self._raw
        if raw is not None and raw.in_transaction:
            try:
                raw.execute("ROLLBACK")
            except sqlite3.Error:
                self._broken = True

    def execute(
        self, sql: str, params: Sequence[Any] = (), *, namespace: str | None = None
    ) -> Result:
        """Run one Polypheny statement; ``namespace`` is where one-part table names live
        (``public`` by default). DDL commits the open transaction first, as on Polypheny."""
        raw = self._raw
        if raw is None or self._broken:
            raw = self._conn()  # raises
        ns = namespace or DEFAULT_NAMESPACE
        tr = self.translate(sql, ns)
        if tr.kind != DML:
            return self._special(tr, sql, namespace)
        if tr.writes:
            plan = self._catalog.write_plan(tr, raw)
            if plan is not None:
                params = fit(plan, params)
        try:
            if tr.writes and not raw.in_transaction:
                raw.execute("BEGIN IMMEDIATE")
            cur = raw.execute(tr.sql, adapt_params(params) if params else ())
            desc = cur.description
            if desc is None:
                return Result(rowcount=cur.rowcount)
            return SqliteResult(list(map(_first, desc)), cur.fetchall(), self._catalog, tr.sources)
        except (sqlite3.Error, OverflowError) as exc:
            raise self._failed(exc, sql) from None

    def fetch_rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """The rows of one query in the default namespace, without a :class:`Result`, each
        plain column's value in its stored form (a DECIMAL as its REAL or its digits, a
        BOOLEAN as 0/1, a TIMESTAMP as ISO text): the short path of the mapper's own reads
        (a get by id, a query's models, a lazy load), which converts by polytype itself, so
        SQLite runs no converter per value. Its SQLite text is kept per statement (a read's
        translation depends on nothing but its text, unless it names a bare table, which
        goes the long way). A page of one table's rows is read by their rowids first
        (:mod:`~.translate.paging`)."""
        raw = self._raw
        if raw is None or self._broken:
            raw = self._conn()  # raises
        read = self._reads.get(sql)
        if read is None:
            tr = self.translate(sql)
            if tr.kind != DML or tr.writes or tr.bare:
                return self.execute(sql, params).rows
            if len(self._reads) >= _MAX_READS:
                self._reads.clear()
            read = self._reads[sql] = _read_text(tr)
        if isinstance(read, str):
            text = read
        else:  # a page: by its rowids first where the table has them
            text = read.paged if self._catalog.has_rowid(read.table, raw) else read.stored
        try:
            return raw.execute(text, adapt_params(params) if params else ()).fetchall()
        except (sqlite3.Error, OverflowError) as exc:
            raise self._failed(exc, sql) from None

    def execute_many(
        self, sql: str, rows: Sequence[Sequence[Any]], *, namespace: str | None = None
    ) -> int:
        """Run one DML statement once per parameter row in one call; total rows affected."""
        raw = self._conn()
        ns = namespace or DEFAULT_NAMESPACE
        tr = self.translate(sql, ns)
        if tr.kind != DML:
            raise StoreError(f"execute_many runs DML only; statement: {first_line(sql)}")
        if not rows:
            return 0
        if tr.writes:
            plan = self._catalog.write_plan(tr, raw)
            if plan is not None:
                rows = [fit(plan, r) for r in rows]
        try:
            if tr.writes and not raw.in_transaction:
                raw.execute("BEGIN IMMEDIATE")
            if not _plain_rows(rows):
                rows = [adapt_params(r) for r in rows]
            cur = raw.executemany(tr.sql, rows)
            return max(cur.rowcount, 0)
        except (sqlite3.Error, OverflowError) as exc:
            raise self._failed(exc, sql) from None

    def translate(self, sql: str, namespace: str | None = None) -> Translation:
        """The statement translated for SQLite, its one-part table names placed where the
        catalog finds them (what the Prism stand-in also reads the tables to lock from)."""
        ns = namespace or DEFAULT_NAMESPACE
        try:
            tr = translate(sql, ns, (), self.polypheny)
        except StoreError as exc:
            if self.polypheny and not hasattr(exc, "phase"):
                raise polypheny_error(exc, sql) from None
            raise
        if tr.bare and tr.kind == DML:
            tr = self._catalog.place_bare_names(sql, ns, tr)
        return tr

    def _special(self, tr: Translation, sql: str, namespace: str | None) -> Result:
        if tr.kind == COMMIT:
            self.commit()
        elif tr.kind == ROLLBACK:
            self.rollback()
        elif tr.kind == DDL:
            if self.in_transaction and not self.polypheny:
                self.commit()  # Polypheny commits the open transaction with the DDL
            self.run_ddl([sql], namespace=namespace)
        return Result(rowcount=0)

    def run_ddl(self, statements: Sequence[str], *, namespace: str | None = None) -> None:
        """Run DDL statements in their own transaction on this connection (none may be open).

        With Polypheny's semantics they run in the open transaction, one after the other,
        and commit it; a failing one rolls the whole transaction back (Polypheny-DB's
        ``core/.../processing/Processor.java``, ``prepareDdl``, and ``LanguageManager.java``)."""
        raw = self._conn()
        if self.polypheny:
            self._polypheny_ddl(raw, statements, namespace)
            return
        if raw.in_transaction:
            raise StoreError("DDL needs a connection without an open transaction")
        ns = namespace or DEFAULT_NAMESPACE
        commands = []
        for sql in statements:
            tr = translate(sql, ns)
            if tr.kind != DDL:
                raise StoreError(f"this runs DDL only; statement: {first_line(sql)}")
            commands.append((sql, parse_ddl(sql, ns)))
        if not commands:
            return
        try:
            run_ddl(raw, commands)
        except sqlite3.Error as exc:  # e.g. restoring foreign_keys failed
            raise self._failed(exc, statements[0]) from None
        finally:
            self._catalog.forget()

    def _polypheny_ddl(
        self, raw: sqlite3.Connection, statements: Sequence[str], namespace: str | None
    ) -> None:
        ns = namespace or DEFAULT_NAMESPACE
        try:
            for sql in statements:
                if not raw.in_transaction:
                    raw.execute("BEGIN IMMEDIATE")
                try:
                    command = parse_ddl(sql, ns, strict=True)
                except StoreError as exc:
                    raise polypheny_error(exc, sql, PARSE) from None
                try:
                    PolyphenyDdlRunner(raw).run(command, sql)
                except (sqlite3.Error, OverflowError, StoreError) as exc:
                    raise polypheny_error(exc, sql, DDL_PHASE) from None
                raw.execute("COMMIT")
        except BaseException:
            self._quiet_rollback()
            raise
        finally:
            self._catalog.forget()

    def table(self, namespace: str, entity: str) -> TableDef | None:
        """A table as the catalog knows it, keys and NOT NULL included (Polypheny's
        semantics: its keys are not SQLite constraints), or None when there is none."""
        raw = self._conn()
        if self.polypheny:
            create_keys_table(raw)
            return read_table(raw, mangle(namespace, entity))
        raise StoreError("table() is for the embedded store's Polypheny semantics")

    def referencing(self, table: str) -> list[tuple[str, ForeignKey]]:
        """The foreign keys of other tables that reference ``table`` (``"ns.t"``), as
        ``(their table, key)`` -- Polypheny's semantics, where keys live in the catalog."""
        raw = self._conn()
        create_keys_table(raw)
        found = []
        for (name,) in raw.execute(f"SELECT name FROM {quote(KEYS_TABLE)}").fetchall():
            if name.lower() == table.lower():
                continue
            other = read_table(raw, name)
            if other is not None:
                found += [
                    (name, fk) for fk in other.foreign_keys if fk.ref_table.lower() == table.lower()
                ]
        return found

    def column_types(self, namespace: str, entity: str) -> dict[str, str]:
        """Each column of ``"namespace"."entity"`` with its Polypheny type, in column order."""
        table = mangle(namespace, entity)
        try:
            rows = self._conn().execute("SELECT * FROM pragma_table_info(?)", (table,)).fetchall()
        except sqlite3.Error as exc:
            raise map_error(exc, "PRAGMA table_info") from None
        if not rows:
            raise StoreError(f'table "{namespace}"."{entity}" does not exist')
        types: dict[str, str] = {}
        for _cid, name, decl, *_ in rows:
            ptype = type_from_decl(decl)
            types[name] = str(ptype) if ptype is not None else decl
        return types

    def prepare_database(self) -> int:
        """Put a new or existing database file in WAL mode and make sure it has the namespace
        catalog with Polypheny's ``public`` namespace. Returns how many bound parameters one
        statement may carry on this connection."""
        raw = self._conn()
        limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        try:
            raw.execute("PRAGMA journal_mode=WAL")
            raw.execute("BEGIN IMMEDIATE")
            if self.polypheny:
                create_keys_table(raw)
            raw.execute(
                f"CREATE TABLE IF NOT EXISTS {quote(NAMESPACE_TABLE)} "
                "(name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE, model TEXT NOT NULL)"
            )
            raw.execute(
                f"INSERT OR IGNORE INTO {quote(NAMESPACE_TABLE)} VALUES (?, ?)",
                (DEFAULT_NAMESPACE, "RELATIONAL"),
            )
            raw.execute("COMMIT")
        except sqlite3.Error as exc:
            self._quiet_rollback()
            raise StoreConnectionError(
                f"cannot prepare the SQLite database {self._url}: {exc}"
            ) from None
        return limit

    def commit(self) -> None:
        """Commit; a foreign key that points nowhere raises :class:`ForeignKeyViolation` (and
        the transaction is rolled back)."""
        raw = self._raw
        if raw is None or self._broken:
            raw = self._conn()  # raises
        if not raw.in_transaction:
            return
        try:
            raw.execute("COMMIT")
        except sqlite3.IntegrityError as exc:
            detail = ""
            try:
                rows = raw.execute("SELECT * FROM pragma_foreign_key_check").fetchall()
                if rows:
                    detail = ": " + describe_fk_violations(raw, rows)
            except sqlite3.Error:
                pass
            self._quiet_rollback()
            if (getattr(exc, "sqlite_errorcode", 0) or 0) == FOREIGN_KEY or detail:
                raise ForeignKeyViolation(
                    f"foreign key violated at commit{detail}; the transaction was rolled back"
                ) from None
            raise map_error(exc, "COMMIT") from None
        except sqlite3.Error as exc:
            error = map_error(exc, "COMMIT")
            self._quiet_rollback()
            if isinstance(error, StoreConnectionError):
                self._broken = True
            raise error from None

    def rollback(self) -> None:
        raw = self._raw
        if raw is None or not raw.in_transaction:
            return
        try:
            raw.execute("ROLLBACK")
        except sqlite3.Error as exc:
            self._broken = True
            raise StoreConnectionError(f"rollback failed: {exc}") from None

    def close(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            with contextlib.suppress(sqlite3.Error):
                raw.close()  # rolls back an open transaction


#: Parameter rows (their values need no adapting when all are of ``AS_IS`` types).
_ROW_TYPES = frozenset({list, tuple})


def _plain_rows(rows: Sequence[Sequence[Any]]) -> bool:
    """True when every row is a list or tuple of values that need no adapting: a batch of
    updates checks it once, in C, instead of adapting row by row."""
    return _ROW_TYPES.issuperset(map(type, rows)) and AS_IS.issuperset(
        map(type, chain.from_iterable(rows))
    )


def is_broken(conn: SqliteConnection) -> bool:
    """``conn.broken`` in one call (the pool asks on every checkout and checkin)."""
    return conn._raw is None or conn._broken
