"""A migration as steps that can each be undone, applied all or not at all, on every store.

Polypheny commits every DDL statement (Polypheny-DB's ``core/src/main/java/org/polypheny/
db/processing/Processor.java``), so a migration cannot be one transaction there. Instead it
is a list of :class:`Step` s: each runs one DDL statement or one data change, and knows how
to undo itself (a column added is dropped again, a type changed is changed back and the old
values written back, a column dropped is added back with its values). :func:`apply_steps`
runs them in order; when one fails, it undoes the ones before it, newest first, and raises a
:class:`~polynom.errors.MigrationError` naming the step -- the schema and the data are as
they were (the caller stores the new snapshot only after every step ran). The same code runs
on the embedded store.

Everything a step needs from the data (the values a type change converts, the values a
dropped column held) is read before the first step runs, while nothing has been changed.
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from polynom.errors import MigrationError, PolynomError
from polynom.schema import polytypes
from polynom.schema.polytypes import PolyType
from polynom.schema.schema import ENTRY_ID
from polynom.sql import ddl, dml
from polynom.sql import select as sql_select
from polynom.sql.names import quote
from polynom.stores.base import Result

__all__ = [
    "Runner",
    "Step",
    "apply_steps",
    "conversion",
    "polytype_of",
    "read_column",
    "restore_column",
]

#: How many rows a step reads or writes per statement.
_PAGE = 500


class Runner(Protocol):
    """What the steps run on: DDL, and data statements each committed on its own."""

    def ddl(self, statement: str) -> None:
        """Run one DDL statement."""
        ...

    def dml(self, statement: str, params: Sequence[Any] = ()) -> Result:
        """Run one statement in a transaction of its own, committed (also a query)."""
        ...

    def dml_many(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement per row of parameters, all in one transaction, committed."""
        ...


@dataclass
class Step:
    """One change of a migration: what it says, how it runs, how it is undone."""

    description: str
    run: Callable[[Runner], object]
    undo: Callable[[Runner], object] | None = None


@dataclass
class _Applied:
    steps: list[Step] = field(default_factory=list)


def ddl_step(statement: str, undo: str | None) -> Step:
    """A step of one DDL statement, undone by another (or not at all)."""
    return Step(
        statement,
        lambda runner: runner.ddl(statement),
        None if undo is None else (lambda runner: runner.ddl(undo)),
    )


def apply_steps(steps: Sequence[Step], runner: Runner, what: str) -> Callable[[], None]:
    """Run ``steps`` in order. When one fails, undo those that ran, newest first, and raise
    :class:`MigrationError` naming it. Returns a function that undoes every step (for a
    caller whose own last act -- storing the snapshot -- fails)."""
    applied = _Applied()

    def undo_all() -> list[str]:
        problems = []
        for step in reversed(applied.steps):
            if step.undo is None:
                continue
            try:
                step.undo(runner)
            except PolynomError as exc:
                problems.append(f"undoing {step.description!r}: {exc}")
        applied.steps.clear()
        return problems

    for number, step in enumerate(steps, start=1):
        try:
            step.run(runner)
        except PolynomError as exc:
            problems = undo_all()
            state = (
                "the steps before it were undone: the schema and the data are as they were"
                if not problems
                else "undoing the steps before it failed too, the store needs a look: "
                + "; ".join(problems)
            )
            raise MigrationError(
                f"{what}: step {number} of {len(steps)} failed ({step.description}): {exc}; {state}"
            ) from exc
        applied.steps.append(step)

    def undo() -> None:
        problems = undo_all()
        if problems:
            raise MigrationError(f"{what}: undoing the migration failed: " + "; ".join(problems))

    return undo


# -- values --------------------------------------------------------------------------------


def polytype_of(description: dict[str, Any] | None) -> PolyType | None:
    """The polytype a snapshot describes (``{"type": "Decimal", "precision": 10, ...}``),
    or None when it cannot be rebuilt from the description alone (an enum)."""
    if not isinstance(description, dict):
        return None
    kind = description.get("type")
    cls = getattr(polytypes, str(kind), None)
    if not (isinstance(cls, type) and issubclass(cls, PolyType)) or kind == "PolyEnum":
        return None
    args = {k: v for k, v in description.items() if k != "type"}
    try:
        return cls(**args)
    except (TypeError, ValueError):
        return None


def read_column(runner: Runner, table: str, column: str) -> list[tuple[str, Any]]:
    """Every ``(entry id, stored value)`` of a column, in entry order."""
    found: list[tuple[str, Any]] = []
    last = ""
    while True:
        page = runner.dml(
            sql_select.scan_page([ENTRY_ID, column], table, ENTRY_ID, _PAGE), [last]
        ).rows
        found.extend((row[0], row[1]) for row in page)
        if len(page) < _PAGE:
            return found
        last = page[-1][0]


def restore_column(
    runner: Runner, table: str, column: str, values: Sequence[tuple[str, Any]]
) -> None:
    """Write ``values`` (entry id, store value) back into a column."""
    statement = f"UPDATE {table} SET {quote(column)} = ? WHERE {dml.ENTRY_ID_COLUMN} = ?"
    rows = [(value, entry) for entry, value in values]
    for start in range(0, len(rows), _PAGE):
        runner.dml_many(statement, rows[start : start + _PAGE])


def conversion(
    old: PolyType | None, new: PolyType, convert: Any
) -> Callable[[Any], tuple[Any, bool]]:
    """How one stored value of the old type becomes one of the new type: returns
    ``(store value for the new type, whether the value changed)``; raises ``ValueError``
    when it cannot become one.

    ``convert`` is a field's ``convert=``: ``None`` keeps every value as it is (a change is
    then a reason to refuse the migration), ``True`` converts the standard way (decimals
    rounded half-even to the new scale, timestamps and times cut to the new precision,
    doubles rounded to single precision, text cut to the new length), a callable converts
    each value itself (it gets and returns Python values)."""
    reader = old if old is not None else new

    def standard(value: Any) -> Any:
        if isinstance(new, polytypes.Decimal) and isinstance(value, int | float | decimal.Decimal):
            quantum = decimal.Decimal(1).scaleb(-new.scale)
            return decimal.Decimal(str(value)).quantize(quantum, rounding=decimal.ROUND_HALF_EVEN)
        if isinstance(new, polytypes.VarChar) and isinstance(value, str):
            return value[: new.length]
        return value

    def convert_one(raw: Any) -> tuple[Any, bool]:
        value = reader.from_db(raw)
        if callable(convert) and convert is not True:
            target = convert(value)
        elif convert is True:
            target = standard(value)
        else:
            target = value
        try:
            fitted = new.validate(target) if target is not None else None
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{value!r} does not fit {new.sql_type}: {exc}") from None
        changed = fitted != value or (
            type(fitted) is not type(value) and not _same_number(fitted, value)
        )
        return (None if fitted is None else new.to_db(fitted)), bool(changed)

    return convert_one


def _same_number(a: Any, b: Any) -> bool:
    """An int and a decimal, or a decimal and a float, that are the same number."""
    numbers = (int, float, decimal.Decimal)
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    return (
        isinstance(a, numbers)
        and isinstance(b, numbers)
        and decimal.Decimal(str(a)) == decimal.Decimal(str(b))
    )


# -- steps the plan is made of -----------------------------------------------------------------


def add_column_step(table: str, column: str, sql_type: str) -> Step:
    """``ADD COLUMN`` nullable and without a default -- what Polypheny takes whatever the
    field (it refuses a NOT NULL column without a default, and defaults of many types:
    Polypheny-DB's ``dbms/.../ddl/DdlManagerImpl.java`` ``createColumn``,
    ``plugins/jdbc-adapter-framework/.../stores/AbstractJdbcStore.java``)."""
    statement = f"ALTER TABLE {table} ADD COLUMN {quote(column)} {sql_type}"
    return ddl_step(statement, ddl.drop_column(table, column))


def fill_step(table: str, column: str, value: Any, ids: Sequence[str] | None) -> Step:
    """Set NULLs of ``column`` to ``value``; undone by setting the entries ``ids`` (those
    that held NULL) back to NULL (``ids=None``: nothing to undo, the column is new)."""
    statement = dml.fill_nulls(table, column)

    def undo(runner: Runner) -> None:
        restore_column(runner, table, column, [(entry, None) for entry in ids or ()])

    return Step(
        f"{statement} with {value!r}",
        lambda runner: runner.dml(statement, [value]),
        None if ids is None else undo,
    )


def rewrite_step(
    table: str,
    column: str,
    new_values: Sequence[tuple[str, Any]],
    description: str,
    undo: Sequence[tuple[str, Any]],
) -> Step:
    """Write converted values, undone by writing back the values ``undo`` saved."""
    return Step(
        description,
        lambda runner: restore_column(runner, table, column, new_values),
        lambda runner: restore_column(runner, table, column, undo),
    )


def settle_step(table: str, column: str, expected: Sequence[tuple[str, Any]]) -> Step:
    """After a type change: read the column back and write every value the store holds
    otherwise than the model will read it (the store's own conversion may keep digits the
    new type drops, as SQLite keeps a double in a REAL column), so a later update's conflict
    check finds exactly the value it replaced."""
    wanted = dict(expected)

    def run(runner: Runner) -> None:
        differing = [
            (entry, wanted[entry])
            for entry, raw in read_column(runner, table, column)
            if entry in wanted and not _identical(raw, wanted[entry])
        ]
        restore_column(runner, table, column, differing)

    return Step(f"check the stored values of {column} against their new type", run)


def _identical(a: Any, b: Any) -> bool:
    """Store values that are the same value, written the same way (a float bit for bit)."""
    if type(a) is not type(b):
        return _same_number(a, b) and not (isinstance(a, float) or isinstance(b, float))
    return bool(a == b)


def set_type_step(
    table: str, column: str, old_type: str, new_type: str, saved: Sequence[tuple[str, Any]]
) -> Step:
    """``SET TYPE``, undone by setting the old type and writing the saved values back."""
    statement = ddl.set_column_type(table, column, new_type)

    def undo(runner: Runner) -> None:
        runner.ddl(ddl.set_column_type(table, column, old_type))
        restore_column(runner, table, column, saved)

    return Step(statement, lambda runner: runner.ddl(statement), undo)


def drop_column_step(
    table: str,
    column: str,
    before: dict[str, Any],
    saved: Sequence[tuple[str, Any]],
) -> Step:
    """``DROP COLUMN``, undone by adding the column back as it was, with its values."""
    statement = ddl.drop_column(table, column)

    def undo(runner: Runner) -> None:
        runner.ddl(f"ALTER TABLE {table} ADD COLUMN {quote(column)} {before['sql_type']}")
        restore_column(runner, table, column, saved)
        literal = before.get("default_literal")
        if literal is not None:
            runner.ddl(ddl.set_column_default(table, column, literal))
        if before.get("nullable") is False:
            runner.ddl(ddl.set_not_null(table, column))

    return Step(statement, lambda runner: runner.ddl(statement), undo)
