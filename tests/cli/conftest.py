"""Fixtures for the command line tests: a models module on disk and a clean registry.

The CLI imports the user's models module, which registers its schemas in the process-wide
registry. In-process (CliRunner) tests therefore start from an empty registry and put the
previous one back afterwards, so they neither see the rest of the suite's schemas nor leave
theirs behind.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from polynom.testing import isolated_registry

MODELS_V1 = """
    from polynom.model.model import BaseModel
    from polynom.model.relationship import Relationship
    from polynom.schema.field import Field, ForeignKeyField
    from polynom.schema.polytypes import Decimal, Timestamp, VarChar
    from polynom.schema.schema import BaseSchema


    class ShopSchema(BaseSchema):
        entity_name = "shop"
        namespace_name = "{ns}"
        fields = [Field("name", VarChar(40), nullable=False)]


    class ItemSchema(BaseSchema):
        entity_name = "item"
        namespace_name = "{ns}"
        fields = [
            Field("label", VarChar(40), nullable=False),
            Field("price", Decimal(8, 2)),
            Field("seen", Timestamp(3)),
            ForeignKeyField("shop_id", ShopSchema),
            {extra}
        ]


    class Shop(BaseModel):
        schema = ShopSchema


    class Item(BaseModel):
        schema = ItemSchema
"""

COLOR_FIELD = 'Field("color", VarChar(20)),'


@pytest.fixture
def clean_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], None]]:
    """An empty schema/model registry for the test; the previous one is restored after.

    Yields a function that empties it again, to start over within a test (a new version
    of a module).
    """
    monkeypatch.setattr(sys, "path", list(sys.path))
    modules = set(sys.modules)
    with isolated_registry(empty=True) as clear:
        try:
            yield clear
        finally:
            for name in set(sys.modules) - modules:
                if name.startswith("cli_models_"):
                    del sys.modules[name]


@pytest.fixture
def project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_registry: Callable[[], None]
) -> Path:
    """An empty project directory, the working directory of the test."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))  # the tests import the modules they write
    for var in ("POLYNOM_URL", "POLYNOM_APP", "POLYNOM_MODELS", "POLYNOM_ENTITIES"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


@pytest.fixture
def write_models(project: Path) -> Callable[..., str]:
    """Write a models module into the project; returns its (unique) module name."""
    namespace = f"cli_{uuid.uuid4().hex[:8]}"

    def write(color: bool = False, body: str | None = None) -> str:
        name = f"cli_models_{uuid.uuid4().hex[:8]}"
        text = (
            body
            if body is not None
            else MODELS_V1.format(ns=namespace, extra=COLOR_FIELD if color else "")
        )
        (project / f"{name}.py").write_text(textwrap.dedent(text), encoding="utf-8")
        importlib.invalidate_caches()
        return name

    return write


@pytest.fixture
def db_url(project: Path) -> str:
    """A SQLite file in the project."""
    return f"sqlite:///{project / 'shop.db'}"


@pytest.fixture
def models(write_models: Callable[..., str]) -> str:
    """The shop models module (``MODELS_V1``), written into the project."""
    return write_models()
