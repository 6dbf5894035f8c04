"""Store addresses: every accepted form, clear refusals, and open_store picking the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from polynom.errors import (
    ConfigurationError,
)
from polynom.stores import PolyphenyAddress, SqliteAddress, open_store, parse_address
from polynom.stores.sqlite import SqliteStore


def test_address_forms() -> None:
    assert parse_address("sqlite://") == SqliteAddress(None)
    assert parse_address("sqlite:///:memory:") == SqliteAddress(None)
    assert parse_address("sqlite:///rel/x.db") == SqliteAddress(Path("rel/x.db"))
    assert parse_address("sqlite:////abs/x.db") == SqliteAddress(Path("/abs/x.db"))
    tcp = parse_address(("db.example", 20590))
    assert tcp == PolyphenyAddress("plain", host="db.example", port=20590)
    url = parse_address("polypheny://bob:s%40cret@db.example:1234", user="ignored")
    assert url == PolyphenyAddress(
        "plain", host="db.example", port=1234, user="bob", password="s@cret"
    )
    assert "s@cret" not in repr(url) and "s@cret" not in url.url
    assert parse_address("polypheny://db.example").port == 20590  # type: ignore[union-attr]
    sock = parse_address("/run/p.sock", transport="unix", user="u", password="p")
    assert sock == PolyphenyAddress("unix", path="/run/p.sock", user="u", password="p")
    assert parse_address("polypheny+unix:///run/p.sock").target == "/run/p.sock"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("address", "transport"),
    [
        ("mysql://x", "plain"),
        ("/run/p.sock", "plain"),
        (("host",), "plain"),
        (("host", 70000), "plain"),
        (("host", 1), "unix"),
        ("sqlite:/x.db", "plain"),
        ("sqlite://", "tcp"),
        (42, "plain"),
    ],
)
def test_bad_addresses_name_the_address_and_the_accepted_forms(
    address: object, transport: str
) -> None:
    with pytest.raises(ConfigurationError) as info:
        open_store(address, transport=transport)
    assert repr(address) in str(info.value)
    assert "sqlite://" in str(info.value) and "polypheny://" in str(info.value)


def test_open_store_defaults_to_env_then_a_file_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POLYNOM_URL", raising=False)
    st = open_store()
    st.close()
    assert isinstance(st, SqliteStore) and (tmp_path / "polynom.db").exists()
    monkeypatch.setenv("POLYNOM_URL", f"sqlite:///{tmp_path / 'env.db'}")
    st = open_store()
    st.close()
    assert (tmp_path / "env.db").exists()


def test_polypheny_addresses_open_the_polypheny_store_without_connecting() -> None:
    from polynom.stores.polypheny import PolyphenyStore

    st = open_store(("127.0.0.1", 9), user="bob", password="pw")
    try:
        assert isinstance(st, PolyphenyStore)
        assert st.address == PolyphenyAddress("plain", "127.0.0.1", 9, user="bob", password="pw")
    finally:
        st.close()
