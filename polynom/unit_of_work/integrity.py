"""Declared keys, kept by the mapper where the store does not keep them itself.

A default Polypheny enforces no primary key, ``UNIQUE`` constraint or foreign key
(Polypheny-DB's ``core/src/main/java/org/polypheny/db/config/RuntimeConfig.java``:
``uniqueConstraintEnforcement`` and ``foreignKeyEnforcement`` are off) and takes no foreign
key to its own table (``core/.../catalog/impl/logical/RelationalCatalog.java``). The store
says so in its :class:`~polynom.stores.base.Capabilities`, and after each write the mapper
looks itself, in the same transaction: are the keys just written held twice, do the foreign
keys just written point at entries, does a deleted entry still have children? A violation
raises the same :class:`~polynom.errors.UniqueViolation` or
:class:`~polynom.errors.ForeignKeyViolation` the embedded store raises, and the session
rolls the transaction back.

Foreign keys are checked when the session commits, as the embedded store checks its own
(``DEFERRABLE INITIALLY DEFERRED``): a flush may delete a parent before its children, or
write a child before its parent, as long as the committed state holds. The flushes record
what to look at in :class:`PendingReferences`; uniqueness is checked after each write, as
SQLite checks it.

It looks *after* writing, as Polypheny's own enforcer does: the write has taken the entity's
exclusive lock, so no other transaction can add a clashing entry before this one ends
(strict two-phase locking), and reading first would take a shared lock that two writers then
could not both upgrade. On a store that enforces its keys (the embedded store) nothing here
runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from polynom.errors import ForeignKeyViolation, UniqueViolation
from polynom.sql import select as sql_select
from polynom.sql.names import quote, schema_entity

if TYPE_CHECKING:
    from polynom.schema.schema import BaseSchema, Field, ForeignKeyField
    from polynom.unit_of_work.executor import Executor

__all__ = ["PendingReferences", "check_deleted", "check_written", "needs_checks"]


def _chunks(values: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _keys_unchecked(executor: Executor, fields: Iterable[Field]) -> list[Field]:
    """The unique fields (the primary key among them) the store does not enforce."""
    if executor.capabilities.enforces_unique:
        return []
    return [f for f in fields if f.is_primary_key or f.unique]


def _references_unchecked(
    executor: Executor, schema: type[BaseSchema], fields: Iterable[Field]
) -> list[ForeignKeyField]:
    """The foreign keys among ``fields`` the store does not enforce."""
    caps = executor.capabilities
    found = []
    for f in fields:
        if not f.is_foreign_key:
            continue
        fk: ForeignKeyField = f  # type: ignore[assignment]
        if not caps.enforces_foreign_keys or (
            not caps.self_referencing_fk and fk.referenced_schema is schema
        ):
            found.append(fk)
    return found


def needs_checks(executor: Executor, schema: type[BaseSchema], fields: Iterable[Field]) -> bool:
    """True when writing ``fields`` of ``schema`` needs a look by :func:`check_written`."""
    caps = executor.capabilities
    if caps.enforces_unique and caps.enforces_foreign_keys and caps.self_referencing_fk:
        return False
    fields = list(fields)
    return bool(
        _keys_unchecked(executor, fields) or _references_unchecked(executor, schema, fields)
    )


def check_written(
    executor: Executor,
    schema: type[BaseSchema],
    fields: Sequence[Field],
    rows: Sequence[Sequence[Any]],
    pending: PendingReferences | None = None,
) -> None:
    """After ``rows`` (store values of ``fields``) were inserted into, or set in, ``schema``'s
    entity: refuse keys held twice and foreign keys that point nowhere -- the latter at
    commit when ``pending`` collects them, at once otherwise."""
    keys = _keys_unchecked(executor, fields)
    references = _references_unchecked(executor, schema, fields)
    if not (keys or references):
        return
    table = schema_entity(schema)
    size = max(1, executor.max_params)
    position = {f.db_field_name: i for i, f in enumerate(fields)}
    for field in keys:
        values = sorted({row[position[field.db_field_name]] for row in rows} - {None}, key=repr)
        for chunk in _chunks(values, size):
            column = quote(field.db_field_name)
            found = executor.execute(
                sql_select.duplicates(
                    table, [field.db_field_name], [sql_select.in_list(column, len(chunk))]
                ),
                list(chunk),
            ).rows
            if found:
                raise UniqueViolation(
                    f"unique constraint violated on {schema.qualified_name()}."
                    f"{field.db_field_name}: an entry with the value {found[0][0]!r} already "
                    "exists; the transaction was rolled back"
                )
    for fk in references:
        referencing = {row[position[fk.db_field_name]] for row in rows} - {None}
        if pending is not None:
            pending.written.setdefault((schema, fk), set()).update(referencing)
        else:
            _check_references(executor, schema, fk, referencing)


def _entries_with(
    executor: Executor,
    entity: type[BaseSchema],
    column: str,
    values: set[Any],
    limit: int | None = None,
) -> Iterator[tuple[Sequence[Any], list[tuple[Any, ...]]]]:
    """For each chunk of ``values`` (as many as one statement binds), the chunk and the
    ``column`` values of the entries of ``entity`` that hold one of them (``limit`` rows at
    most)."""
    quoted = quote(column)
    table = schema_entity(entity)
    for chunk in _chunks(sorted(values, key=repr), max(1, executor.max_params)):
        statement = sql_select.select(
            quoted, table, [sql_select.in_list(quoted, len(chunk))], limit=limit
        )
        yield chunk, executor.execute(statement, list(chunk)).rows


def _check_references(
    executor: Executor, schema: type[BaseSchema], fk: ForeignKeyField, values: set[Any]
) -> None:
    """Refuse values of ``schema``'s ``fk`` that no entry of the referenced entity holds."""
    parent = fk.referenced_schema
    for chunk, rows in _entries_with(executor, parent, fk.referenced_db_field_name, values):
        present = {r[0] for r in rows}
        missing = [v for v in chunk if v not in present]
        if missing:
            raise ForeignKeyViolation(
                f"foreign key violated: {schema.qualified_name()}.{fk.db_field_name} = "
                f"{missing[0]!r} references {parent.qualified_name()}, which has no such "
                "entry; the transaction was rolled back"
            )


def check_deleted(
    executor: Executor,
    schema: type[BaseSchema],
    rows: Sequence[dict[str, Any]],
    schemas: Sequence[type[BaseSchema]],
    pending: PendingReferences | None = None,
) -> None:
    """After entries of ``schema`` (their store values by column) were deleted, or their
    referenced keys changed: refuse when an entry of ``schemas`` still references one -- at
    commit when ``pending`` collects them, at once otherwise."""
    caps = executor.capabilities
    if caps.enforces_foreign_keys and caps.self_referencing_fk:
        return
    for child in schemas:
        for fk in child.foreign_keys():
            if fk.referenced_schema is not schema:
                continue
            if caps.enforces_foreign_keys and child is not schema:
                continue  # the store enforces this one
            key = fk.referenced_db_field_name
            values = {r.get(key) for r in rows} - {None}
            if not values:
                continue
            if pending is not None:
                pending.gone.setdefault((child, fk), set()).update(values)
            else:
                _check_unreferenced(executor, child, fk, values)


def _check_unreferenced(
    executor: Executor, child: type[BaseSchema], fk: ForeignKeyField, values: set[Any]
) -> None:
    """Refuse when an entry of ``child`` references one of the key ``values`` of ``fk``'s
    parent through ``fk``."""
    for _, found in _entries_with(executor, child, fk.db_field_name, values, limit=1):
        if found:
            raise ForeignKeyViolation(
                f"foreign key violated: {child.qualified_name()}.{fk.db_field_name} = "
                f"{found[0][0]!r} references {fk.referenced_schema.qualified_name()}, whose "
                "entry is gone; the transaction was rolled back"
            )


class PendingReferences:
    """The foreign keys a transaction's flushes wrote or took away, checked at commit.

    ``written`` maps (child schema, foreign key) to the values written into it; ``gone``
    maps (child schema, foreign key) to referenced key values that were deleted or changed.
    :meth:`check` looks at the state the transaction is about to commit, so the order of
    the flushes does not matter (a parent deleted before its children, a child written
    before its parent), as with the embedded store's deferred foreign keys."""

    __slots__ = ("gone", "written")

    def __init__(self) -> None:
        self.written: dict[tuple[type[BaseSchema], ForeignKeyField], set[Any]] = {}
        self.gone: dict[tuple[type[BaseSchema], ForeignKeyField], set[Any]] = {}

    def __bool__(self) -> bool:
        return bool(self.written or self.gone)

    def check(self, executor: Executor) -> None:
        """Raise :class:`~polynom.errors.ForeignKeyViolation` for the first foreign key the
        transaction leaves pointing nowhere; forget what was recorded either way."""
        written, gone = self.written, self.gone
        self.clear()
        for (child, fk), values in written.items():
            _check_references(executor, child, fk, values)
        for (child, fk), values in gone.items():
            _check_unreferenced(executor, child, fk, values)

    def clear(self) -> None:
        """Forget what was recorded (the transaction ended)."""
        self.written = {}
        self.gone = {}
