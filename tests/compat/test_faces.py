"""PolyNOM 0.3's module paths: every public name it exports imports from the same path, and
the faces do what PolyNOM's modules did."""

from __future__ import annotations

import importlib
import logging
import uuid

import pytest

from polynom.application import Application
from polynom.session import Session
from tests.models import Bike, Owner

#: PolyNOM 0.3.2's public classes, functions and config keys, by module (read from its
#: sources; ``polynom.schema.migration.Migrator`` is left out on purpose: docs/compat.md).
POLYNOM_03_NAMES = {
    "polynom.application": ["Application"],
    "polynom.config": [
        "CHANGE_LOG_IDENTIFIER", "CHANGE_LOG_TABLE", "DEFAULT_DATA_MODEL", "DEFAULT_NAMESPACE",
        "DEFAULT_PASS", "DEFAULT_TRANSPORT", "DEFAULT_USER", "DROP_PROTECTED_NAMESPACES",
        "DUMP_FORMAT_VERSION", "INTERNAL_NAMESPACE", "POLYPHENY_CONTAINER_NAME",
        "POLYPHENY_IMAGE_NAME", "POLYPHENY_PORTS", "SNAPSHOT_TABLE", "STATEMENT_LOG_FILE_NAME",
        "SYSTEM_USER_NAME", "USER_CONFIGURABLE_KEYS", "all_config", "get", "lock", "set",
        "set_config", "unlock",
    ],
    "polynom.docker": [
        "_deploy_polypheny", "_remove_container_by_name", "_stop_container_by_name",
        "_wait_for_prism",
    ],
    "polynom.joined_load": ["JoinedLoad"],
    "polynom.query": ["Query"],
    "polynom.reflection": [
        "ChangeLog", "ChangeLogSchema", "SchemaSnapshot", "SchemaSnapshotSchema",
    ],
    "polynom.session": ["Session", "_SessionState"],
    "polynom.statement": ["Statement", "get_generator_for_data_model", "_SqlGenerator"],
    "polynom.statement_logger": ["InfiniteRotatingFileHandler", "LoggerFactory"],
    "polynom.model.model": ["BaseModel", "FlexModel"],
    "polynom.model.model_registry": ["polynom_model", "_get_model_by_fqname"],
    "polynom.model.relationship": ["Relationship"],
    "polynom.schema.cascade": ["Cascade"],
    "polynom.schema.field": ["Field", "ForeignKeyField", "PrimaryKeyField", "_BaseField"],
    "polynom.schema.migration": [],
    "polynom.schema.polytypes": [
        "BigInt", "Boolean", "Date", "Decimal", "Double", "File", "Geometry", "Integer", "Json",
        "PolyEnum", "Real", "SmallInt", "Text", "Time", "Timestamp", "TinyInt", "VarChar",
        "_BaseType", "_TemporalBaseType",
    ],
    "polynom.schema.schema": ["BaseSchema", "DataModel"],
    "polynom.schema.schema_registry": ["polynom_schema", "_get_ordered_schemas", "_to_dict"],
}  # fmt: skip


@pytest.mark.parametrize("module", sorted(POLYNOM_03_NAMES))
def test_polynoms_names_import_from_polynoms_paths(module):
    loaded = importlib.import_module(module)
    missing = [name for name in POLYNOM_03_NAMES[module] if not hasattr(loaded, name)]
    assert missing == []


@pytest.fixture
def app():
    with Application(str(uuid.uuid4()), "sqlite://") as application:
        yield application


def test_reflection_reads_the_changelog(app):
    from polynom.reflection import ChangeLog

    with Session(app, log_user="ann") as s:
        s.add(Owner(name="Ada"))
        s.commit()
    with Session(app) as s:
        rows = ChangeLog.query(s).filter_by(app_uuid=app.app_uuid).all()
        assert [r.modified_by for r in rows] == ["ann"]


def test_joined_load_is_our_eager_loading(app):
    from polynom.joined_load import JoinedLoad

    with Session(app) as s:
        ada = Owner(name="Ada")
        s.add_all([ada, Bike(brand="Moots", owner=ada)])
        s.commit()
    with Session(app) as s:
        bike = Bike.query(s).options(JoinedLoad(Bike.owner)).first()
    assert bike.owner.name == "Ada"  # loaded before the session ended


def test_statements_dump_as_polynom_lines_and_run_bound(app):
    from polynom.schema.schema import DataModel
    from polynom.statement import Statement, get_generator_for_data_model

    statement = Statement("sql", 'SELECT * FROM "t" WHERE a = ? AND b = ?', ("it's", None), "ns")
    assert statement.dump() == "/*sql@ns*/ SELECT * FROM \"t\" WHERE a = 'it''s' AND b = NULL"
    generator = get_generator_for_data_model(DataModel.RELATIONAL)
    owner = Owner(name="Robert'); DROP TABLE owner;--")
    insert = generator._insert(owner)
    assert "DROP" not in insert.statement and insert.values[1] == owner.name  # bound
    with Session(app) as s:
        insert.execute(s)
        s.commit()
    with Session(app) as s:
        assert s.get(Owner, owner._entry_id).name == owner.name


def test_the_statement_logger_writes_polynoms_file(tmp_path, monkeypatch):
    from polynom.statement_logger import LoggerFactory

    monkeypatch.chdir(tmp_path)
    uuid_ = str(uuid.uuid4())
    logger = LoggerFactory.get_logger(uuid_)
    assert LoggerFactory.get_logger(uuid_) is logger
    try:
        with Application(uuid_, "sqlite://", log_statements=True) as app, Session(app) as s:
            s.add(Owner(name="Ada"))
            s.commit()
        with Application(str(uuid.uuid4()), "sqlite://", log_statements=True):
            pass  # another application's statements go elsewhere
        for handler in logger.handlers:
            handler.flush()
        text = (tmp_path / f"statements_{uuid_}.log").read_text()
        assert "INSERT INTO" in text and text.startswith("/*")
        assert text.count(f"[{uuid_}]") == len(text.splitlines())
    finally:
        statements = logging.getLogger("polynom.statements")
        for handler in [h for h in statements.handlers if getattr(h, "app_uuid", "") == uuid_]:
            statements.removeHandler(handler)
        for handler in list(logger.handlers):
            handler.close()
            logger.removeHandler(handler)


def test_cascade_finds_what_left_a_list():
    from polynom.schema.cascade import CASCADES, Cascade

    class Team(Cascade):
        def __init__(self):
            super().__init__()
            self.members = ["a", "b", "c"]

    team = Team()
    team.track_initial_state()
    team.members.remove("b")
    assert team.detect_orphans() == ["b"]
    assert "delete-orphan" in CASCADES


def test_polynoms_registry_and_model_dict_names():
    from polynom.model.model_registry import _get_model_by_fqname
    from polynom.schema.schema_registry import _get_ordered_schemas, _to_dict

    assert _get_model_by_fqname("tests.models.Bike") is Bike
    ordered = _get_ordered_schemas()
    assert ordered.index(Owner.__mapper__.schema) < ordered.index(Bike.__mapper__.schema)
    snapshot = _to_dict()
    assert {"entity_name": "bike", "namespace_name": "shop"}.items() <= next(
        e for e in snapshot["schemas"] if e["entity_name"] == "bike"
    ).items()
    bike = Bike(brand="Moots", price="10.50")
    row = bike._to_dict()
    assert row["brand"] == "Moots" and Bike._from_dict(row).to_dict() == bike.to_dict()
