"""Polypheny's refusals as polynom errors: each row of the table on a message Polypheny (or a
store beneath it) really sends, and the mapping through the real driver."""

from __future__ import annotations

import threading
from typing import Any

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
from tests.stores.polypheny._data import COUNT, INSERT, SETUP

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


def test_constraint_violations_map_to_polynom_errors():
    """With Polypheny's unique enforcement on (off by default: core/.../config/
    RuntimeConfig.java), its refusal is a UniqueViolation."""
    with PrismServer(unique_constraint_enforcement=True) as srv:
        store = PolyphenyStore(srv.url)
        try:
            store.execute_ddl(SETUP)
            with store.connection() as conn:
                conn.execute(INSERT, ("a", "apple", 1))
                with pytest.raises(UniqueViolation, match="unique constraint `item`") as info:
                    conn.execute(INSERT, ("b", "apple", 1))
                assert 'INSERT INTO "shop"."item"' in str(info.value)
        finally:
            store.close()


def test_a_missing_table_is_a_plain_store_error(store):
    with store.connection() as conn, pytest.raises(StoreError) as info:
        conn.execute('SELECT "nope" FROM "shop"."missing_table"')
    assert type(info.value) is StoreError
    assert "missing_table" in str(info.value)


def test_a_deadlock_is_a_retryable_conflict_error():
    """Two transactions that read an entity and then write it deadlock on Polypheny: a
    shared lock becomes exclusive only for its sole owner (dbms/.../transaction/locking/
    LockableImpl.java, upgradeToExclusive), and the transaction whose wait closes the cycle
    is aborted and rolled back. That is a ConflictError, marked retryable."""
    with PrismServer() as srv:
        store = PolyphenyStore(srv.url)
        try:
            store.execute_ddl(SETUP)
            with store.connection() as first, store.connection() as second:
                first.execute(INSERT, ("a", "apple", 1))
                first.commit()
                read, update = COUNT, 'UPDATE "shop"."item" SET "qty" = ? WHERE "_entry_id" = ?'
                first.execute(read)
                second.execute(read)
                done: list[Any] = []
                waiter = threading.Thread(
                    target=lambda: done.append(first.execute(update, (2, "a")))
                )
                waiter.start()
                waiter.join(0.3)
                assert waiter.is_alive()  # waits for second's shared lock
                with pytest.raises(ConflictError, match="Deadlock detected") as info:
                    second.execute(update, (3, "a"))
                assert info.value.retryable
                waiter.join(10)
                assert done and done[0].rowcount == 1  # second's locks went with its rollback
                first.commit()
                assert second.execute('SELECT "qty" FROM "shop"."item"').rows == [(2,)]
        finally:
            store.close()
