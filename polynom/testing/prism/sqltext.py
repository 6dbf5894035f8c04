"""Small lexical helpers for the Prism stand-in: placeholders, named parameters, statement kind.

They only look at SQL text *outside* string literals, quoted identifiers and comments; they do
not parse SQL (the embedded store's translator does that).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["count_placeholders", "first_keyword", "named_to_positional", "strip_terminator"]

_NAME_START = re.compile(r"[A-Za-z_]")
_NAME_CHAR = re.compile(r"[A-Za-z0-9_]")


def _code_spans(sql: str) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` spans of ``sql`` that are code (not literals or comments)."""
    i, n, start = 0, len(sql), 0
    while i < n:
        ch = sql[i]
        if ch in ("'", '"'):
            yield start, i
            i += 1
            while i < n:
                if sql[i] == ch:
                    if i + 1 < n and sql[i + 1] == ch:  # doubled quote escapes itself
                        i += 2
                        continue
                    break
                i += 1
            i += 1
            start = i
        elif ch == "-" and sql.startswith("--", i):
            yield start, i
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
            start = i
        elif ch == "/" and sql.startswith("/*", i):
            yield start, i
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
            start = i
        else:
            i += 1
    if start < n:
        yield start, n


def count_placeholders(sql: str) -> int:
    """How many ``?`` placeholders ``sql`` has (outside literals and comments)."""
    return sum(sql.count("?", a, b) for a, b in _code_spans(sql))


def named_to_positional(sql: str) -> tuple[str, list[str]]:
    """Rewrite ``:name`` parameters as ``?``; return the new SQL and the names in order."""
    out: list[str] = []
    names: list[str] = []
    last = 0
    for a, b in _code_spans(sql):
        i = a
        while i < b:
            if (
                sql[i] == ":"
                and i + 1 < b
                and _NAME_START.match(sql[i + 1])
                and not (i > 0 and sql[i - 1] == ":")  # skip '::' casts
            ):
                j = i + 1
                while j < b and _NAME_CHAR.match(sql[j]):
                    j += 1
                out.append(sql[last:i])
                out.append("?")
                names.append(sql[i + 1 : j])
                last = i = j
            else:
                i += 1
    out.append(sql[last:])
    return "".join(out), names


def strip_terminator(sql: str) -> str:
    """Drop surrounding blanks and one trailing ``;`` (Polypheny accepts ``CREATE ... ;``)."""
    text = sql.strip()
    if text.endswith(";"):
        spans = list(_code_spans(text))
        if spans and spans[-1][1] == len(text):  # the ';' is code, not inside a literal
            text = text[:-1].rstrip()
    return text


def first_keyword(sql: str) -> str:
    """The first word of the statement's code, upper-cased (``""`` if there is none)."""
    for a, b in _code_spans(sql):
        m = re.search(r"[A-Za-z]+", sql[a:b])
        if m:
            return m.group(0).upper()
        if sql[a:b].strip(" \t\r\n("):
            return ""
    return ""
