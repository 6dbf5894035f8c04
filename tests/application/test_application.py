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
