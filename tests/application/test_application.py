"""Application: store selection by address, lifecycle, statement logging."""

from __future__ import annotations

import logging
import uuid

import pytest

from polynom.application import Application
from polynom.errors import SessionError
from polynom.session import Session
from tests.models import Bike


def test_no_address_uses_polynom_url_then_a_file_in_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("POLYNOM_URL", raising=False)
    app_id = str(uuid.uuid4())
    with Application(app_id) as app, Session(app) as s:
        s.add(Bike(brand="default-store"))
        s.commit()
    assert (tmp_path / "polynom.db").exists()
    monkeypatch.setenv("POLYNOM_URL", f"sqlite:///{tmp_path / 'env.db'}")
    with Application(app_id) as app, Session(app) as s:
        assert Bike.query(s).count() == 0  # a different store
    assert (tmp_path / "env.db").exists()


def test_file_store_keeps_data_between_applications(tmp_path):
    url = f"sqlite:///{tmp_path / 'keep.db'}"
    app_id = str(uuid.uuid4())
    with Application(app_id, url) as app, Session(app) as s:
        s.add(Bike(brand="kept"))
        s.commit()
    with Application(app_id, url) as app, Session(app) as s:
        assert [b.brand for b in Bike.query(s).all()] == ["kept"]


def test_application_is_entered_once_and_store_needs_activation():
    app = Application(str(uuid.uuid4()), "sqlite://")
    with pytest.raises(SessionError, match="activated"):
        _ = app.store
    with app:
        pass
    with pytest.raises(SessionError, match="entered once"), app:
        pass


def test_log_statements_logs_sql_with_parameters(caplog):
    caplog.set_level(logging.INFO, logger="polynom.statements")
    with (
        Application(str(uuid.uuid4()), "sqlite://", log_statements=True) as app,
        Session(app) as s,
    ):
        s.add(Bike(brand="logged"))
        s.commit()
    inserts = [
        r.getMessage() for r in caplog.records if 'INSERT INTO "shop"."bike"' in r.getMessage()
    ]
    assert inserts and "'logged'" in inserts[0]
    assert any("CREATE TABLE" in r.getMessage() for r in caplog.records)


def test_a_start_with_nothing_missing_runs_no_ddl_and_waits_for_no_one():
    """CREATE NAMESPACE IF NOT EXISTS takes Polypheny's global lock exclusively, even when
    the namespace exists (plugins/sql-language/.../ddl/SqlCreateNamespace.java), so a start
    that runs it waits for every open transaction of the server; one that needs no DDL runs
    none, and starts while another application holds locks."""
    from polynom.testing import PrismServer

    app_id = str(uuid.uuid4())
    with PrismServer(record_statements=True, lock_wait_timeout=5) as server:
        with Application(app_id, server.url):
            pass
        with Application(str(uuid.uuid4()), server.url) as busy, Session(busy) as reading:
            assert Bike.query(reading).count() == 0  # holds shared locks until it ends
            server.reset_counts()
            with Application(app_id, server.url) as again, Session(again) as s:
                assert Bike.query(s).count() == 0  # readers share their locks
        kinds = {sql.split()[0].upper() for _lang, sql, _ns in server.statements}
        assert not kinds & {"CREATE", "ALTER", "DROP"}


def test_names_polypheny_cannot_tell_apart_are_refused_on_every_store():
    """Polypheny lower-cases table and column names in its relational namespaces, quoted or
    not (dbms/.../ddl/DdlManagerImpl.java, adjustNameIfNeeded)."""
    from polynom.errors import SchemaError
    from polynom.schema.field import Field
    from polynom.schema.polytypes import VarChar
    from polynom.schema.schema import BaseSchema

    def schema(entity: str, *fields: str, namespace: str = "cases") -> type[BaseSchema]:
        return type(
            f"S{uuid.uuid4().hex[:6]}",
            (BaseSchema,),
            {
                "entity_name": entity,
                "namespace_name": namespace,
                "fields": [Field(f, VarChar(5)) for f in fields],
            },
        )

    cases = [
        ([schema("Bike", "a"), schema("bike", "a")], "differ only in case"),
        ([schema("part", "Name", "name")], "differ only in case"),
        ([schema("x", "a", namespace="schema")], "namespace named 'schema'"),
    ]
    for schemas, message in cases:
        with (
            pytest.raises(SchemaError, match=message),
            Application(str(uuid.uuid4()), "sqlite://", schemas=schemas),
        ):
            pass
