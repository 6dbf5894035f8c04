"""Making a model: every field gets the value given, its default, or a computed default made
for this model alone -- whether the fields come as keywords or a PolyNOM-style ``__init__``
sets them before calling ``super().__init__()``."""

from __future__ import annotations

import itertools
import uuid

import pytest

from polynom import BaseModel, BaseSchema, Field, ForeignKeyField, Relationship, polynom_model
from polynom.model.state import model_state
from polynom.schema import polytypes
from polynom.testing import isolated_registry

_serial = itertools.count(1)


@pytest.fixture(scope="module")
def models():
    with isolated_registry():

        class ShelfSchema(BaseSchema):
            entity_name = "shelf"
            fields = [Field("label", polytypes.VarChar(10), default="spare")]

        class BookSchema(BaseSchema):
            entity_name = "book"
            fields = [
                Field("title", polytypes.VarChar(40), nullable=False),
                Field("pages", polytypes.Integer(), default=100),
                Field("serial", polytypes.Integer(), default=lambda: next(_serial)),
                Field("tags", polytypes.Json(), default=lambda: []),
                ForeignKeyField("shelf_id", ShelfSchema),
            ]

        class Shelf(BaseModel):
            schema = ShelfSchema
            books = Relationship(f"{__name__}.Book", back_populates="shelf")

        @polynom_model
        class Book(BaseModel):
            schema = BookSchema
            shelf = Relationship(Shelf, back_populates="books")

        class LegacyBook(BaseModel):  # PolyNOM 0.3: fields first, then the base class
            schema = BookSchema

            def __init__(self, title, pages=None, _entry_id=None):
                self.title = title
                if pages is not None:
                    self.pages = pages
                super().__init__(_entry_id)

        yield Shelf, Book, LegacyBook


def test_fields_not_given_get_their_default_and_computed_defaults_are_made_per_model(models):
    _, Book, _ = models
    first, second = Book(title="a"), Book(title="b", pages=7)
    assert (first.pages, second.pages) == (100, 7)
    assert second.serial == first.serial + 1
    assert first.tags == [] and first.tags is not second.tags
    assert first.shelf_id is None and model_state(first).name == "TRANSIENT"


def test_a_relationship_given_sets_its_key_and_the_computed_defaults_are_still_made(models):
    Shelf, Book, _ = models
    shelf = Shelf()
    book = Book(title="c", shelf=shelf)
    assert book.shelf_id == shelf._entry_id and book in shelf.books
    assert isinstance(book.serial, int) and book.tags == []
    assert shelf.label == "spare"


def test_a_polynom_style_init_keeps_the_fields_it_set_first(models):
    _, _, LegacyBook = models
    book = LegacyBook("d", pages=12, _entry_id="book-1")
    assert (book.title, book.pages, book._entry_id) == ("d", 12, "book-1")
    assert book.tags == [] and isinstance(book.serial, int)
    assert LegacyBook("e").pages == 100 and len(LegacyBook("f")._entry_id) == 36


def test_a_new_model_gets_a_random_version_4_uuid_as_its_entry_id(models):
    shelf = models[0]
    ids = [shelf()._entry_id for _ in range(200)]
    assert len(set(ids)) == len(ids)
    for entry_id in ids:
        parsed = uuid.UUID(entry_id)
        assert str(parsed) == entry_id  # the canonical 36-character text PolyNOM stores
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
    # the variant digit keeps two random bits: all four of its values turn up
    assert {entry_id[19] for entry_id in ids} == set("89ab")
