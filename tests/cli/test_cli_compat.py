"""The ``polynom`` command's load/dump/history/check as users of both formats meet them."""

from __future__ import annotations

import gzip
import importlib
import json
from collections.abc import Callable
from pathlib import Path

from polynom.application import Application
from polynom.cli import EXIT_DIFFERENCES, EXIT_USAGE
from polynom.session import Session
from tests.cli.test_cli import APP, one_line_error, run, seed, target

KINDS = """
    import enum

    from polynom.model.model import BaseModel
    from polynom.schema.field import Field
    from polynom.schema.polytypes import File, PolyEnum, VarChar
    from polynom.schema.schema import BaseSchema


    class Kind(enum.Enum):
        ROAD = "road"
        GRAVEL = "gravel"


    class RideSchema(BaseSchema):
        entity_name = "ride"
        namespace_name = "{ns}"
        fields = [Field("name", VarChar(20)), Field("kind", PolyEnum(Kind)), Field("gpx", File())]


    class NoteSchema(BaseSchema):
        entity_name = "note"
        namespace_name = "{ns}"
        fields = [Field("text", VarChar(20))]


    class Ride(BaseModel):
        schema = RideSchema


    class Note(BaseModel):
        schema = NoteSchema
"""


def _kinds(write_models: Callable[..., str], project: Path) -> str:
    return write_models(body=KINDS.format(ns=f"k_{project.name[-8:].replace('-', '_')}"))


def test_history_prints_values_as_the_api_shows_them(db_url, write_models, project):
    models = _kinds(write_models, project)
    module = importlib.import_module(models)
    with Application(APP, db_url) as app, Session(app, log_user="ann") as s:
        ride = module.Ride(name="Alps", kind=module.Kind.ROAD, gpx=b"\x00\x01")
        s.add(ride)
        s.commit()
    table = run("history", ride._entry_id, *target(db_url, models))
    assert table.exit_code == 0, table.stderr
    assert "kind: - -> road" in table.stdout and "Kind.ROAD" not in table.stdout
    as_json = run("history", "--json", ride._entry_id, *target(db_url, models))
    changes = json.loads(as_json.stdout.splitlines()[0])["changes"]
    assert changes["kind"] == [None, "road"]
    assert changes["gpx"] == [None, "AAE="]  # bytes in base64


def test_load_into_a_store_that_has_the_entries_says_use_replace(db_url, models, project):
    seed(importlib.import_module(models), db_url)
    assert run("dump", str(project / "d.jsonl"), *target(db_url, models)).exit_code == 0
    again = run("load", str(project / "d.jsonl"), *target(db_url, models))
    assert again.exit_code == EXIT_DIFFERENCES
    message = one_line_error(again)
    assert "--replace" in message and "nothing was written" in message
    assert "INSERT" not in message  # the store's words, not its SQL


def test_dump_and_load_polynoms_format(db_url, models, project, clean_registry):
    module = importlib.import_module(models)
    ids = seed(module, db_url)
    dumped = run("dump", "--format", "polynom03", str(project / "d.sql"), *target(db_url, models))
    assert dumped.exit_code == 0, dumped.stderr
    assert (project / "d.sql").read_text().startswith("/*\n@format_version: 1\n")
    other = f"sqlite:///{project / 'other.db'}"
    loaded = run("load", str(project / "d.sql"), *target(other, models))
    assert loaded.exit_code == 0, loaded.stderr
    assert "loaded 7 entries" in loaded.stdout
    with Application(APP, other) as app, Session(app) as s:
        assert str(module.Item.query(s).get(ids["lamp"]).price) == "17.50"


def test_a_damaged_dump_is_one_line_and_exit_1(db_url, models, project):
    seed(importlib.import_module(models), db_url)
    assert run("dump", str(project / "d.jsonl.gz"), *target(db_url, models)).exit_code == 0
    whole = (project / "d.jsonl.gz").read_bytes()
    (project / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    text = gzip.decompress(whole).decode().splitlines()
    (project / "bad.jsonl").write_text("\n".join([text[0], '{"e": 1}', *text[1:]]) + "\n")
    (project / "bad.sql").write_text("/*\n@format_version: 1\n@app_uuid: x\n@snapshot: [\n*/\n")
    for name, says in [
        ("cut.jsonl.gz", "cut off"),
        ("bad.jsonl", "line 2:"),
        ("bad.sql", "line 4:"),
    ]:
        result = run("load", str(project / name), *target(db_url, models))
        assert result.exit_code == EXIT_DIFFERENCES, result.output
        assert says in one_line_error(result)


def test_check_and_migrate_keep_to_the_named_entities(db_url, write_models, project):
    models = _kinds(write_models, project)
    module = importlib.import_module(models)
    ride = module.RideSchema.qualified_name()
    with Application(APP, db_url, schemas=[module.RideSchema]):
        pass  # the application manages rides only
    only_rides = run("check", "--entities", ride, *target(db_url, models))
    assert only_rides.exit_code == 0, only_rides.stdout
    assert "the models match" in only_rides.stdout
    every = run("check", *target(db_url, models))
    assert every.exit_code == EXIT_DIFFERENCES and "note" in every.stdout
    unknown = run("check", "--entities", "nope.nope", *target(db_url, models))
    assert unknown.exit_code == EXIT_USAGE and "nope.nope" in one_line_error(unknown)
