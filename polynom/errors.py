"""Every error polynom raises, under one base class :class:`PolynomError`.

Catch ``PolynomError`` to handle anything from the mapper, the stores or the DAL;
catch a subclass to react to one kind of failure (a conflict, a missing entry...).

Each class also derives from the built-in exception PolyNOM 0.3 raised in the same
situation (``RuntimeError`` for session-state and configuration misuse, ``ValueError`` /
``TypeError`` for bad values...), and store errors from the ``polypheny`` driver's DB-API
classes, so a PolyNOM user's ``except RuntimeError`` or ``except polypheny.exceptions.Error``
keeps catching what it caught before (docs/compat.md has the table).
"""

from __future__ import annotations

from typing import Any

from polypheny import exceptions as _driver


class PolynomError(Exception):
    """Base class of every polynom error."""

    #: True when running the same unit of work again may succeed (a conflict with another
    #: session); :func:`polynom.retry.retry_on_conflict` retries exactly those.
    retryable: bool = False


# -- configuration -------------------------------------------------------------------------


class ConfigurationError(PolynomError, RuntimeError):
    """A setting, address or argument cannot be used as given (PolyNOM: ``RuntimeError``)."""


class ConfigKeyError(ConfigurationError, KeyError):
    """``polynom.config`` has no such key, or the key cannot be set (PolyNOM: ``KeyError``)."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else ""


class ConfigLockedError(ConfigurationError):
    """``polynom.config`` was changed while an application is active."""


# -- stores --------------------------------------------------------------------------------


class StoreError(PolynomError, _driver.DatabaseError):
    """The store refused or failed a statement (also the driver's ``DatabaseError``)."""


class StoreConnectionError(StoreError, _driver.OperationalError):
    """The store cannot be reached, or the connection broke."""


class IntegrityError(StoreError, _driver.IntegrityError):
    """A constraint of the store was violated; the transaction was rolled back."""


class UniqueViolation(IntegrityError):
    """A unique or primary key constraint was violated."""


class ForeignKeyViolation(IntegrityError):
    """A foreign key points at an entry that does not exist (or still has children)."""


class NotNullViolation(IntegrityError):
    """A column that requires a value got NULL."""


class StoredValueError(StoreError, ValueError):
    """A value the store holds does not fit its field's type: written outside this schema,
    or an enum member that was removed since."""


class ConflictError(StoreError):
    """Another session changed or deleted the same entry first (optimistic concurrency), or
    the store aborted the transaction to break a deadlock. The transaction was rolled back;
    running the unit of work again may succeed (``retryable``)."""

    retryable = True


# -- schema, models, sessions, queries -----------------------------------------------------


class SchemaError(PolynomError, TypeError):
    """A schema, field, model or polytype is declared wrongly (PolyNOM: ``TypeError``)."""


class PolytypeArgumentError(SchemaError, ValueError):
    """A polytype is declared with an argument it cannot take (``VarChar(0)``,
    ``Decimal(70)``, ``Timestamp(6)``); also a ``ValueError``, as the argument's value is
    what is wrong."""


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


class ValidationTypeError(ValidationError, TypeError):
    """A value of the wrong type for its field (also a ``TypeError``)."""


class SessionError(PolynomError, RuntimeError):
    """The session (or application) is not in a state that allows the operation."""


class ApplicationStateError(SessionError, ValueError):
    """A session opened on an inactive application, or an application entered twice
    (PolyNOM: ``ValueError``)."""


class DetachedModelError(SessionError, AttributeError):
    """A model was written after its session ended, after it was deleted, or in another
    session (PolyNOM: ``AttributeError``, "no longer mapped")."""


class ForeignModelError(DetachedModelError, ValueError):
    """A model of another (or an ended) session was handed to a session (PolyNOM:
    ``ValueError``)."""


class QueryError(PolynomError, ValueError):
    """A query names an unknown field or combines clauses that cannot go together."""


class UnknownFieldError(QueryError, AttributeError):
    """``Query.update()`` names a field the model does not have (PolyNOM: ``AttributeError``)."""


class RelationshipError(PolynomError, ValueError):
    """A relationship is declared wrongly or cannot be resolved (PolyNOM: ``ValueError``)."""


class RelationshipTypeError(RelationshipError, TypeError):
    """A relationship was given an object of the wrong class (PolyNOM: ``TypeError``)."""


class MissingBackrefError(RelationshipError, AttributeError):
    """The object a relationship was set to lacks the ``back_populates`` attribute
    (PolyNOM: ``AttributeError``)."""


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


class DumpError(PolynomError, ValueError):
    """A dump cannot be written, or a dump cannot be loaded into this application.

    ``line`` is the line of the file the problem is on, when there is one.
    """

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class ExistingEntriesError(DumpError):
    """A dump's entries are in the store already (load with ``replace`` to replace them).

    ``detail`` says which, in the store's words.
    """

    def __init__(self, message: str, *, detail: str = "", line: int | None = None) -> None:
        super().__init__(message, line=line)
        self.detail = detail


class DumpSchemaError(DumpError, RuntimeError):
    """A dump's schema does not fit the application's (PolyNOM: ``RuntimeError``)."""
