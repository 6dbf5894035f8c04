"""DML and queries: table names rewritten in place, everything else left as written.

In table positions (after ``FROM``/``JOIN``/``INTO``/``UPDATE`` and in ``FROM a, b`` lists) a
two-part name is namespace.table; a one-part name belongs to the default namespace (``public``
unless the caller names another, as PolyNOM 0.3 does). An unaliased table gets its bare name
as alias (``FROM "ns"."t"`` -> ``FROM "ns.t" AS "t"``) so ``"t"."c"`` keeps working; a
three-part ``"ns"."t"."c"`` is rewritten to that table's name in the statement. A SELECT also
reports where its result columns come from (:data:`SelectSources`), and its text with every
plain column of the result as stored (``SELECT +`t0`.`price```): SQLite then names no declared
type for it, so no converter runs and the value comes back in its stored form (a REAL, a 0/1,
ISO text), for a reader that converts by the column's type itself (the mapper does). A column
the ORDER BY also sorts by is read as ``likely(`t0`.`price`)`` there and in the ORDER BY, the
same no-op that SQLite sees through (see :func:`~.clauses.sorted_items`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time

from polynom.errors import StoreError
from polynom.stores.sqlite.translate.clauses import rewrite_clauses, sorted_items
from polynom.stores.sqlite.translate.names import backquote, mangle
from polynom.stores.sqlite.translate.paging import deferred_page
from polynom.stores.sqlite.translate.tokens import (
    OP,
    PARAM,
    QIDENT,
    SKIP,
    STRING,
    WORD,
    WS,
    Token,
    first_line,
    name_of,
    tokenize,
)
from polynom.stores.sqlite.translate.values import adapt_value

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


#: One select-list item: (qualifier or None, column name or "*"), or None for an expression.
SelectItem = tuple[str | None, str] | None
#: A SELECT's own FROM tables as (name used in the statement, SQLite table), lower-cased
#: names, and its select-list items: enough to name each result column's declared type.
SelectSources = tuple[tuple[tuple[str, str], ...], tuple[SelectItem, ...]]


#: Polypheny's typed literals, ``DATE '...'``, ``TIME '...'``, ``TIMESTAMP '...'``
#: (plugins/sql-language/src/main/codegen/Parser.jj, ``DateTimeLiteral``): the value is
#: written as the text the embedded store keeps for a bound value of that type.
_TYPED_LITERALS = {
    "DATE": date.fromisoformat,
    "TIME": time.fromisoformat,
    "TIMESTAMP": datetime.fromisoformat,
}


def typed_literal(kind: str, quoted: str, sql: str) -> str:
    """``DATE '2025-12-31'`` & co. as the SQLite string literal of the stored text."""
    text = quoted[1:-1].replace("''", "'").strip()
    try:
        value = _TYPED_LITERALS[kind](text)
    except ValueError:
        raise StoreError(
            f"{text[:40]!r} is not a {kind} literal; statement: {first_line(sql)}"
        ) from None
    stored = str(adapt_value(value))
    return "'" + stored.replace("'", "''") + "'"


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


class DmlRewriter:
    """Rewrites table names of one DML/query statement (see the module docstring)."""

    def __init__(
        self,
        sql: str,
        default_ns: str,
        homes: dict[str, str] | None = None,
        *,
        polypheny: bool = False,
    ) -> None:
        self.sql = sql
        self.default_ns = default_ns
        #: Polypheny's semantics (see :mod:`.clauses`) rather than the embedded store's own.
        self.polypheny = polypheny
        self.homes = homes or {}  # one-part entity name (lower) -> its namespace
        #: One-part table names that were placed in the default namespace (lower-cased).
        self.bare: set[str] = set()
        self.toks = tokenize(sql)
        sig = [i for i, t in enumerate(self.toks) if t.kind not in SKIP]
        while sig and self.toks[sig[-1]].text == ";":
            self.toks[sig.pop()] = Token(WS, "")
        for i in sig:
            if self.toks[i].text == ";":
                raise StoreError(f"one statement at a time, please; statement: {first_line(sql)}")
        self.sig = sig
        self.n = len(sig)
        #: Where each result column of a SELECT comes from (see :func:`select_sources`).
        self.sources: SelectSources | None = None
        #: Every table the statement names, as lower-cased (namespace, entity), in order.
        self.entities: tuple[tuple[str, str], ...] = ()
        #: The table an INSERT, UPDATE or DELETE writes, if it is one.
        self.target: tuple[str, str] | None = None
        #: The columns an INSERT names, in order (the values of each row bind to them).
        self.insert_columns: tuple[str, ...] = ()
        #: ``(parameter index, column)`` of each ``column = ?`` an UPDATE sets.
        self.set_params: tuple[tuple[int, str], ...] = ()
        #: A SELECT's text with its plain result columns as stored (see the module docstring).
        self.stored_sql: str | None = None
        #: A paged SELECT's stored text that reads the page's rowids first, if it is one
        #: (see :mod:`.paging`).
        self.paged_sql: str | None = None
        self._item_starts: tuple[int, ...] = ()

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
            names.add(name_of(self.tok(k)).lower())
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
        parts = [name_of(self.tok(k))]
        j = k + 1
        while self.is_op(j, ".") and self.is_name(j + 1):
            parts.append(name_of(self.tok(j + 1)))
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
            alias = name_of(self.tok(j + 1))
            j += 2
        elif kind != "into" and self.is_name(j) and self.word(j) not in _NOT_ALIAS:
            alias = name_of(self.tok(j))
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

    def _bindings(self, refs: list[_Ref]) -> None:
        """Which columns the values of an INSERT or an UPDATE's ``c = ?`` items go to."""
        into = next((r for r in refs if r.kind == "into"), None)
        if into is not None:
            k = into.end + 1
            if self.is_op(k, "("):
                names = []
                k += 1
                while self.is_name(k):
                    names.append(name_of(self.tok(k)))
                    k += 1
                    if not self.is_op(k, ","):
                        break
                    k += 1
                if self.is_op(k, ")"):
                    self.insert_columns = tuple(names)
            return
        if self.word(0) != "UPDATE":
            return
        found: list[tuple[int, str]] = []
        params, depth, setting = 0, 0, False
        for k in range(self.n):
            t = self.tok(k)
            if t.kind == PARAM:
                if (
                    setting
                    and depth == 0
                    and self.is_op(k - 1, "=")
                    and self.is_name(k - 2)
                    and (self.is_op(k + 1, ",") or self.word(k + 1) == "WHERE" or k + 1 == self.n)
                ):
                    found.append((params, name_of(self.tok(k - 2))))
                params += 1
            elif self.is_op(k, "("):
                depth += 1
            elif self.is_op(k, ")"):
                depth -= 1
            elif depth == 0 and self.word(k) == "SET":
                setting = True
            elif depth == 0 and self.word(k) == "WHERE":
                setting = False
        self.set_params = tuple(found)

    # -- pass 2: rewrite -------------------------------------------------------------------

    def rewrite(self) -> str:
        refs = self._find_refs()
        self.entities = tuple(dict.fromkeys(r.key for r in refs))
        self.target = next((r.key for r in refs if r.kind in ("into", "update")), None)
        if self.target is None and self.word(0) == "DELETE" and refs:
            self.target = refs[0].key
        self._bindings(refs)
        explicit = {r.alias.lower() for r in refs if r.alias}
        bare = Counter(r.entity.lower() for r in refs if r.alias is None and r.kind != "into")
        for r in refs:
            low = r.entity.lower()
            if r.alias is None and r.kind != "into" and bare[low] == 1 and low not in explicit:
                r.auto_alias = r.entity
        by_key: dict[tuple[str, str], list[_Ref]] = {}
        for r in refs:
            by_key.setdefault(r.key, []).append(r)

        # Every quoted identifier becomes a backquoted one: SQLite takes a double-quoted
        # name that matches no column for a string literal (its "DQS" misfeature), so an
        # unknown column would pass silently; a backquoted name is always an identifier.
        out = [backquote(name_of(t)) if t.kind == QIDENT else t.text for t in self.toks]
        sig = self.sig

        def put(first: int, last: int, text: str) -> None:
            out[sig[first]] = text
            for i in range(sig[first] + 1, sig[last] + 1):
                out[i] = ""

        if self.word(0) == "SELECT":
            self.sources = self._select_sources(refs)
        taken: set[int] = set()
        for r in refs:
            text = backquote(mangle(r.namespace, r.entity))
            if r.auto_alias:
                text += f" AS {backquote(r.auto_alias)}"
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
                ns, entity = name_of(t), name_of(self.tok(k + 2))
                put(k, k + 2, backquote(self._qualifier(by_key, ns, entity)))
                k += 5
                continue
            if t.kind == WORD and k + 1 < self.n and self.tok(k + 1).kind == STRING:
                kind = t.text.upper()
                if kind in _TYPED_LITERALS:  # DATE '2025-12-31': SQLite keeps the text
                    out[sig[k]] = ""
                    out[sig[k + 1]] = typed_literal(kind, self.tok(k + 1).text, self.sql)
                    k += 2
                    continue
            if t.kind == WORD and self.is_op(k + 1, "("):
                renamed = _FUNCTION_NAMES.get(t.text.upper())
                if renamed:
                    out[sig[k]] = renamed
            k += 1
        sorted_by = sorted_items(self.toks, sig) if self.sources is not None else {}
        # what the last name of each such ORDER BY expression reads before its NULLS clause
        # may be added to it (the stored text closes the expression's parenthesis there)
        names_end = {b: out[sig[b]] for _end, spans in sorted_by.values() for _a, b in spans}
        if any(self.word(k) in ("SELECT", "OFFSET") for k in range(self.n)):
            rewrite_clauses(self.sql, self.toks, sig, out, self.polypheny)
        text = "".join(out)
        if self.sources is not None:
            plain = [
                a
                for a, item in zip(self._item_starts, self.sources[1], strict=True)
                if item is not None and item[1] != "*"
            ]
            for a in plain:
                if a not in sorted_by:  # a unary plus: the same value, no declared type
                    out[sig[a]] = "+" + out[sig[a]]
                    continue
                # also sorted by: likely(), a no-op that hides the declared type just as
                # well, on both sides, so SQLite sees one expression and an index on the
                # column still serves the ORDER BY (a unary plus there would not)
                end, spans = sorted_by[a]
                out[sig[a]] = "likely(" + out[sig[a]]
                out[sig[end]] += ")"
                for oa, ob in spans:
                    out[sig[oa]] = "likely(" + out[sig[oa]]
                    name = names_end[ob]
                    out[sig[ob]] = name + ")" + out[sig[ob]][len(name) :]
            self.stored_sql = "".join(out) if plain else text
            if len(refs) == 1 and refs[0].depth == 0 and None not in self.sources[1]:
                r = refs[0]
                qualifier = backquote(r.alias or r.auto_alias or r.table)
                self.paged_sql = deferred_page(self.toks, sig, out, qualifier)
        return text

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
        self._item_starts = tuple(a for a, _ in spans)
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
                parts.append(name_of(t))
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
