"""One Polypheny statement translated for SQLite: :func:`translate`, the cached entry point.

It tells the statement's kind cheaply; DML and queries get their table names rewritten
(:mod:`.dml`), DDL is left for the store to parse when it runs (:mod:`.ddl`), and ``COMMIT``,
``ROLLBACK`` and ``BEGIN`` are named as such. :func:`result_types` then names the Polypheny
type of each result column of a query.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from polynom.stores.sqlite.translate.dml import DmlRewriter, SelectSources
from polynom.stores.sqlite.translate.names import DEFAULT_NAMESPACE, mangle, quote
from polynom.stores.sqlite.translate.parser import Parser

#: The kinds of statement :func:`translate` tells apart.
DML, DDL, COMMIT, ROLLBACK, BEGIN = "dml", "ddl", "commit", "rollback", "begin"
_WRITE_WORDS = frozenset(["INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE", "UPSERT"])


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
    #: Every table the statement names, as lower-cased ``(namespace, entity)``.
    entities: tuple[tuple[str, str], ...] = ()
    #: The table an INSERT, UPDATE or DELETE writes.
    target: tuple[str, str] | None = None
    #: The columns an INSERT's rows of values bind to, in order.
    insert_columns: tuple[str, ...] = ()
    #: ``(parameter index, column)`` for each ``column = ?`` an UPDATE sets.
    set_params: tuple[tuple[int, str], ...] = ()
    #: A SELECT's SQLite text with its plain result columns in their stored form, no
    #: converter applied (:mod:`.dml`); None for other statements.
    stored_sql: str | None = None
    #: ``stored_sql`` for a paged SELECT of one table, reading the page's rowids first
    #: (:mod:`.paging`): what a store runs when the table has its rowid as ``_rowid_``.
    paged_sql: str | None = None


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
    polypheny: bool = False,
) -> Translation:
    """Translate one Polypheny statement for SQLite (cached by its arguments).

    One-part table names live in ``default_ns`` unless ``homes`` names another namespace for
    them (``(("bike", "shop"),)``): PolyNOM 0.3 queries entities by bare name whatever their
    namespace, and the store resolves those it can find in exactly one namespace.
    ``polypheny`` applies a default Polypheny's rules to queries (:mod:`.clauses`).
    """
    home_map = dict(homes)
    m = _INSERT_VALUES.match(sql)
    if m is not None:
        rewriter = DmlRewriter(m.group(1), default_ns, home_map, polypheny=polypheny)
        head = rewriter.rewrite()
        return Translation(
            DML,
            head + m.group(2),
            True,
            None,
            tuple(sorted(rewriter.bare)),
            rewriter.entities,
            rewriter.target,
            rewriter.insert_columns,
        )
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
        p = Parser(sql)
        p.accept("TRUNCATE")
        p.accept("TABLE")
        ns, entity = p.table_name(default_ns)
        p.expect_end("TRUNCATE")
        key = (ns.lower(), entity.lower())
        return Translation(
            DML, f"DELETE FROM {quote(mangle(ns, entity))}", True, None, (), (key,), key
        )
    rewriter = DmlRewriter(sql, default_ns, home_map, polypheny=polypheny)
    out = rewriter.rewrite()
    bare = tuple(sorted(rewriter.bare))
    return Translation(
        DML,
        out,
        first in _WRITE_WORDS,
        rewriter.sources,
        bare,
        rewriter.entities,
        rewriter.target if first in _WRITE_WORDS else None,
        rewriter.insert_columns,
        rewriter.set_params,
        rewriter.stored_sql,
        rewriter.paged_sql,
    )


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
