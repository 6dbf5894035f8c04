"""How a default-configured Polypheny refuses statements, in its own words, for the embedded
store's ``semantics="polypheny"`` (what the Prism stand-in runs on).

A refusal carries the *phase* it happened in, because Polypheny's answer to a failed
statement depends on it: a parse, validation or planning error of a statement it runs
rolls the transaction back, an error while executing does not, and a failed DDL rolls back
the whole transaction (``docs/testing.md``; Polypheny-DB's
``core/src/main/java/org/polypheny/db/languages/LanguageManager.java``, ``anyPrepareQuery``).
The texts are Polypheny-DB's; each is cited where it is raised. Paths are in Polypheny-DB's
repository.
"""

from __future__ import annotations

from polynom.errors import StoreError

__all__ = [
    "DDL",
    "EXECUTION",
    "PARSE",
    "PLAN",
    "VALIDATION",
    "PolyphenyRefusal",
    "parse_error",
    "position",
    "validation_error",
]

#: The phases of a statement, in the order Polypheny goes through them.
PARSE, VALIDATION, PLAN, EXECUTION, DDL = "parse", "validation", "plan", "execution", "ddl"


class PolyphenyRefusal(StoreError):
    """A statement refused as a default Polypheny refuses it: the message is Polypheny's,
    ``phase`` says where it failed (one of ``parse``, ``validation``, ``plan``,
    ``execution``, ``ddl``)."""

    def __init__(self, message: str, phase: str) -> None:
        super().__init__(message)
        self.phase = phase


def position(sql: str, offset: int) -> tuple[int, int]:
    """The 1-based (line, column) of character ``offset`` of ``sql``, as Polypheny counts."""
    line = sql.count("\n", 0, offset) + 1
    start = sql.rfind("\n", 0, offset) + 1
    return line, offset - start + 1


def validation_error(sql: str, start: int, end: int, text: str) -> PolyphenyRefusal:
    """A validator error for the characters ``start:end`` of ``sql``.

    ``Exception while validating query: From line l1, column c1 to line l2, column c2: text``
    (``plugins/sql-language/src/main/java/org/polypheny/db/sql/SqlProcessor.java``,
    ``validate``; the position prefix is ``core/.../runtime/PolyphenyDbResource.java``,
    ``validatorContextPoint``/``validatorContext``, and ``At line l, column c`` when the span
    is one character)."""
    l1, c1 = position(sql, start)
    l2, c2 = position(sql, max(start, end - 1))
    where = (
        f"At line {l1}, column {c1}"
        if (l1, c1) == (l2, c2)
        else f"From line {l1}, column {c1} to line {l2}, column {c2}"
    )
    return PolyphenyRefusal(f"Exception while validating query: {where}: {text}", VALIDATION)


def parse_error(sql: str, offset: int, found: str, expected: str) -> PolyphenyRefusal:
    """A parser error at ``offset``, worded as JavaCC's ``ParseException`` wrapped by
    ``SqlProcessor.parse`` (``org.polypheny.db.languages.NodeParseException: Encountered
    ...``; ``plugins/sql-language/src/main/codegen/Parser.jj``). Only the text up to the
    position is certain; the expected list is ours."""
    line, column = position(sql, offset)
    found = found or "<EOF>"
    return PolyphenyRefusal(
        f'org.polypheny.db.languages.NodeParseException: Encountered "{found}" at line '
        f"{line}, column {column}.\nWas expecting one of:\n    {expected}",
        PARSE,
    )
