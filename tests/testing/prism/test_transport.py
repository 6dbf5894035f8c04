"""The wire: the version handshake, by hand."""

from __future__ import annotations

import pytest
from org.polypheny.prism import version

from tests.testing.prism._clients import RawClient


def test_handshake_sends_version_line_and_expects_echo(server):
    raw = RawClient(server)
    assert raw.handshake() == b"plain-v1@polypheny.com\n"
    req = raw.request()
    req.connection_request.major_api_version = version.MAJOR_VERSION
    raw.send(req)
    assert raw.recv().connection_response.is_compatible
    raw.close()


def test_wrong_version_echo_closes_the_connection(server):
    raw = RawClient(server)
    raw.handshake(echo=b"\x05hello")
    with pytest.raises((EOFError, ConnectionResetError)):
        raw.recv_exact(1)
    raw.close()
