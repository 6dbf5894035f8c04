"""The pytest plugin's fixtures, exercised in fresh pytest processes (``pytester``).

The inner runs happen in subprocesses: their models register schemas globally, which
must not leak into this process's registry.
"""

from __future__ import annotations

import pytest

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
