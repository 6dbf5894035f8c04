"""The Flask extension owns the application's lifecycle and brings ``flask polynom``.

The command-line tests run ``flask --app shop polynom ...`` in a fresh process on a small
app written to a temporary directory, as a user would run them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
import warnings
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request

from polynom.application import Application
from polynom.integrations.flask import PolynomFlask, current_context, dal
from tests.integrations.models import WebBikeSchema, services

ROOT = Path(__file__).resolve().parents[2]


def owned_app(application: Application, **options: Any) -> tuple[Flask, PolynomFlask]:
    web = Flask("owned")
    ext = PolynomFlask(web, application, services=services(), **options)

    @web.post("/bikes")
    def create() -> Any:
        bike = dal.bikes.create(**request.get_json())
        return {"id": bike._entry_id, "user": current_context.meta.user}, 201

    @web.get("/bikes")
    def names() -> Any:
        return sorted(b.name for b in dal.bikes.list())

    return web, ext


def test_the_extension_opens_the_application_and_closes_it(tmp_path: Path) -> None:
    address = f"sqlite:///{tmp_path / 'shop.db'}"
    application = Application(str(uuid.uuid4()), address, schemas=[WebBikeSchema])
    web, ext = owned_app(application, user_from=lambda r: r.headers.get("X-User"))
    assert not application.is_active  # importing the app opens nothing
    client = web.test_client()
    created = client.post("/bikes", json={"name": "Moots"}, headers={"X-User": "ann"})
    assert created.status_code == 201 and created.json["user"] == "ann"
    assert application.is_active  # opened by the first request, kept open
    assert client.get("/bikes").json == ["Moots"]
    ext.close()
    assert not application.is_active
    ext.close()  # closing twice is harmless

    # the data was committed: a new process (here: a new application) sees it
    again = Application(application.app_uuid, address, schemas=[WebBikeSchema])
    web2, ext2 = owned_app(again)
    try:
        assert web2.test_client().get("/bikes").json == ["Moots"]
    finally:
        ext2.close()


def test_an_open_application_is_left_to_its_owner(polynom_app: Any) -> None:
    web, ext = owned_app(polynom_app)
    assert web.test_client().post("/bikes", json={"name": "x"}).status_code == 201
    ext.close()
    assert polynom_app.is_active  # not the extension's to close


def test_an_app_factory_configures_the_application_from_config() -> None:
    ext = PolynomFlask()
    web = Flask("factory")
    web.config.update(POLYNOM_APP="6d1f", POLYNOM_URL="sqlite://", POLYNOM_MIGRATE=True)
    ext.init_app(web)
    assert ext.application is not None
    assert (ext.application.app_uuid, ext.application.address) == ("6d1f", "sqlite://")
    assert ext.application.migrate and not ext.application.is_active
    with pytest.raises(RuntimeError, match="POLYNOM_APP"):
        PolynomFlask(Flask("unconfigured"))


def test_user_loader_still_works_but_warns(polynom_data_manager: Any) -> None:
    web = Flask("old")
    with pytest.warns(DeprecationWarning, match="user_from"):
        PolynomFlask(web, polynom_data_manager, user_loader=lambda r: "legacy")

    @web.get("/who")
    def who() -> Any:
        return {"user": current_context.meta.user}

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert web.test_client().get("/who").json == {"user": "legacy"}


SHOP = """
from flask import Flask, request
from polynom.application import Application
from polynom.integrations.flask import PolynomFlask, dal
from polynom.model.model import BaseModel
from polynom.schema.field import Field
from polynom.schema.polytypes import Integer, VarChar
from polynom.schema.schema import BaseSchema
from polynom.services import ModelService


class BikeSchema(BaseSchema):
    entity_name = "bike"
    namespace_name = "flaskshop"
    fields = [Field("name", VarChar(40), nullable=False), Field("price", Integer())]


class Bike(BaseModel):
    schema = BikeSchema


app = Flask(__name__)
PolynomFlask(app, Application("0c7f6a52-3b8e-4a55-9d61-2f0d5f7c1e11", "sqlite:///shop.db"),
             services={"bikes": ModelService(Bike)}, user_from=lambda r: r.headers.get("X-User"))


@app.post("/bikes")
def create():
    return {"id": dal.bikes.create(**request.get_json())._entry_id}, 201
"""


def flask_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLYNOM_", "FLASK_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "shop", "polynom", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_flask_polynom_commands_manage_the_apps_store(tmp_path: Path) -> None:
    (tmp_path / "shop.py").write_text(SHOP, encoding="utf-8")
    migrated = flask_cli(tmp_path, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "new entity flaskshop.bike" in migrated.stdout
    checked = flask_cli(tmp_path, "check")
    assert checked.returncode == 0 and "the models match" in checked.stdout

    program = (
        "from shop import app\n"
        "r = app.test_client().post('/bikes', json={'name': 'Moots', 'price': 5},"
        " headers={'X-User': 'ann'})\n"
        "print(r.json['id'])\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    made = subprocess.run(
        [sys.executable, "-c", program], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert made.returncode == 0, made.stderr
    bike_id = made.stdout.strip()

    dumped = flask_cli(tmp_path, "dump", "backup.jsonl.gz")
    assert dumped.returncode == 0 and "dumped 2 entries" in dumped.stdout, dumped.stderr
    loaded = flask_cli(tmp_path, "load", "backup.jsonl.gz", "--replace")
    assert loaded.returncode == 0 and "loaded 2 entries" in loaded.stdout, loaded.stderr
    history = flask_cli(tmp_path, "history", bike_id)
    assert history.returncode == 0, history.stderr
    assert "ann" in history.stdout and "insert" in history.stdout and "Moots" in history.stdout
