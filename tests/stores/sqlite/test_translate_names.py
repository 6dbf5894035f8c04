"""Names: Polypheny's ``"ns"."t"`` as one SQLite table, quoted safely; bad names refused."""

from __future__ import annotations

import pytest

from polynom.errors import StoreError
from polynom.stores.sqlite.translate.names import (
    check_entity_name,
    check_namespace_name,
    mangle,
    quote,
    unmangle,
)


def test_quote_doubles_inner_quotes_and_refuses_nul() -> None:
    assert quote('a"b') == '"a""b"'
    assert quote("ns.t") == '"ns.t"'
    with pytest.raises(StoreError, match="NUL"):
        quote("a\x00b")


def test_a_namespaced_table_is_one_table_and_back() -> None:
    assert mangle("shop", "bike.v2") == "shop.bike.v2"
    assert unmangle("shop.bike.v2") == ("shop", "bike.v2")  # namespaces never hold a dot


@pytest.mark.parametrize("bad", ["", "a.b", "x\x00", "sqlite_stat", "SQLITE_x"])
def test_namespace_names_that_cannot_live_here_are_refused(bad: str) -> None:
    with pytest.raises(StoreError, match="invalid namespace name"):
        check_namespace_name(bad)


def test_entity_names_may_not_be_a_rebuilds_name() -> None:
    assert check_entity_name("bike") == "bike"
    for bad in ("", "bike$rebuild", "a\x00"):
        with pytest.raises(StoreError, match="invalid entity or column name"):
            check_entity_name(bad)
