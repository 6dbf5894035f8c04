"""Relationships: back_populates, one-to-many lists, dotted names, cascades."""

from __future__ import annotations

import copy
import gc
import pickle
import weakref

import pytest

from polynom.errors import DetachedModelError, ForeignKeyViolation, RelationshipError
from polynom.model.model import BaseModel
from polynom.model.relationship import Relationship
from polynom.query import joinedload
from polynom.schema.field import Field, ForeignKeyField
from polynom.schema.polytypes import Text, VarChar
from polynom.schema.schema import BaseSchema
from polynom.session import Session
from tests.models import Bike, Owner, Part


def test_back_populates_in_memory():
    owner = Owner(name="o")
    bike = Bike(brand="b")
    bike.owner = owner
    assert owner.bikes == [bike] and bike.owner_id == owner._entry_id
    other = Bike(brand="c")
    owner.bikes.append(other)
    assert other.owner is owner and other.owner_id == owner._entry_id
    owner.bikes.remove(bike)
    assert bike.owner is None and bike.owner_id is None
    with pytest.raises(RelationshipError, match="holds Owner models"):
        bike.owner = Part(label="x")


def test_save_update_cascade_and_lazy_loading(app):
    with Session(app) as session:
        owner = Owner(name="ann")
        owner.bikes.extend([Bike(brand="x"), Bike(brand="y")])
        session.add(owner)  # the bikes follow
        session.commit()
    with Session(app) as session:
        loaded = Owner.query(session).get(owner._entry_id)
        assert sorted(b.brand for b in loaded.bikes) == ["x", "y"]
        assert all(b.owner is loaded for b in loaded.bikes)


def test_models_a_load_filled_are_freed_without_the_cyclic_collector(app):
    # owner.bikes held its owner: every parent a lazy or eager load filled was a reference
    # cycle, and took its children with it to the cyclic collector after the session ended
    owner = _owner_with_a_bike(app, "freed", "freed-bike")
    gc.disable()
    try:
        for options in ((), (joinedload(Owner.bikes),)):
            with Session(app) as session:
                loaded = Owner.query(session).options(*options).get(owner._entry_id)
                (bike,) = loaded.bikes
                refs = weakref.ref(loaded), weakref.ref(bike)
            assert [b.brand for b in loaded.bikes] == ["freed-bike"]  # detached, still readable
            del loaded, bike
            assert [r() for r in refs] == [None, None]
    finally:
        gc.enable()


def test_a_list_whose_parent_is_gone_or_detached_refuses_changes(app):
    bikes = Owner(name="dropped").bikes  # nothing keeps the Owner
    restored = pickle.loads(pickle.dumps(bikes))
    for orphan in (bikes, restored):
        with pytest.raises(RelationshipError, match=r"cannot change Owner\.bikes: the Owner"):
            orphan.append(Bike(brand="nowhere"))
        assert orphan == []
    owner = _owner_with_a_bike(app, "kept", "one")
    with Session(app) as session:
        loaded = Owner.query(session).get(owner._entry_id)
        bikes = loaded.bikes
        assert [b.brand for b in bikes] == ["one"]
    with pytest.raises(DetachedModelError, match=r"cannot change Owner\.bikes: .* rolled back"):
        bikes.clear()  # refused before any change, as a detached model's fields are
    assert [b.brand for b in bikes] == ["one"] and bikes[0].owner_id == owner._entry_id
    del loaded  # only the session held it, and the session has ended
    for change in (bikes.clear, bikes.pop, lambda: bikes.remove(bikes[0])):
        with pytest.raises(RelationshipError, match="no longer exists"):
            change()
    assert [b.brand for b in bikes] == ["one"]


def test_a_parent_and_its_list_pickle_and_deep_copy_together():
    owner = Owner(name="o")
    owner.bikes.append(Bike(brand="b"))
    for copied in (pickle.loads(pickle.dumps(owner)), copy.deepcopy(owner)):
        assert copied is not owner and [b.brand for b in copied.bikes] == ["b"]
        assert copied.bikes[0].owner is copied
        extra = Bike(brand="c")
        copied.bikes.append(extra)  # the copy's list belongs to the copy
        assert extra.owner is copied and [b.brand for b in owner.bikes] == ["b"]


def test_parent_written_before_child_across_namespaces(app):
    with Session(app) as session:
        bike = Bike(brand="child-first")
        owner = Owner(name="parent-later")
        session.add(bike)
        bike.owner = owner
        session.commit()
    with Session(app) as session:
        assert Bike.query(session).get(bike._entry_id).owner.name == "parent-later"


def test_cascade_all_deletes_children(app):
    with Session(app) as session:
        bike = Bike(brand="full")
        bike.parts.extend([Part(label="wheel"), Part(label="saddle")])
        session.add(bike)
        session.commit()
    with Session(app) as session:
        session.delete(Bike.query(session).get(bike._entry_id))
        session.commit()
    with Session(app) as session:
        assert Part.query(session).count() == 0


def test_delete_orphan_and_detach_child(app):
    with Session(app) as session:
        bike = Bike(brand="orphans")
        bike.parts.extend([Part(label="a"), Part(label="b"), Part(label="c")])
        session.add(bike)
        session.commit()
    with Session(app) as session:
        loaded = Bike.query(session).get(bike._entry_id)
        loaded.parts.remove(next(p for p in loaded.parts if p.label == "a"))
        session.commit()
    with Session(app) as session:
        assert sorted(p.label for p in Part.query(session).all()) == ["b", "c"]
        session.detach_child(Bike.query(session).get(bike._entry_id), "parts")
        session.commit()
    with Session(app) as session:
        assert Part.query(session).count() == 0


def _owner_with_a_bike(app, name: str, brand: str) -> Owner:
    """An owner and one bike of theirs, committed."""
    with Session(app) as session:
        owner = Owner(name=name)
        session.add(owner)
        session.add(Bike(brand=brand, owner=owner))
        session.commit()
    return owner


def test_foreign_key_enforced_at_commit(app):
    owner = _owner_with_a_bike(app, "gone", "kept")
    with Session(app) as session:
        session.delete(Owner.query(session).get(owner._entry_id))  # no delete cascade
        with pytest.raises(ForeignKeyViolation):
            session.commit()
    with Session(app) as session:
        assert Owner.query(session).count() == 1


def test_foreign_keys_are_judged_by_what_commits_not_by_each_flush(app):
    # PolyNOM 0.3's test clean-up: owners deleted and flushed before their bikes. Foreign keys
    # are checked at commit on every store (the embedded store defers its own; on a default
    # Polypheny the mapper checks them itself), so the order of the flushes does not matter.
    owner = _owner_with_a_bike(app, "first", "b1")
    with Session(app) as session:
        session.delete(Owner.query(session).get(owner._entry_id))
        session.flush()
        for bike in Bike.query(session).filter_by(brand="b1").all():
            session.delete(bike)
        session.commit()
    with Session(app) as session:
        assert Owner.query(session).count() == 0 and Bike.query(session).count() == 0
        # a child flushed before its parent
        later = Owner(name="later")
        session.add(Bike(brand="early", owner_id=later._entry_id))
        session.flush()
        session.add(later)
        session.commit()
    with Session(app) as session:
        assert Bike.query(session).filter_by(brand="early").first().owner.name == "later"
        # a parent deleted, its child kept: refused when the session commits, nothing written
        session.delete(Owner.query(session).filter_by(name="later").first())
        session.flush()
        with pytest.raises(ForeignKeyViolation, match="owner"):
            session.commit()
    with Session(app) as session:
        assert Owner.query(session).count() == 1


def test_cascade_delete_writes_children_first_and_nothing_early(app, caplog):
    import logging

    with Session(app) as session:
        bike = Bike(brand="ordered")
        bike.parts.extend([Part(label="x"), Part(label="y")])
        session.add(bike)
        session.commit()
    app.log_statements = True
    caplog.set_level(logging.INFO, logger="polynom.statements")
    with Session(app) as session:
        session.delete(Bike.query(session).get(bike._entry_id))  # parts load lazily here
        assert not [r for r in caplog.records if "DELETE" in r.getMessage()]
        session.commit()
    deletes = [r.getMessage() for r in caplog.records if "DELETE" in r.getMessage()]
    assert ['"shop"."part"' in m for m in deletes] == [True, False]


class _CountrySchema(BaseSchema):
    entity_name = "country"
    namespace_name = "refs"
    fields = [Field("code", VarChar(2), nullable=False, unique=True), Field("name", Text())]


class _CitySchema(BaseSchema):
    entity_name = "city"
    namespace_name = "refs"
    fields = [
        Field("name", Text(), nullable=False),
        ForeignKeyField("country_code", _CountrySchema, referenced_db_field_name="code"),
    ]


class Country(BaseModel):
    schema = _CountrySchema


class City(BaseModel):
    schema = _CitySchema
    country = Relationship(Country)


def test_many_to_one_through_a_field_other_than_entry_id(app):
    with Session(app) as session:
        session.add_all(
            [Country(code="CH", name="Switzerland"), City(name="Basel", country_code="CH")]
        )
        session.commit()
    with Session(app) as session:
        city = City.query(session).first()
        assert city.country.name == "Switzerland"
        assert city.country is Country.query(session).filter_by(code="CH").first()


@pytest.mark.parametrize("cascade", ["merge", "all, refresh-expire", "save-update, expunge"])
def test_cascades_polynom_does_not_have_are_refused(cascade):
    with pytest.raises(RelationshipError) as caught:
        Relationship(Owner, cascade=cascade)
    message = str(caught.value)
    assert message.startswith("unsupported cascade ")
    assert "all, delete, delete-orphan, save-update" in message


def test_a_replaced_child_is_deleted_with_delete_orphan(app):
    with Session(app) as session:
        bike = Bike(brand="Moots")
        bike.parts = [Part(label="bell"), Part(label="lamp")]
        session.add(bike)
        session.commit()
    with Session(app) as session:
        loaded = Bike.query(session).get(bike._entry_id)
        loaded.parts = [p for p in loaded.parts if p.label == "lamp"]
        session.commit()
    with Session(app) as session:
        assert [p.label for p in Part.query(session).all()] == ["lamp"]


def test_a_self_referencing_relationship_works_on_every_store(store_url):
    """Polypheny refuses a foreign key to its own table (core/.../catalog/impl/logical/
    RelationalCatalog.java, addForeignKey): there the constraint is left out of the DDL and
    the mapper keeps it; the embedded store keeps it itself. Same behaviour everywhere."""
    import uuid

    from polynom.application import Application
    from polynom.model.model import BaseModel
    from polynom.model.model_registry import polynom_model
    from polynom.model.relationship import Relationship
    from polynom.schema.field import Field, ForeignKeyField
    from polynom.schema.polytypes import VarChar
    from polynom.schema.schema import BaseSchema
    from polynom.testing import isolated_registry

    with isolated_registry():

        class NodeSchema(BaseSchema):
            entity_name = "node"
            namespace_name = "tree"

        NodeSchema.fields = [
            Field("name", VarChar(20)),
            ForeignKeyField("parent_id", NodeSchema),
        ]

        @polynom_model
        class Node(BaseModel):
            schema = NodeSchema
            parent = Relationship("tests.model.test_relationships.Node", back_populates="children")
            children = Relationship(
                "tests.model.test_relationships.Node", back_populates="parent", uselist=True
            )

        with Application(str(uuid.uuid4()), store_url, schemas=[NodeSchema]) as app:
            with Session(app) as session:
                root = Node(name="root")
                leaf = Node(name="leaf", parent=root)
                session.add(leaf)  # the cascade adds root
                session.commit()
            with Session(app) as session:
                loaded = Node.query(session).filter_by(name="leaf").first()
                assert loaded.parent.name == "root"
                assert [c.name for c in loaded.parent.children] == ["leaf"]
                eager = Node.query(session).options(joinedload(Node.children))
                assert {n.name: len(n.children) for n in eager.all()} == {"leaf": 0, "root": 1}
                session.add(Node(name="orphan", parent_id="no-such-node"))
                with pytest.raises(ForeignKeyViolation):
                    session.commit()
            with Session(app) as session:
                session.delete(Node.query(session).filter_by(name="root").first())
                with pytest.raises(ForeignKeyViolation):
                    session.commit()  # the leaf still points at it
            with Session(app) as session:
                assert sorted(n.name for n in Node.query(session).all()) == ["leaf", "root"]
