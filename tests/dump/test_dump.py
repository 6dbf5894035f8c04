"""dump/load: lossless, versioned, refusing what does not fit and leaving the store as it was."""

from __future__ import annotations

import json
import uuid

import pytest

from polynom.application import Application
from polynom.errors import DumpError
from polynom.session import Session
from tests.models import Bike, Everything, Owner
from tests.schema.test_polytypes import SAMPLE


def fill(app):
    with Session(app, log_user="dumper") as s:
        owner = Owner(name="o", email="o@x")
        s.add_all(
            [owner, Bike(brand="b", owner=owner, price=3), Everything(**SAMPLE), Everything()]
        )
        s.commit()


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz"])
def test_dump_and_load_is_lossless(app, tmp_path, suffix):
    fill(app)
    path = tmp_path / f"dump{suffix}"
    assert app.dump(path) >= 5
    with Session(app) as s:
        before = sorted(
            (e.to_dict() for e in Everything.query(s).all()), key=lambda d: d["_entry_id"]
        )
    with Application(app.app_uuid, "sqlite://") as other:
        other.load(path)
        with Session(other) as s:
            after = sorted(
                (e.to_dict() for e in Everything.query(s).all()), key=lambda d: d["_entry_id"]
            )
            assert Bike.query(s).first().owner.name == "o"
    assert after == before


def test_load_refuses_other_application(app, tmp_path):
    fill(app)
    path = tmp_path / "dump.jsonl"
    app.dump(path)
    with (
        Application(str(uuid.uuid4()), "sqlite://") as other,
        pytest.raises(DumpError, match="not of"),
    ):
        other.load(path)


def test_load_refuses_incompatible_schema_and_bad_version(app, tmp_path):
    fill(app)
    path = tmp_path / "dump.jsonl"
    app.dump(path)
    lines = path.read_text().splitlines()
    header = json.loads(lines[0])
    header["schema"]["entities"]["shop.bike"]["fields"][1]["sql_type"] = "INTEGER"
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join([json.dumps(header), *lines[1:]]) + "\n")
    with pytest.raises(DumpError, match=r"shop\.bike has different fields"):
        app.load(bad)
    header["version"] = 99
    bad.write_text(json.dumps(header) + "\n")
    with pytest.raises(DumpError, match="version 99"):
        app.load(bad)


def test_failed_load_leaves_store_unchanged(app, tmp_path):
    fill(app)
    path = tmp_path / "dump.jsonl"
    app.dump(path)
    with Session(app) as s:  # an entry that is not in the dump
        s.add(Bike(brand="extra"))
        s.commit()
    with pytest.raises(DumpError, match="nothing was written"):
        app.load(path, replace=False)  # clashes with existing entries
    with Session(app) as s:
        assert Bike.query(s).count() == 2
    app.load(path, replace=True)
    with Session(app) as s:
        assert [b.brand for b in Bike.query(s).all()] == ["b"]
