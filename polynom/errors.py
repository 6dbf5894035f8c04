"""Every error polynom raises, under one base class :class:`PolynomError`.

Catch ``PolynomError`` to handle anything from the mapper, the stores or the DAL;
catch a subclass to react to one kind of failure (a conflict, a missing entry...).
"""

from __future__ import annotations

from typing import Any


class PolynomError(Exception):
    """Base class of every polynom error."""

    #: True when running the same unit of work again may succeed (a conflict with another
    #: session); :func:`polynom.retry.retry_on_conflict` retries exactly those.
    retryable: bool = False


# -- configuration -------------------------------------------------------------------------


class ConfigurationError(PolynomError):
    """A setting, address or argument cannot be used as given."""


class ConfigLockedError(ConfigurationError):
    """``polynom.config`` was changed while an application is active."""


# -- stores --------------------------------------------------------------------------------


class StoreError(PolynomError):
    """The store refused or failed a statement."""


class StoreConnectionError(StoreError):
    """The store cannot be reached, or the connection broke."""


class IntegrityError(StoreError):
    """A constraint of the store was violated; the transaction was rolled back."""


class UniqueViolation(IntegrityError):
    """A unique or primary key constraint was violated."""


class ForeignKeyViolation(IntegrityError):
    """A foreign key points at an entry that does not exist (or still has children)."""


class NotNullViolation(IntegrityError):
    """A column that requires a value got NULL."""


class ConflictError(StoreError):
    """Another session changed or deleted the same entry first (optimistic concurrency), or
    the store aborted the transaction to break a deadlock. The transaction was rolled back;
    running the unit of work again may succeed (``retryable``)."""

    retryable = True


# -- schema, models, sessions, queries -----------------------------------------------------


class SchemaError(PolynomError):
    """A schema, field or polytype is declared wrongly."""


class ValidationError(PolynomError, ValueError):
    """A value does not fit its field. Names the model, the field and the value."""

    def __init__(
        self,
        message: str,
        *,
        model: str | None = None,
        field: str | None = None,
        value: Any = None,
    ) -> None:
        super().__init__(message)
        self.model = model
        self.field = field
        self.value = value


class SessionError(PolynomError):
    """The session is not in a state that allows the operation."""


class DetachedModelError(SessionError):
    """A model was used after its session committed or rolled back, or in another session."""


class QueryError(PolynomError):
    """A query names an unknown field or combines clauses that cannot go together."""


class RelationshipError(PolynomError):
    """A relationship is declared wrongly or used on the wrong kind of model."""


class NotFound(PolynomError, LookupError):
    """An entry that must exist does not (Polydatum's convention)."""


# -- schema snapshots, migration, dump/load ------------------------------------------------


class SchemaMismatchError(PolynomError):
    """The registered schemas differ from the stored snapshot and ``migrate`` is off."""

    def __init__(self, message: str, differences: list[str]) -> None:
        super().__init__(message)
        self.differences = differences


class MigrationError(PolynomError):
    """A migration cannot be applied without losing data."""


class DumpError(PolynomError):
    """A dump cannot be written, or a dump cannot be loaded into this application."""
