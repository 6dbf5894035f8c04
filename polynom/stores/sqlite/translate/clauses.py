"""The clauses of a query that SQLite and Polypheny read differently: paging, and (on the
``polypheny`` semantics) NULL order, DISTINCT with ORDER BY and the LIMIT range.

:func:`query_blocks` finds every ``SELECT`` of a statement (subqueries too) with its select
list, ORDER BY items and paging words, as spans of significant tokens; :func:`rewrite_clauses`
uses them on the rewriter's output:

* a bare ``OFFSET n`` (Polypheny's grammar, ``Parser.jj`` ``OrderedQueryOrExpr``) becomes
  SQLite's ``LIMIT -1 OFFSET n``, on every store;
* with Polypheny's semantics, an ORDER BY item without ``NULLS FIRST|LAST`` sorts NULLs
  first, ascending and descending, and ``ASC NULLS LAST`` is read as no clause: what the
  default HSQLDB store does when Polypheny pushes the sort down (it declares
  ``NullCollation.HIGH``, ``plugins/hsqldb-adapter/.../HsqldbSqlDialect.java``, so the SQL
  generator drops a clause equal to that, ``plugins/jdbc-adapter-framework/.../rel2sql/
  SqlImplementor.java``, while HSQLDB itself sorts NULLs first both ways). The rule is the
  constant :data:`PUSHED_DOWN_NULL_ORDER`, so a test against a real server can correct it;
* a ``SELECT DISTINCT`` whose ORDER BY names an expression outside its select list is
  refused as Polypheny's validator refuses it (``SqlValidatorImpl.java``,
  ``notSelectDistinctExpr``);
* a LIMIT or OFFSET above 2^31 - 1 fails when executed: Polypheny reads it as a Java int
  (``core/.../rex/RexLiteral.java`` ``intValue``) and HSQLDB refuses the pushed-down literal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from polynom.stores.sqlite.refusals import (
    EXECUTION,
    PolyphenyRefusal,
    parse_error,
    validation_error,
)
from polynom.stores.sqlite.translate.tokens import NUMBER, OP, QIDENT, WORD, Token, name_of

__all__ = [
    "PUSHED_DOWN_NULL_ORDER",
    "Block",
    "query_blocks",
    "rewrite_clauses",
    "sorted_items",
    "sorts_by_columns",
]

#: How a sort pushed down to Polypheny's default store places NULLs (see the docstring):
#: ``(direction, NULLS clause as written or "") -> the clause SQLite is given``.
PUSHED_DOWN_NULL_ORDER = {
    ("ASC", ""): "NULLS FIRST",
    ("DESC", ""): "NULLS FIRST",
    ("ASC", "NULLS LAST"): "NULLS FIRST",
    ("ASC", "NULLS FIRST"): "NULLS FIRST",
    ("DESC", "NULLS FIRST"): "NULLS FIRST",
    ("DESC", "NULLS LAST"): "NULLS LAST",
}
_JAVA_INT_MAX = 2**31 - 1
_ORDER_END = frozenset({"LIMIT", "OFFSET", "FETCH", "UNION", "EXCEPT", "INTERSECT"})

#: A span of significant-token positions, both ends included.
Span = tuple[int, int]


@dataclass(slots=True)
class Block:
    """One ``SELECT`` of a statement, as spans of significant-token positions."""

    depth: int
    distinct: bool = False
    items: list[Span] = field(default_factory=list)
    order: list[Span] = field(default_factory=list)
    limit: int | None = None  # position of the LIMIT word
    offset: int | None = None  # position of the OFFSET word


class _Tokens:
    """The significant tokens of a statement, looked at by position."""

    def __init__(self, toks: list[Token], sig: list[int]) -> None:
        self.toks, self.sig, self.n = toks, sig, len(sig)

    def tok(self, k: int) -> Token:
        return self.toks[self.sig[k]]

    def word(self, k: int) -> str:
        if 0 <= k < self.n:
            t = self.toks[self.sig[k]]
            if t.kind == WORD:
                return t.text.upper()
        return ""

    def op(self, k: int) -> str:
        if 0 <= k < self.n:
            t = self.toks[self.sig[k]]
            if t.kind == OP:
                return t.text
        return ""


def _split(t: _Tokens, start: int, stop_words: frozenset[str]) -> tuple[list[Span], int]:
    """Comma-separated items from ``start`` at its depth, up to a stop word, a closing
    parenthesis or the end; returns the spans and where they stopped."""
    spans: list[Span] = []
    depth, k, first = 0, start, start
    while k < t.n:
        op = t.op(k)
        if op == "(":
            depth += 1
        elif op == ")":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (op == "," or t.word(k) in stop_words):
            if k > first:
                spans.append((first, k - 1))
            if op != ",":
                return spans, k
            first = k + 1
        k += 1
    if k > first:
        spans.append((first, k - 1))
    return spans, k


def query_blocks(toks: list[Token], sig: list[int]) -> list[Block]:
    """Every SELECT of the statement, with its select list, ORDER BY and paging words."""
    t = _Tokens(toks, sig)
    blocks: list[Block] = []
    open_at: dict[int, Block] = {}  # depth -> the SELECT whose clauses come next there
    depth = 0
    k = 0
    while k < t.n:
        op = t.op(k)
        if op == "(":
            depth += 1
        elif op == ")":
            open_at.pop(depth, None)
            depth -= 1
        else:
            word = t.word(k)
            if word == "SELECT":
                block = Block(depth, distinct=t.word(k + 1) == "DISTINCT")
                start = k + 2 if t.word(k + 1) in ("DISTINCT", "ALL") else k + 1
                block.items, _ = _split(t, start, frozenset({"FROM"}))
                blocks.append(block)
                open_at[depth] = block
            elif word == "ORDER" and t.word(k + 1) == "BY" and depth in open_at:
                open_at[depth].order, end = _split(t, k + 2, _ORDER_END)
                k = end
                continue
            elif word in ("LIMIT", "OFFSET") and depth in open_at:
                setattr(open_at[depth], word.lower(), k)
        k += 1
    return blocks


def rewrite_clauses(
    sql: str, toks: list[Token], sig: list[int], out: list[str], polypheny: bool
) -> None:
    """Apply the rules of the module docstring to ``out`` (the rewriter's token texts)."""
    t = _Tokens(toks, sig)
    offsets = _offsets(toks)
    for block in query_blocks(toks, sig):
        if block.offset is not None and block.limit is not None and block.limit > block.offset:
            k = block.limit
            raise parse_error(sql, offsets[sig[k]], "LIMIT", '"FETCH" ... <EOF>')
        if polypheny:
            for word in (block.limit, block.offset):
                if word is not None:
                    _check_java_int(sql, t, word + 1)
            if block.distinct and block.order:
                _check_distinct_order(sql, t, offsets, block)
            for span in block.order:
                _null_order(t, out, span)
        if block.offset is not None and block.limit is None:
            out[sig[block.offset]] = "LIMIT -1 OFFSET"


def sorted_items(toks: list[Token], sig: list[int]) -> dict[int, tuple[int, list[Span]]]:
    """The select items of a statement's one outer SELECT that are qualified column names
    (``"t0"."price"``) its ORDER BY sorts by, each by where it starts: where its name ends
    (before any alias) and the ORDER BY expressions naming the same column.

    A reader that hides a column's declared type from SQLite must wrap both the same way:
    SQLite keeps a sorted result column once when it is the very ORDER BY expression, and
    sorting by ``price`` while selecting ``+price`` carries the value twice through the sort
    (8% more work for a page of 100,000 rows ordered by it, measured). Only qualified names,
    which never name a select-list alias, are matched."""
    t = _Tokens(toks, sig)
    outer = [block for block in query_blocks(toks, sig) if block.depth == 0]
    if len(outer) != 1 or not outer[0].order:  # (a UNION's ORDER BY sorts the compound)
        return {}
    block = outer[0]
    columns: dict[tuple[str, ...], tuple[int, int]] = {}
    for a, b in block.items:
        if b - a >= 2 and t.word(b - 1) == "AS":
            b -= 2
        elif b > a and t.tok(b).kind in (QIDENT, WORD) and t.op(b - 1) != ".":
            b -= 1  # an implicit alias
        if _is_qualified_name(t, a, b):
            columns.setdefault(_key(t, a, b), (a, b))
    found: dict[int, tuple[int, list[Span]]] = {}
    for span in block.order:
        (a, b), _direction_word, _nulls = _direction(t, span)
        item = columns.get(_key(t, a, b)) if _is_qualified_name(t, a, b) else None
        if item is not None:
            found.setdefault(item[0], (item[1], []))[1].append((a, b))
    return found


def sorts_by_columns(toks: list[Token], sig: list[int], block: Block) -> bool:
    """True when every ORDER BY item of ``block`` sorts by a qualified column name
    (``"t0"."price" DESC``): an item that means the same in any SELECT over the same table,
    never a select-list alias or a position."""
    t = _Tokens(toks, sig)
    return all(_is_qualified_name(t, *_direction(t, span)[0]) for span in block.order)


def _is_qualified_name(t: _Tokens, a: int, b: int) -> bool:
    """``a.b`` or ``a.b.c``: names joined by dots, the last not ``*``."""
    if (b - a) not in (2, 4):
        return False
    return all(
        t.op(k) == "." if (k - a) % 2 else t.tok(k).kind in (QIDENT, WORD) for k in range(a, b + 1)
    )


def _offsets(toks: list[Token]) -> list[int]:
    """Where each token starts in the statement."""
    offsets, at = [], 0
    for tok in toks:
        offsets.append(at)
        at += len(tok.text)
    return offsets


def _check_java_int(sql: str, t: _Tokens, k: int) -> None:
    number = t.tok(k) if k < t.n else None
    if number is None or number.kind != NUMBER or not number.text.isdigit():
        return
    if int(number.text) > _JAVA_INT_MAX:
        # HSQLDB answers the pushed-down literal with "General error"; Polypheny wraps it
        # (plugins/jdbc-adapter-framework/.../ResultSetEnumerable.java, core/.../runtime/
        # PolyphenyDbResource.java, exceptionWhilePerformingQueryOnJdbcSubSchema)
        raise PolyphenyRefusal(
            f"While executing SQL [{' '.join(sql.split())}] on JDBC sub-namespace",
            EXECUTION,
        )


def _direction(t: _Tokens, span: Span) -> tuple[Span, str, str]:
    """An ORDER BY item as (its expression, ASC|DESC, its NULLS clause or "")."""
    a, b = span
    nulls = ""
    if b - 1 >= a and t.word(b - 1) == "NULLS" and t.word(b) in ("FIRST", "LAST"):
        nulls = f"NULLS {t.word(b)}"
        b -= 2
    direction = "ASC"
    if b >= a and t.word(b) in ("ASC", "DESC"):
        direction = t.word(b)
        b -= 1
    return (a, b), direction, nulls


def _null_order(t: _Tokens, out: list[str], span: Span) -> None:
    _expression, direction, nulls = _direction(t, span)
    wanted = PUSHED_DOWN_NULL_ORDER[(direction, nulls)]
    last = span[1]
    if nulls:  # replace the two words of the clause as written
        out[t.sig[last - 1]] = wanted.split()[0]
        out[t.sig[last]] = wanted.split()[1]
    else:
        out[t.sig[last]] = out[t.sig[last]] + " " + wanted


def _key(t: _Tokens, a: int, b: int) -> tuple[str, ...]:
    """An expression as comparable words: names unquoted and lower-cased (Polypheny's
    relational namespaces are case-insensitive)."""
    parts = []
    for k in range(a, b + 1):
        tok = t.tok(k)
        parts.append(name_of(tok).lower() if tok.kind in (QIDENT, WORD) else tok.text)
    return tuple(parts)


def _check_distinct_order(sql: str, t: _Tokens, offsets: list[int], block: Block) -> None:
    selected: set[tuple[str, ...]] = set()
    names: set[str] = set()  # aliases and the column names of plain column items
    star = False
    for a, b in block.items:
        if b - a >= 2 and t.word(b - 1) == "AS":
            names.add(name_of(t.tok(b)).lower())
            b -= 2
        elif b > a and t.tok(b).kind in (QIDENT, WORD) and t.op(b - 1) != ".":
            names.add(name_of(t.tok(b)).lower())
            b -= 1
        key = _key(t, a, b)
        if key[-1] == "*":
            star = True
        selected.add(key)
        if all(k % 2 == 0 or key[k] == "." for k in range(len(key))):
            names.add(key[-1])
    if star:
        return
    for span in block.order:
        (a, b), _direction_word, _nulls = _direction(t, span)
        key = _key(t, a, b)
        if key in selected or (len(key) == 1 and (key[0] in names or key[0].isdigit())):
            continue
        shown = ".".join(
            name_of(t.tok(k)) for k in range(a, b + 1) if t.tok(k).kind in (QIDENT, WORD)
        )
        if len(key) != len(shown.split(".")) * 2 - 1:  # not a plain identifier: as written
            shown = sql[offsets[t.sig[a]] : offsets[t.sig[b]] + len(t.tok(b).text)]
        end = offsets[t.sig[b]] + len(t.tok(b).text)
        raise validation_error(
            sql,
            offsets[t.sig[a]],
            end,
            f"Expression '{shown}' is not in the select clause",
        )
