"""Polypheny's refusals as polynom errors: each row of the table on a message Polypheny (or a
store beneath it) really sends, and the mapping through the real driver."""

from __future__ import annotations

import pytest

from polynom.errors import (
    ConflictError,
    ForeignKeyViolation,
    NotNullViolation,
    StoreError,
    UniqueViolation,
)
from polynom.stores.polypheny import PolyphenyStore
from polynom.stores.polypheny.errors import ERRORS, classify
from polynom.testing import PrismServer
from tests.stores.polypheny._data import INSERT

# -- the table, row by row ---------------------------------------------------------------------

#: (the row's words, a message with them as its source words it, the class it must be)
MESSAGES = [
    ("unique constraint", "Insert violates unique constraint `item`.`name`", UniqueViolation),
    ("unique constraint", "Update violates unique constraint `item`.`name`", UniqueViolation),
    ("duplicate", "Duplicate entry 'apple' for key 'item.name'", UniqueViolation),
    (
        "primary key",
        "Primary key conflict! You are trying to insert a row with a primary key that "
        "already exists.",
        UniqueViolation,
    ),
    ("primary key", "INSERT INTO: PRIMARY KEY constraint 'item.item_pk' violated", UniqueViolation),
    (
        "foreign key",
        "Transaction violates foreign key constraint `bike`.`fk_owner`",
        ForeignKeyViolation,
    ),
    ("not null", "Null in not nullable column", NotNullViolation),
    (
        "not null",
        "integrity constraint violation: NOT NULL check constraint; SYS_CT_10093 table: ITEM",
        NotNullViolation,
    ),
    (
        "does not allow null",
        "Column 'name' has no default value and does not allow NULLs",
        NotNullViolation,
    ),
    (
        "null value",
        'ERROR: null value in column "name" of relation "item" violates not-null constraint',
        NotNullViolation,
    ),
    (
        "deadlock",
        "Transaction 7 encountered a deadlock while acquiring a lock of type EXCLUSIVE on entry 3.",
        ConflictError,
    ),
    ("deadlock", "Deadlock detected", ConflictError),
    # core/.../processing/Processor.java: any DDL whose locks deadlock (the space is its own)
    ("global schema lock", " Exception while acquiring global schema lock", ConflictError),
    (
        "conflict",
        "COMMIT: transaction is aborted because of concurrency conflicts, will ROLLBACK instead",
        ConflictError,
    ),
    (
        "could not acquire lock",
        "Could not acquire lock, after max timeout was reached",
        ConflictError,
    ),
    ("lock timeout", "ERROR: canceling statement due to lock timeout", ConflictError),
    ("locked", "Table 'item' was locked with a READ lock and can't be updated", ConflictError),
]


@pytest.mark.parametrize(("words", "message", "expected"), MESSAGES, ids=[m[1] for m in MESSAGES])
def test_each_row_classifies_the_messages_it_is_for(
    words: str, message: str, expected: type
) -> None:
    row = [w for w, _ in ERRORS].index(words)
    earlier = [w for w, _ in ERRORS[:row] if w in message.lower()]
    assert words in message.lower() and not earlier, "the case is for this row"
    assert ERRORS[row][1] is expected
    assert classify(message) is expected


def test_every_row_has_a_message() -> None:
    assert {words for words, _, _ in MESSAGES} == {words for words, _ in ERRORS}


def test_other_refusals_are_plain_store_errors() -> None:
    # core/.../runtime/PolyphenyDbResource.java
    for message in ("Entity 'missing_table' not found", "Field 'nope' not found in any entity", ""):
        assert classify(message) is StoreError


# -- through the driver --------------------------------------------------------------------


def test_constraint_violations_map_to_polynom_errors(store):
    with store.connection() as conn:
        conn.execute(INSERT, ("a", "apple", 1))
        with pytest.raises(UniqueViolation, match="unique") as info:
            conn.execute(INSERT, ("b", "apple", 1))
        assert 'INSERT INTO "shop"."item"' in str(info.value)
    with store.connection() as conn, pytest.raises(StoreError) as info:
        conn.execute('SELECT "nope" FROM "shop"."missing_table"')
    assert type(info.value) is StoreError
    assert "missing_table" in str(info.value)


def test_concurrent_writers_conflict():
    """A write that cannot get the lock another open transaction holds is a ConflictError,
    not a bare StoreError, so the mapper can tell the user to retry."""
    from polynom.stores.sqlite import SqliteStore

    backing = SqliteStore("sqlite://", busy_timeout=0.2)
    try:
        with PrismServer(backing) as srv:
            store = PolyphenyStore(srv.url)
            store.execute_ddl(
                [
                    'CREATE RELATIONAL NAMESPACE IF NOT EXISTS "shop"',
                    'CREATE TABLE "shop"."item" ("_entry_id" VARCHAR(36) NOT NULL, '
                    '"qty" INTEGER, PRIMARY KEY ("_entry_id"))',
                ]
            )
            update = 'UPDATE "shop"."item" SET "qty" = ? WHERE "_entry_id" = ?'
            with store.connection() as first, store.connection() as second:
                first.execute('INSERT INTO "shop"."item" VALUES (?, ?)', ("a", 1))
                first.commit()
                first.execute(update, (2, "a"))  # holds the write lock, uncommitted
                with pytest.raises(ConflictError, match="conflict"):
                    second.execute(update, (3, "a"))
                first.commit()
            store.close()
    finally:
        backing.close()
