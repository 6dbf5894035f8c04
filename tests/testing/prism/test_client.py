"""One client's requests, answered in turn: login, dispatch, round trips, transactions."""

from __future__ import annotations

import polypheny
import pytest
from org.polypheny.prism import version

from polynom.testing import PrismServer
from tests.testing.prism._clients import RawClient, connect, insert


def test_connection_request_reports_compatibility(server):
    raw = RawClient(server)
    response = raw.login()
    assert response.WhichOneof("type") == "connection_response"
    assert response.connection_response.is_compatible
    assert response.connection_response.major_api_version == version.MAJOR_VERSION
    assert response.last
    raw.close()

    raw = RawClient(server)
    response = raw.login(major=version.MAJOR_VERSION + 1)
    assert not response.connection_response.is_compatible
    raw.close()


def test_first_message_must_be_a_connection_request(server):
    raw = RawClient(server)
    raw.handshake()
    req = raw.request()
    req.commit_request.SetInParent()
    raw.send(req)
    response = raw.recv()
    assert response.WhichOneof("type") == "error_response"
    assert "connection request" in response.error_response.message
    raw.close()


def test_unparameterized_statement_answers_twice(server):
    raw = RawClient(server)
    raw.login()
    req = raw.request()
    stmt = req.execute_unparameterized_statement_request
    stmt.language_name = "sql"
    stmt.statement = 'SELECT "name" FROM "app"."item"'
    raw.send(req)
    first, second = raw.recv(), raw.recv()
    assert first.id == second.id == req.id
    assert not first.last and second.last
    assert first.statement_response.statement_id == second.statement_response.statement_id > 0
    assert not first.statement_response.HasField("result")
    assert second.statement_response.result.frame.is_last
    assert [
        c.column_label for c in second.statement_response.result.frame.relational_frame.column_meta
    ] == ["name"]
    raw.close()


def test_unemulated_request_kinds_get_an_error_response(server):
    raw = RawClient(server)
    raw.login()
    req = raw.request()
    req.types_request.SetInParent()
    raw.send(req)
    response = raw.recv()
    assert response.id == req.id and response.last
    assert "does not emulate types_request" in response.error_response.message
    # the connection is still usable afterwards
    req = raw.request()
    req.connection_check_request.SetInParent()
    raw.send(req)
    assert raw.recv().WhichOneof("type") == "connection_check_response"
    raw.close()


def test_meta_requests(server):
    raw = RawClient(server)
    raw.login()
    req = raw.request()
    req.default_namespace_request.SetInParent()
    raw.send(req)
    assert raw.recv().default_namespace_response.default_namespace == "public"
    req = raw.request()
    req.dbms_version_request.SetInParent()
    raw.send(req)
    assert "stand-in" in raw.recv().dbms_version_response.dbms_name
    raw.close()


def test_one_execute_with_params_is_three_round_trips(server):
    con = connect(server)
    cur = con.cursor()
    server.reset_counts()
    cur.execute('SELECT "name" FROM "app"."item" WHERE "qty" = ?', (1,))
    cur.fetchall()
    cur.close()  # the driver closes the statement here (or at the next execute)
    assert server.request_counts == {
        "prepare_indexed_statement_request": 1,
        "execute_indexed_statement_request": 1,
        "close_statement_request": 1,
    }
    assert server.request_count == 3
    server.reset_counts()
    assert server.request_count == 0
    con.close()


def test_commit_and_rollback(server):
    con = connect(server)
    cur = con.cursor()
    insert(cur, 2)
    con.rollback()
    cur.execute('SELECT COUNT(*) FROM "app"."item"')
    assert cur.fetchone()[0] == 0
    insert(cur, 2)
    con.commit()
    con.rollback()
    cur.execute('SELECT COUNT(*) FROM "app"."item"')
    assert cur.fetchone()[0] == 2
    con.close()
    assert server.request_counts["commit_request"] == 1
    assert server.request_counts["rollback_request"] == 3  # 2 + the one close() sends
    assert server.request_counts["disconnect_request"] == 1


def test_credentials_are_checked_when_configured():
    with PrismServer(user="alice", password="s3cret") as srv:
        assert srv.url == f"polypheny://alice:s3cret@127.0.0.1:{srv.port}"
        with pytest.raises(polypheny.Error, match="Authentication failed"):
            connect(srv, username="alice", password="wrong")
        con = connect(srv, username="alice", password="s3cret")
        con.close()
