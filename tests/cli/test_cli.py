"""The ``polynom`` command, run in-process with click's CliRunner."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner, Result

from polynom.application import Application
from polynom.cli import EXIT_DIFFERENCES, EXIT_UNREACHABLE, EXIT_USAGE, main
from polynom.session import Session

APP = "7d0b5b5e-0c1f-4a53-9d2a-3f4a1c0e9b21"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def target(url: str, models: str, app: str = APP) -> list[str]:
    return ["--url", url, "--app", app, "--models", models]


def one_line_error(result: Result) -> str:
    """The error message, asserting it is a single line on stderr."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("polynom: error: ")
    return lines[0]


def seed(module: ModuleType, url: str, app: str = APP) -> dict[str, Any]:
    """Write a shop with two items (logged as alice) and change one (logged as bob)."""
    with Application(app, url, migrate=True) as application:
        with Session(application, log_user="alice") as s:
            shop = module.Shop(name="Velo")
            a = module.Item(label="bell", price="4.50", shop_id=shop._entry_id)
            b = module.Item(
                label="lamp",
                price="19.90",
                seen=dt.datetime(2024, 1, 2, 3, 4, 5, 678000),
                shop_id=shop._entry_id,
            )
            s.add_all([shop, a, b])
            s.commit()
        with Session(application, log_user="bob") as s:
            lamp = module.Item.query(s).get(b._entry_id)
            lamp.price = Decimal("17.50")
            s.commit()
    return {"shop": shop._entry_id, "bell": a._entry_id, "lamp": b._entry_id}


# -- check and migrate ----------------------------------------------------------------------


def test_check_on_a_new_store_lists_what_migrate_creates_and_writes_nothing(
    db_url: str, models: str, project: Path
) -> None:
    (project / "shop.db").touch()
    first = run("check", *target(db_url, models))
    assert first.exit_code == EXIT_DIFFERENCES
    assert "no schema stored yet" in first.stdout
    assert first.stdout.count("new entity") == 2
    # a read-only check: the same differences are still there
    assert run("check", *target(db_url, models)).stdout == first.stdout

    migrated = run("migrate", *target(db_url, models))
    assert migrated.exit_code == 0, migrated.stderr
    assert "applied 2 change(s)" in migrated.stdout

    again = run("check", *target(db_url, models))
    assert again.exit_code == 0
    assert "match the stored schema" in again.stdout
    assert run("migrate", *target(db_url, models)).stdout.strip().endswith("nothing to migrate")


def test_a_changed_model_is_reported_refused_and_migrated_keeping_data(
    db_url: str,
    write_models: Callable[..., str],
    clean_registry: Callable[[], None],
    project: Path,
) -> None:
    v1 = write_models()
    ids = seed(importlib.import_module(v1), db_url)
    clean_registry()
    v2 = write_models(color=True)

    check = run("check", *target(db_url, v2))
    assert check.exit_code == EXIT_DIFFERENCES
    assert "1 difference(s) to migrate" in check.stdout
    assert "item: field color added (VARCHAR(20))" in check.stdout

    dump = run("dump", str(project / "x.jsonl"), *target(db_url, v2))
    assert dump.exit_code == EXIT_DIFFERENCES
    message = one_line_error(dump)
    assert "differ from the schema stored" in message and "polynom migrate" in message
    assert not (project / "x.jsonl").exists()

    migrated = run("migrate", *target(db_url, v2))
    assert migrated.exit_code == 0, migrated.stderr
    assert "field color added" in migrated.stdout
    assert run("check", *target(db_url, v2)).exit_code == 0

    module = importlib.import_module(v2)
    with Application(APP, db_url) as application, Session(application) as s:
        lamp = module.Item.query(s).get(ids["lamp"])
        assert (lamp.label, lamp.price, lamp.color) == ("lamp", Decimal("17.50"), None)


def test_options_come_from_the_environment(db_url: str, models: str) -> None:
    env = {"POLYNOM_URL": db_url, "POLYNOM_APP": APP, "POLYNOM_MODELS": models}
    assert run("migrate", env=env).exit_code == 0
    result = run("check", env=env)
    assert result.exit_code == 0
    assert APP in result.stdout


def test_several_models_modules(
    db_url: str, write_models: Callable[..., str], project: Path
) -> None:
    other = write_models(
        body=(
            "from polynom.schema.field import Field\n"
            "from polynom.schema.polytypes import Text\n"
            "from polynom.schema.schema import BaseSchema\n"
            "from polynom.schema.schema_registry import polynom_schema\n\n"
            "@polynom_schema\n"
            "class NoteSchema(BaseSchema):\n"
            "    entity_name = 'note'\n"
            "    namespace_name = 'cli_notes'\n"
            "    fields = [Field('text', Text())]\n"
        )
    )
    first = write_models()
    result = run("migrate", *target(db_url, f"{first},{other}"))
    assert result.exit_code == 0, result.stderr
    assert "new entity cli_notes.note" in result.stdout


# -- dump and load --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["shop.jsonl", "shop.jsonl.gz"])
def test_dump_and_load_round_trip(
    name: str,
    db_url: str,
    models: str,
    project: Path,
    clean_registry: Callable[[], None],
) -> None:
    module = importlib.import_module(models)
    ids = seed(module, db_url)
    dump_file = project / name

    dumped = run("dump", str(dump_file), *target(db_url, models))
    assert dumped.exit_code == 0, dumped.stderr
    # 1 shop + 2 items + 4 changelog rows (3 inserts by alice, 1 update by bob)
    assert f"dumped 7 entries of application {APP}" in dumped.stdout
    assert f"dumping to {name}" in dumped.stderr  # the progress bar's label

    other_url = f"sqlite:///{project / 'copy.db'}"
    loaded = run("load", str(dump_file), *target(other_url, models))
    assert loaded.exit_code == 0, loaded.stderr
    assert "loaded 7 entries" in loaded.stdout

    with Application(APP, other_url) as application, Session(application) as s:
        lamp = module.Item.query(s).get(ids["lamp"])
        assert lamp.price == Decimal("17.50")
        assert lamp.seen == dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC)
        assert module.Item.query(s).count() == 2

    # loading again clashes with the entries now there, and writes nothing
    clash = run("load", str(dump_file), *target(other_url, models))
    assert clash.exit_code == EXIT_DIFFERENCES
    one_line_error(clash)
    replaced = run("load", "--replace", str(dump_file), *target(other_url, models))
    assert replaced.exit_code == 0, replaced.stderr
    assert "loaded 7 entries" in replaced.stdout


def test_load_refuses_what_is_not_a_dump(db_url: str, models: str, project: Path) -> None:
    missing = run("load", str(project / "nope.jsonl"), *target(db_url, models))
    assert missing.exit_code == EXIT_DIFFERENCES
    assert "no dump at" in one_line_error(missing)

    (project / "junk.jsonl").write_text("hello\n")
    junk = run("load", str(project / "junk.jsonl"), *target(db_url, models))
    assert junk.exit_code == EXIT_DIFFERENCES
    assert "is not a polynom dump" in one_line_error(junk)


def test_load_refuses_a_dump_of_another_application(
    db_url: str, models: str, project: Path
) -> None:
    seed(importlib.import_module(models), db_url)
    assert run("dump", str(project / "d.jsonl"), *target(db_url, models)).exit_code == 0
    other = str(uuid.uuid4())
    result = run("load", str(project / "d.jsonl"), *target(db_url, models, app=other))
    assert result.exit_code == EXIT_DIFFERENCES
    assert f"not of {other}" in one_line_error(result)


# -- history --------------------------------------------------------------------------------


def test_history_shows_who_when_and_what(db_url: str, models: str) -> None:
    ids = seed(importlib.import_module(models), db_url)
    result = run("history", ids["lamp"], *target(db_url, models))
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith(f".item {ids['lamp']}")
    assert lines[1].split() == ["WHEN", "(UTC)", "WHO", "WHAT", "CHANGES"]
    alice, bob = lines[3], lines[4]
    assert "alice" in alice and "insert" in alice and "label: - -> lamp" in alice
    assert "bob" in bob and "update" in bob and "price: 19.90 -> 17.50" in bob
    assert dt.date.today().isoformat()[:4] in bob  # a date is shown


def test_history_as_json(db_url: str, models: str) -> None:
    ids = seed(importlib.import_module(models), db_url)
    result = run("history", "--json", ids["lamp"], *target(db_url, models))
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["user"] for r in records] == ["alice", "bob"]
    assert records[1]["changes"] == {"price": ["19.90", "17.50"]}
    assert records[0]["entity"].endswith(".item")


def test_history_of_an_unknown_entry(db_url: str, models: str) -> None:
    seed(importlib.import_module(models), db_url)
    result = run("history", "no-such-entry", *target(db_url, models))
    assert result.exit_code == 0
    assert "no changes recorded for entry no-such-entry" in result.stdout


# -- errors ---------------------------------------------------------------------------------


def test_a_wrong_address_is_one_line_and_exit_2(models: str) -> None:
    result = run("check", *target("mysql://localhost/shop", models))
    assert result.exit_code == EXIT_USAGE
    assert "cannot use the store address 'mysql://localhost/shop'" in one_line_error(result)


def test_an_unreachable_server_is_one_line_and_exit_3(models: str) -> None:
    result = run("check", *target("polypheny://127.0.0.1:1", models))
    assert result.exit_code == EXIT_UNREACHABLE
    assert "cannot reach Polypheny at 127.0.0.1:1" in one_line_error(result)


@pytest.mark.parametrize("command", ["migrate", "history"])
def test_every_command_reports_an_unreachable_server(models: str, command: str) -> None:
    args = [command, *(["x"] if command == "history" else []), "--url", "polypheny://127.0.0.1:1"]
    result = run(*args, "--app", APP, "--models", models)
    assert result.exit_code == EXIT_UNREACHABLE
    one_line_error(result)


def test_a_missing_sqlite_file_is_not_created_by_check(
    db_url: str, models: str, project: Path
) -> None:
    result = run("check", *target(db_url, models))
    assert result.exit_code == EXIT_USAGE
    assert "no database file at" in one_line_error(result)
    assert not (project / "shop.db").exists()


def test_a_missing_models_module(db_url: str, project: Path) -> None:
    result = run("check", *target(db_url, "myproj.models"))
    assert result.exit_code == EXIT_USAGE
    message = one_line_error(result)
    assert "cannot import the models module 'myproj.models'" in message
    assert "no module named 'myproj'" in message


def test_a_models_module_that_fails_to_import(
    db_url: str, write_models: Callable[..., str]
) -> None:
    broken = write_models(body="import json\nraise RuntimeError('boom at import')\n")
    result = run("check", *target(db_url, broken))
    assert result.exit_code == EXIT_USAGE
    assert "RuntimeError: boom at import" in one_line_error(result)


def test_a_models_module_without_schemas(db_url: str, write_models: Callable[..., str]) -> None:
    empty = write_models(body="X = 1\n")
    result = run("check", *target(db_url, empty))
    assert result.exit_code == EXIT_USAGE
    assert "declare no schemas" in one_line_error(result)


def test_the_application_and_models_are_required(db_url: str) -> None:
    result = run("check", "--url", db_url)
    assert result.exit_code == 2
    assert "--app" in result.stderr


def test_help_lists_the_commands() -> None:
    result = run("--help")
    for command in ("check", "migrate", "dump", "load", "history"):
        assert command in result.stdout
    assert "POLYNOM_URL" in run("check", "--help").stdout


def test_a_migration_that_would_lose_meaning_is_refused(
    db_url: str,
    write_models: Callable[..., str],
    clean_registry: Callable[[], None],
) -> None:
    v1 = write_models()
    seed(importlib.import_module(v1), db_url)
    clean_registry()
    required = write_models(color=True)
    # make the new field required without a default: the existing items have no value
    module_file = Path.cwd() / f"{required}.py"
    module_file.write_text(
        module_file.read_text().replace(
            'Field("color", VarChar(20)),', 'Field("color", VarChar(20), nullable=False),'
        )
    )
    result = run("migrate", *target(db_url, required))
    assert result.exit_code == EXIT_DIFFERENCES
    assert "MigrationError" in one_line_error(result)
    assert "color" in result.stderr
    check = run("check", *target(db_url, required))  # nothing was applied
    assert check.exit_code == EXIT_DIFFERENCES and "field color added" in check.stdout


def every_command(url: str, models: str, project: Path) -> None:
    """check, migrate, dump, load and history on ``url``, for a fresh application."""
    app = str(uuid.uuid4())
    assert run("check", *target(url, models, app)).exit_code == EXIT_DIFFERENCES
    assert run("migrate", *target(url, models, app)).exit_code == 0
    assert run("check", *target(url, models, app)).exit_code == 0
    ids = seed(importlib.import_module(models), url, app)
    dumped = run("dump", str(project / "p.jsonl"), *target(url, models, app))
    assert "dumped 7 entries" in dumped.stdout, dumped.stderr
    replaced = run("load", "--replace", str(project / "p.jsonl"), *target(url, models, app))
    assert "loaded 7 entries" in replaced.stdout, replaced.stderr
    history = run("history", "--json", ids["lamp"], *target(url, models, app))
    assert [json.loads(line)["user"] for line in history.stdout.splitlines()] == ["alice", "bob"]


def test_every_command_through_the_polypheny_driver(models: str, project: Path) -> None:
    """The CLI on a polypheny:// address: the real driver, against the Prism stand-in."""
    testing = pytest.importorskip("polynom.testing")
    with testing.PrismServer() as server:
        every_command(server.url, models, project)


@pytest.mark.polypheny
def test_every_command_on_a_real_polypheny(models: str, project: Path) -> None:
    url = os.environ.get("POLYPHENY_URL")
    if not url:
        pytest.skip("POLYPHENY_URL is not set (polypheny://pa:@host:20590 of a real server)")
    every_command(url, models, project)


def test_echo_logs_the_statements(db_url: str, models: str) -> None:
    result = run("migrate", "--echo", *target(db_url, models))
    assert result.exit_code == 0, result.stderr
    assert "CREATE TABLE" in result.stderr and APP in result.stderr
    assert "CREATE TABLE" not in run("check", *target(db_url, models)).stderr
