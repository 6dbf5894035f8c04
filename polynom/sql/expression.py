"""Filter and ordering expressions built from model fields: ``Bike.price > 100``.

Expressions compile to Polypheny SQL with every value bound as a parameter. Values are
validated by the field's polytype first, so a wrong value is an error naming the field
before anything reaches the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from polynom.errors import QueryError
from polynom.schema.polytypes import Text
from polynom.schema.validation import INVALID, invalid_value
from polynom.sql.names import quote

if TYPE_CHECKING:
    from polynom.schema.field import Field

__all__ = ["Aliases", "Column", "Expr", "Ordering", "and_", "not_", "or_"]

#: model class -> SQL alias, provided by the query that compiles an expression
Aliases = dict[type, str]

_TEXT = Text()


class Expr:
    """A boolean SQL expression over model fields."""

    def compile(self, aliases: Aliases, params: list[Any]) -> str:
        raise NotImplementedError

    def __and__(self, other: Expr) -> Expr:
        return _BoolOp("AND", [self, other])

    def __or__(self, other: Expr) -> Expr:
        return _BoolOp("OR", [self, other])

    def __invert__(self) -> Expr:
        return _Not(self)

    def __bool__(self) -> bool:
        raise TypeError("use & | ~ (or and_/or_/not_) to combine filter expressions")


class Column:
    """A model field used in a query: ``Bike.price``."""

    __slots__ = ("field", "model")

    def __init__(self, model: type, field: Field) -> None:
        self.model = model
        self.field = field

    @property
    def name(self) -> str:
        return self.field.python_field_name

    def sql(self, aliases: Aliases) -> str:
        alias = aliases.get(self.model)
        if alias is None:
            raise QueryError(
                f"{self.model.__name__}.{self.name} is used in a query on "
                f"{', '.join(m.__name__ for m in aliases)}; join {self.model.__name__} first"
            )
        return f"{quote(alias)}.{quote(self.field.db_field_name)}"

    def bind(self, value: Any) -> Any:
        """Validate a value compared against this field and convert it for the store."""
        if value is None:
            return None
        value = self.coerce(value)
        try:
            value = self.field.polytype.validate(value)
        except INVALID as exc:
            raise invalid_value(
                self.model.__name__, self.name, value, exc, verb="cannot compare with"
            ) from None
        return self.field.polytype.to_db(value)

    def coerce(self, value: Any) -> Any:
        """Turn a compared value into one the field's polytype validates (a hook).

        The model layer's columns turn a model into its entry id here, so that a foreign
        key compares with the model it references.
        """
        return value

    def _cmp(self, op: str, value: Any) -> Expr:
        if isinstance(value, Column):
            return _ColumnCompare(self, op, value)
        if value is None:
            if op == "=":
                return _Null(self, True)
            if op == "<>":
                return _Null(self, False)
            raise QueryError(f"{self.model.__name__}.{self.name} {op} None is always unknown")
        return _Compare(self, op, value)

    def __eq__(self, value: Any) -> Expr:  # type: ignore[override]
        return self._cmp("=", value)

    def __ne__(self, value: Any) -> Expr:  # type: ignore[override]
        return self._cmp("<>", value)

    def __lt__(self, value: Any) -> Expr:
        return self._cmp("<", value)

    def __le__(self, value: Any) -> Expr:
        return self._cmp("<=", value)

    def __gt__(self, value: Any) -> Expr:
        return self._cmp(">", value)

    def __ge__(self, value: Any) -> Expr:
        return self._cmp(">=", value)

    def __hash__(self) -> int:
        return hash((self.model, self.field.db_field_name))

    def in_(self, values: Iterable[Any]) -> Expr:
        """``field IN (...)``; an empty list matches nothing."""
        return _In(self, list(values), negate=False)

    def not_in(self, values: Iterable[Any]) -> Expr:
        return _In(self, list(values), negate=True)

    def like(self, pattern: str) -> Expr:
        """SQL ``LIKE`` (``%`` any run, ``_`` one character), case-sensitive."""
        try:
            pattern = _TEXT.validate(pattern)  # a pattern is text: a str, no lone surrogates
        except INVALID as exc:
            raise invalid_value(
                self.model.__name__,
                self.name,
                pattern,
                f"like() needs a str pattern: {exc}",
                verb="cannot match",
            ) from None
        return _Like(self, pattern)

    def is_(self, value: None) -> Expr:
        if value is not None:
            raise QueryError("is_() only compares with None; use == for values")
        return _Null(self, True)

    def is_not(self, value: None) -> Expr:
        if value is not None:
            raise QueryError("is_not() only compares with None; use != for values")
        return _Null(self, False)

    def asc(self) -> Ordering:
        return Ordering(self, descending=False)

    def desc(self) -> Ordering:
        return Ordering(self, descending=True)

    def __repr__(self) -> str:
        return f"{self.model.__name__}.{self.name}"


class Ordering:
    """One ``ORDER BY`` term. NULLs sort as the smallest value -- first ascending, last
    descending -- on every store, written out: Polypheny's default store sorts NULLs first
    both ways when no ``NULLS`` clause reaches it, and drops an ``ASC NULLS LAST``
    (Polypheny-DB's ``plugins/hsqldb-adapter/.../HsqldbSqlDialect.java`` declares
    ``NullCollation.HIGH``; ``plugins/jdbc-adapter-framework/.../rel2sql/SqlImplementor.java``
    writes only clauses that differ from it), while ``ASC NULLS FIRST`` and ``DESC NULLS
    LAST`` are written and kept; SQLite sorts so by default."""

    __slots__ = ("column", "descending")

    def __init__(self, column: Column, descending: bool) -> None:
        self.column = column
        self.descending = descending

    @property
    def direction(self) -> str:
        """``ASC NULLS FIRST`` or ``DESC NULLS LAST``."""
        return "DESC NULLS LAST" if self.descending else "ASC NULLS FIRST"

    def sql(self, aliases: Aliases) -> str:
        return f"{self.column.sql(aliases)} {self.direction}"


class _Compare(Expr):
    def __init__(self, column: Column, op: str, value: Any) -> None:
        self.column, self.op = column, op
        self.value = column.bind(value)

    def compile(self, aliases: Aliases, params: list[Any]) -> str:
        params.append(self.value)
        return f"{self.column.sql(aliases)} {self.op} ?"


class _ColumnCompare(Expr):
    def __init__(self, left: Column, op: str, right: Column) -> None:
        self.left, self.op, self.right = left, op, right

    def compile(self, aliases: Aliases, params: list[Any]) -> str:
        return f"{self.left.sql(aliases)} {self.op} {self.right.sql(aliases)}"


class _Null(Expr):
    def __init__(self, column: Column, is_null: bool) -> None:
        self.column, self.is_null = column, is_null

    def compile(self, aliases: Aliases, params: list[Any]) -> str:
        return f"{self.column.sql(aliases)} IS {'' if self.is_null else 'NOT '}NULL"


class _In(Expr):
    def __init__(self, column: Column, values: list[Any], negate: bool) -> None:
        self.column, self.negate = column, negate
        self.values = [column.bind(v) for v in values]

    def compile(self, aliases: Aliases, params: list[Any]) -> str:
        if not self.values:
            return "1 = 1" if self.negate else "1 = 0"
        params.extend(self.values)
        marks = ", ".join("?" * len(self.values))
        return f"{self.column.sql(aliases)} {'NOT IN' if self.negate else 'IN'} ({marks})"


class _Like(Expr):
    def __init__(self, column: Column, pattern: str) -> None:
        self.column, self.pattern = column, pattern

    def compile(self, aliases: Aliases, params: list[Any]) -> str:
        params.append(self.pattern)
        return f"{self.column.sql(aliases)} LIKE ?"


class _BoolOp(Expr):
    def __init__(self, op: str, parts: list[Expr]) -> None:
        for part in parts:
            if not isinstance(part, Expr):
                raise QueryError(f"{part!r} is not a filter expression")
        self.op, self.parts = op, parts

    def compile(self, aliases: Aliases, params: list[Any]) -> str:
        return "(" + f" {self.op} ".join(p.compile(aliases, params) for p in self.parts) + ")"


class _Not(Expr):
    def __init__(self, inner: Expr) -> None:
        self.inner = inner

    def compile(self, aliases: Aliases, params: list[Any]) -> str:
        return f"NOT ({self.inner.compile(aliases, params)})"


def and_(*parts: Expr) -> Expr:
    """All of the expressions."""
    return _BoolOp("AND", list(parts))


def or_(*parts: Expr) -> Expr:
    """Any of the expressions."""
    return _BoolOp("OR", list(parts))


def not_(part: Expr) -> Expr:
    """The negation of an expression."""
    return _Not(part)
