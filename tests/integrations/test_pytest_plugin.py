"""The pytest plugin's fixtures, exercised in fresh pytest processes (``pytester``).

The inner runs happen in subprocesses: their models register schemas globally, which
must not leak into this process's registry.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytest_plugins = ["pytester"]

CONFTEST = """
import pytest
from polynom.model.model import BaseModel
from polynom.schema.field import Field
from polynom.schema.polytypes import VarChar
from polynom.schema.schema import BaseSchema
from polynom.services import ModelService


class NoteSchema(BaseSchema):
    entity_name = "note"
    namespace_name = "plugintest"
    fields = [Field("text", VarChar(40), nullable=False)]


class Note(BaseModel):
    schema = NoteSchema


@pytest.fixture
def polynom_schemas():
    return [NoteSchema]


@pytest.fixture
def polynom_services():
    return {"notes": ModelService(Note)}
"""

TESTS = """
import pytest


def test_app_is_active_and_in_memory(polynom_app):
    assert polynom_app.is_active
    assert polynom_app.store.in_memory


def test_dal_writes_under_the_test_user(polynom_dal, polynom_context):
    note = polynom_dal.notes.create(text="hello")
    assert polynom_context.dal is polynom_dal
    assert polynom_context.meta.user == "test"
    polynom_context.session.flush()
    assert polynom_dal.notes.count() == 1
    pytest.shared_entry = note._entry_id


def test_each_test_gets_a_fresh_store(polynom_dal):
    assert polynom_dal.notes.count() == 0


def test_the_context_commits_when_the_test_ends(polynom_data_manager, polynom_app):
    with polynom_data_manager.context(meta={"user": "ann"}) as ctx:
        entry_id = ctx.dal.notes.create(text="kept")._entry_id
    with polynom_data_manager.context() as ctx:
        assert [c.user for c in ctx.dal.notes.history(entry_id)] == ["ann"]
"""

OVERRIDES = """
import pytest


@pytest.fixture
def polynom_user():
    return "bea"


def test_the_user_can_be_overridden(polynom_context):
    assert polynom_context.meta.user == "bea"


@pytest.fixture
def polynom_address(tmp_path):
    return f"sqlite:///{tmp_path / 'file.db'}"


def test_the_address_can_be_overridden(polynom_app, tmp_path):
    assert not polynom_app.store.in_memory
    assert (tmp_path / "file.db").exists()
"""

PRISM = """
def test_prism_server_is_started(prism_server):
    assert prism_server.running
    assert prism_server.url.startswith("polypheny://")
"""


def test_fixtures_work_in_a_users_test_suite(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_user_suite=TESTS, test_overrides=OVERRIDES)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=6)


def test_a_failing_user_test_is_reported_as_failing(pytester: pytest.Pytester) -> None:
    """The fixtures do not swallow failures: the inner assertion surfaces."""
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(
        test_fails="""
def test_wrong(polynom_dal):
    polynom_dal.notes.create(text="x")
    assert polynom_dal.notes.count() == 2
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*assert 1 == 2*"])


def test_prism_server_fixture(pytester: pytest.Pytester) -> None:
    pytest.importorskip("polynom.testing.prism")
    pytester.makepyfile(test_prism=PRISM)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1)


def test_fixtures_are_listed_with_their_docs(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--fixtures", "-p", "no:cacheprovider")
    for line in (
        "polynom_app -- *pytest_plugin.py*",
        "*An active application on a fresh store*",
        "polynom_data_manager -- *",
        "polynom_context -- *",
        "polynom_dal -- *",
        "prism_server -- *",
    ):
        result.stdout.fnmatch_lines([line])


def test_the_plugin_itself_imports_nothing_heavy() -> None:
    """It loads in every pytest run: beyond its package and pytest it adds no import."""
    import subprocess
    import sys

    code = (
        "import sys, pytest, polynom.testing\n"
        "before = set(sys.modules)\n"
        "import polynom.testing.pytest_plugin\n"
        "print(sorted(set(sys.modules) - before))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert out.strip() == "['polynom.testing.pytest_plugin']"


def loaded_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after running ``code`` (from the repo root,
    so that ``polynom`` is the package itself, ``__init__`` and all)."""
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))\n"
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_importing_the_plugin_loads_neither_the_mapper_nor_the_driver() -> None:
    """pytest imports the plugin in every run: the package __init__s it runs stay cheap."""
    loaded = loaded_after(
        "import polynom.testing.pytest_plugin, polynom, polynom.testing\n"
        "assert polynom.__file__ and polynom.testing.__file__, 'not the real packages'"
    )
    heavy = {
        "polynom.session",
        "polynom.application",
        "polynom.testing.prism",
        "polypheny",
        "google.protobuf",
    }
    assert not heavy & loaded, f"the plugin's import loaded {sorted(heavy & loaded)}"
    assert {m for m in loaded if m.startswith("polynom")} == {
        "polynom",
        "polynom.testing",
        "polynom.testing.pytest_plugin",
    }


def test_the_public_names_still_import_from_the_packages() -> None:
    import polynom
    import polynom.testing

    for package in (polynom, polynom.testing):
        for name in package.__all__:
            assert getattr(package, name) is not None, name
        assert set(package.__all__) <= set(dir(package))
        with pytest.raises(AttributeError, match="no attribute 'nope'"):
            package.nope  # noqa: B018
    from polynom import Application, BaseModel, Session
    from polynom.application import Application as Defined
    from polynom.testing import PrismServer, prism_server
    from polynom.testing.prism import PrismServer as Server

    assert Application is Defined and Session.__module__ == "polynom.session"
    assert BaseModel.__module__ == "polynom.model.model"
    assert PrismServer is Server
    assert prism_server is polynom.testing.prism_server  # one fixture object
    assert loaded_after("from polynom import Application") >= {"polynom.application"}


def test_the_prism_server_fixture_imports_into_a_conftest(pytester: pytest.Pytester) -> None:
    """Without the plugin: ``from polynom.testing import prism_server`` in a conftest."""
    pytest.importorskip("polynom.testing.prism")
    pytester.makeconftest("from polynom.testing import prism_server  # noqa: F401\n")
    pytester.makepyfile(test_prism=PRISM)
    result = pytester.runpytest_subprocess("-p", "no:polynom", "-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=1)
