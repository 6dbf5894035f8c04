"""SQL text as tokens: strings, quoted identifiers and comments are single tokens, so nothing
inside a literal is ever rewritten."""

from __future__ import annotations

import re
from typing import NamedTuple

from polynom.errors import StoreError

#: The token kinds (the regular expression's group numbers, see ``_TOKEN_RE``).
WS, COMMENT, STRING, QIDENT, BLOB, NUMBER, WORD, PARAM, OP = range(1, 10)
#: Kinds that carry no meaning: parsers skip them.
SKIP = (WS, COMMENT)

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


def name_of(tok: Token) -> str:
    """The identifier a QIDENT or WORD token names."""
    if tok.kind == QIDENT:
        return tok.text[1:-1].replace('""', '"')
    return tok.text


def first_line(sql: str, limit: int = 160) -> str:
    """The statement's first line, shortened, for error messages."""
    line = sql.strip().split("\n", 1)[0].strip()
    return line if len(line) <= limit else line[: limit - 3] + "..."
