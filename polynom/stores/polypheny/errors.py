"""Polypheny's refusals as polynom errors: one table, read top to bottom by :func:`classify`.

Polypheny sends an error as a message only: Prism's ``ErrorResponse.message`` is the Java
exception's ``getMessage()`` (``plugins/prism-interface/src/main/java/org/polypheny/db/
prisminterface/PIService.java``, ``createErrorResponse``), with no SQLSTATE and no code. So the
table matches words in the message (case-insensitively); the first row whose words the
message contains names the error class. Paths are in Polypheny-DB's repository.
"""

from __future__ import annotations

from polynom.errors import (
    ConflictError,
    ForeignKeyViolation,
    NotNullViolation,
    StoreError,
    UniqueViolation,
)

__all__ = ["ERRORS", "classify"]

#: (words, the error class a message containing them is), first match wins.
ERRORS: tuple[tuple[str, type[StoreError]], ...] = (
    # "Insert violates unique constraint `t`.`c`", "Transaction violates unique constraint ..."
    # (core/.../algebra/logical/common/LogicalConstraintEnforcer.java,
    # dbms/.../processing/ConstraintEnforceAttacher.java)
    ("unique constraint", UniqueViolation),
    # the JDBC stores beneath Polypheny in their own words: MySQL's "Duplicate entry '1' for
    # key 'PRIMARY'" (plugins/mysql-adapter)
    ("duplicate", UniqueViolation),
    # "Primary key conflict! You are trying to insert a row with a primary key that already
    # exists." (plugins/file-adapter/.../FileModifier.java); MonetDB's "PRIMARY KEY constraint
    # 't.t_pk' violated" (plugins/monetdb-adapter)
    ("primary key", UniqueViolation),
    # "Transaction violates foreign key constraint `t`.`fk`", "Insert violates foreign key
    # constraint ..." (LogicalConstraintEnforcer.java)
    ("foreign key", ForeignKeyViolation),
    # "Null in not nullable column" (dbms/.../processing/shuttles/ParameterValueValidator.java);
    # HSQLDB's "integrity constraint violation: NOT NULL check constraint" (the default store)
    ("not null", NotNullViolation),
    # "Column ''{0}'' has no default value and does not allow NULLs"
    # (core/.../runtime/PolyphenyDbResource.java)
    ("does not allow null", NotNullViolation),
    # PostgreSQL's 'null value in column "c" violates not-null constraint'
    # (plugins/postgres-adapter)
    ("null value", NotNullViolation),
    # "Transaction 7 encountered a deadlock while acquiring a lock of type EXCLUSIVE on entry
    # ...", "Deadlock detected" (dbms/.../transaction/locking/LockableImpl.java)
    ("deadlock", ConflictError),
    # " Exception while acquiring global schema lock": a DDL statement whose locks
    # deadlocked, whatever the lock (core/.../processing/Processor.java, prepareDdl)
    ("global schema lock", ConflictError),
    # MonetDB's "COMMIT: transaction is aborted because of concurrency conflicts, will
    # ROLLBACK instead" (plugins/monetdb-adapter); the Prism stand-in's "Transaction conflict,
    # the transaction was rolled back: ..."
    ("conflict", ConflictError),
    # "Could not acquire lock, after max timeout was reached" (the lock manager of Polypheny-DB
    # releases before its S2PL locking, dbms/.../transaction/LockManager.java)
    ("could not acquire lock", ConflictError),
    # PostgreSQL's "canceling statement due to lock timeout" (plugins/postgres-adapter)
    ("lock timeout", ConflictError),
    # MySQL's "Table 'item' was locked with a READ lock and can't be updated"
    # (plugins/mysql-adapter)
    ("locked", ConflictError),
)


def classify(message: str) -> type[StoreError]:
    """The polynom error class for a message Polypheny refused a statement with."""
    text = message.lower()
    for words, error in ERRORS:
        if words in text:
            return error
    return StoreError
