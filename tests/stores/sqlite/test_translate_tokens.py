"""Tokens: literals, quoted identifiers and comments stay whole; unreadable SQL is refused."""

from __future__ import annotations

import pytest

from polynom.errors import StoreError
from polynom.stores.sqlite.translate.tokens import COMMENT, QIDENT, STRING, WS, tokenize


def test_tokenizer_keeps_strings_identifiers_and_comments_whole() -> None:
    sql = """SELECT 'it''s "x"."y"', "a""b" -- FROM "n"."t"\n/* FROM "n"."t" */ FROM x"""
    kinds = [(t.kind, t.text) for t in tokenize(sql) if t.kind != WS]
    assert (STRING, "'it''s \"x\".\"y\"'") in kinds
    assert (QIDENT, '"a""b"') in kinds
    assert (COMMENT, '-- FROM "n"."t"') in kinds
    assert (COMMENT, '/* FROM "n"."t" */') in kinds
    assert "".join(t.text for t in tokenize(sql)) == sql


@pytest.mark.parametrize("bad", ["SELECT 'open", 'SELECT "open', "SELECT /* open", "SELECT #"])
def test_tokenizer_rejects_unreadable_sql(bad: str) -> None:
    with pytest.raises(StoreError, match=r"cannot read the SQL|never closed"):
        tokenize(bad)
