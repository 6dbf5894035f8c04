"""Parsing the addresses ``open_store`` accepts into small, typed values.

One place decides what an address means, so the Application, the CLI and the stores agree:

===============================================  ==========================================
address                                          meaning
===============================================  ==========================================
``("localhost", 20590)``                         Polypheny over Prism, plain TCP
``"polypheny://user:pass@host:20590"``           Polypheny over Prism, plain TCP
``"/path/to/socket"`` with ``transport="unix"``  Polypheny over a unix socket
``"polypheny+unix:///path/to/socket"``           Polypheny over a unix socket
``"sqlite:///relative/file.db"``                 the embedded store in a file (relative path)
``"sqlite:////absolute/file.db"``                the embedded store in a file (absolute path)
``"sqlite://"`` or ``"sqlite:///:memory:"``      the embedded store in memory
``None``                                         ``$POLYNOM_URL``, else ``sqlite:///polynom.db``
===============================================  ==========================================

The ``sqlite://`` forms follow SQLAlchemy: three slashes then a relative path, four for an
absolute one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from polynom.errors import ConfigurationError

#: Prism's TCP port and unix socket when an address does not say.
DEFAULT_POLYPHENY_PORT = 20590
DEFAULT_POLYPHENY_SOCKET = "~/.polypheny/polypheny-prism.sock"
#: Where the embedded store lives when neither the caller nor ``POLYNOM_URL`` says.
DEFAULT_URL = "sqlite:///polynom.db"
ENV_VAR = "POLYNOM_URL"

ACCEPTED_FORMS = (
    '("host", 20590) tuple; "polypheny://user:pass@host:20590"; '
    'a socket path with transport="unix"; "polypheny+unix:///path/to/socket"; '
    '"sqlite:///relative/file.db"; "sqlite:////absolute/file.db"; "sqlite://" (in memory)'
)


@dataclass(frozen=True, slots=True)
class SqliteAddress:
    """The embedded store: a database file, or ``path=None`` for a private in-memory one."""

    path: Path | None

    @property
    def in_memory(self) -> bool:
        return self.path is None

    @property
    def url(self) -> str:
        if self.path is None:
            return "sqlite://"
        return f"sqlite:///{self.path}"


@dataclass(frozen=True, slots=True)
class PolyphenyAddress:
    """A Polypheny server reached over Prism: TCP (``host``/``port``) or a unix socket."""

    transport: Literal["plain", "unix"]
    host: str | None = None
    port: int | None = None
    path: str | None = None
    user: str = "pa"
    password: str = ""

    @property
    def target(self) -> tuple[str, int] | str:
        """What ``polypheny.connect`` takes as its first argument for this transport."""
        if self.transport == "unix":
            assert self.path is not None
            return self.path
        assert self.host is not None and self.port is not None
        return (self.host, self.port)

    @property
    def url(self) -> str:
        """The address as a URL, without the password (safe for messages and logs)."""
        if self.transport == "unix":
            return f"polypheny+unix://{self.path}"
        host = f"[{self.host}]" if self.host and ":" in self.host else self.host
        return f"polypheny://{self.user}@{host}:{self.port}"

    def __repr__(self) -> str:  # never print the password
        return f"PolyphenyAddress({self.url!r})"


Address = SqliteAddress | PolyphenyAddress


def _fail(address: Any, why: str) -> ConfigurationError:
    return ConfigurationError(
        f"cannot use the store address {address!r}: {why}. Accepted forms: {ACCEPTED_FORMS}"
    )


def parse_address(
    address: Any = None,
    *,
    user: str = "pa",
    password: str = "",
    transport: str = "plain",
) -> Address:
    """Turn what a user passed as an address into a :class:`SqliteAddress` or
    :class:`PolyphenyAddress`; anything else raises :class:`ConfigurationError`.

    ``user``/``password`` apply to Polypheny addresses that carry no credentials of their own.
    """
    if transport not in ("plain", "unix"):
        raise _fail(address, f'transport must be "plain" or "unix", not {transport!r}')
    if address is None:
        address = os.environ.get(ENV_VAR) or DEFAULT_URL
    if isinstance(address, tuple):
        return _parse_tuple(address, user, password, transport)
    if isinstance(address, os.PathLike):
        address = os.fspath(address)
    if not isinstance(address, str):
        raise _fail(address, f"an address is a str or a (host, port) tuple, not {type(address)}")
    text = address.strip()
    lowered = text.lower()
    if lowered.startswith("sqlite:"):
        if transport == "unix":
            raise _fail(address, 'transport="unix" is for Polypheny socket paths')
        return _parse_sqlite(address, text)
    if lowered.startswith("polypheny+unix:"):
        return _parse_polypheny_unix(address, text, user, password)
    if lowered.startswith("polypheny:"):
        if transport == "unix":
            raise _fail(address, 'use "polypheny+unix:///path" or a bare path for sockets')
        return _parse_polypheny(address, text, user, password)
    if transport == "unix":
        if not text or "://" in text:
            raise _fail(address, "a unix transport needs a socket path")
        return PolyphenyAddress("unix", path=os.path.expanduser(text), user=user, password=password)
    raise _fail(address, "unknown scheme")


def _parse_tuple(address: tuple[Any, ...], user: str, password: str, transport: str) -> Address:
    if transport != "plain":
        raise _fail(address, 'a (host, port) tuple needs transport="plain"')
    if len(address) != 2:
        raise _fail(address, "a tuple address is (host, port)")
    host, port = address
    if not isinstance(host, str) or not host:
        raise _fail(address, "the host must be a non-empty str")
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise _fail(address, "the port must be an int between 1 and 65535")
    return PolyphenyAddress("plain", host=host, port=port, user=user, password=password)


def _parse_sqlite(address: str, text: str) -> SqliteAddress:
    rest = text[len("sqlite:") :]
    if rest in ("", "//", "///:memory:", "//:memory:"):
        return SqliteAddress(None)
    if not rest.startswith("///"):
        raise _fail(address, 'a file is "sqlite:///relative.db" or "sqlite:////absolute.db"')
    path = unquote(rest[3:])
    if "?" in path or "#" in path:
        raise _fail(address, "query strings and fragments are not supported")
    if not path:
        raise _fail(address, "the file path is empty")
    return SqliteAddress(Path(path))


def _parse_polypheny(address: str, text: str, user: str, password: str) -> PolyphenyAddress:
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise _fail(address, str(exc)) from None
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise _fail(address, "a polypheny:// address has no path, query or fragment")
    if not parts.hostname:
        raise _fail(address, "the host is missing")
    return PolyphenyAddress(
        "plain",
        host=parts.hostname,
        port=port if port is not None else DEFAULT_POLYPHENY_PORT,
        user=unquote(parts.username) if parts.username else user,
        password=unquote(parts.password) if parts.password is not None else password,
    )


def _parse_polypheny_unix(address: str, text: str, user: str, password: str) -> PolyphenyAddress:
    rest = text[len("polypheny+unix:") :]
    if rest in ("", "//"):
        path = os.path.expanduser(DEFAULT_POLYPHENY_SOCKET)
    elif rest.startswith("///"):
        path = unquote(rest[2:])
    else:
        raise _fail(address, 'a socket address is "polypheny+unix:///path/to/socket"')
    return PolyphenyAddress("unix", path=path, user=user, password=password)
