"""The admin's list filters as polynom query expressions.

starlette-admin parses the filter builder's tree (``and``/``or`` groups of rules such as
``price between 1000 and 3000``); each rule's filter class here turns itself into a polynom
expression on the view's model (``Bike.price >= 1000``), and :func:`expression_of` combines
a whole tree with ``and_`` and ``or_``. Text filters use SQL ``LIKE``, which is
case-sensitive on Polypheny; ``%`` and ``_`` typed into one stay wildcards.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from starlette_admin.fields import (
    BaseField,
    BooleanField,
    DateField,
    DateTimeField,
    EnumField,
    HasOne,
    NumberField,
    StringField,
    TimeField,
)
from starlette_admin.filters import FilterApplyContext, FilterGroup, FilterRegistry, filters
from starlette_admin.filters import boolean as fb
from starlette_admin.filters import date as fd
from starlette_admin.filters import enum as fe
from starlette_admin.filters import generic as fg
from starlette_admin.filters import numeric as fn
from starlette_admin.filters import string as fs

from polynom import and_, or_

Expr = Any  # a polynom filter expression (``Bike.price > 100``)

__all__ = ["PolynomFilterRegistry", "expression_of"]


def _column(ctx: FilterApplyContext) -> Any:
    """The polynom column the rule filters on (a relation filters on its foreign key)."""
    column_of = ctx.view.column_for  # type: ignore[union-attr]
    return column_of(ctx.field_name)


def _operand(ctx: FilterApplyContext, value: Any) -> Any:
    """A rule's value as the column's own type (a decimal stays exact, an enum a member)."""
    convert = ctx.view.operand_for  # type: ignore[union-attr]
    return convert(ctx.field_name, value)


class _Eq(fg.EqualFilter):
    def apply(self, ctx: FilterApplyContext) -> Expr:
        return _column(ctx) == _operand(ctx, ctx.value)


class _NotEq(fg.NotEqualFilter):
    def apply(self, ctx: FilterApplyContext) -> Expr:
        return _column(ctx) != _operand(ctx, ctx.value)


class _IsNull(fg.IsNullFilter):
    def apply(self, ctx: FilterApplyContext) -> Expr:
        return _column(ctx).is_(None)


class _IsNotNull(fg.IsNotNullFilter):
    def apply(self, ctx: FilterApplyContext) -> Expr:
        return _column(ctx).is_not(None)


class _Contains(fs.ContainsFilter):
    label = "Contains (case-sensitive)"

    def apply(self, ctx: FilterApplyContext) -> Expr:
        return _column(ctx).like(f"%{ctx.value}%")


class _NotContains(fs.NotContainsFilter):
    def apply(self, ctx: FilterApplyContext) -> Expr:
        return ~_column(ctx).like(f"%{ctx.value}%")


class _StartsWith(fs.StartsWithFilter):
    def apply(self, ctx: FilterApplyContext) -> Expr:
        return _column(ctx).like(f"{ctx.value}%")


class _EndsWith(fs.EndsWithFilter):
    def apply(self, ctx: FilterApplyContext) -> Expr:
        return _column(ctx).like(f"%{ctx.value}")


def _compare(base: type, op: str) -> type:
    """A numeric or temporal comparison filter (``gt``, ``lte``...) on top of ``base``."""

    def apply(self: Any, ctx: FilterApplyContext) -> Expr:
        column, value = _column(ctx), _operand(ctx, ctx.value)
        return {
            "eq": column == value,
            "neq": column != value,
            "gt": column > value,
            "lt": column < value,
            "gte": column >= value,
            "lte": column <= value,
        }[op]

    return type(f"_{base.__name__}", (base,), {"apply": apply})


class _Between(fn.BetweenFilter):
    def apply(self, ctx: FilterApplyContext) -> Expr:
        column = _column(ctx)
        low, high = _operand(ctx, ctx.value), _operand(ctx, ctx.value2)
        return and_(column >= low, column <= high)


class _DateEq(fd.DateEqualFilter):
    def apply(self, ctx: FilterApplyContext) -> Expr:
        return _column(ctx) == _operand(ctx, ctx.value)


class _DateTimeEq(fd.DateTimeEqualFilter, _DateEq):
    pass


class _TimeEq(fd.TimeEqualFilter, _DateEq):
    pass


class _DateBetween(fd.DateBetweenFilter):
    def apply(self, ctx: FilterApplyContext) -> Expr:
        column = _column(ctx)
        return and_(column >= _operand(ctx, ctx.value), column <= _operand(ctx, ctx.value2))


class _DateTimeBetween(fd.DateTimeBetweenFilter, _DateBetween):
    pass


class _TimeBetween(fd.TimeBetweenFilter, _DateBetween):
    pass


class _InPast(fd.DateInPastFilter):
    def apply(self, ctx: FilterApplyContext) -> Expr:
        return _column(ctx) < _operand(ctx, dt.datetime.now(dt.UTC))


class _InFuture(fd.DateInFutureFilter):
    def apply(self, ctx: FilterApplyContext) -> Expr:
        return _column(ctx) > _operand(ctx, dt.datetime.now(dt.UTC))


class _IsTrue(fb.IsTrueFilter):
    def apply(self, ctx: FilterApplyContext) -> Expr:
        return _column(ctx) == True  # noqa: E712


class _IsFalse(fb.IsFalseFilter):
    def apply(self, ctx: FilterApplyContext) -> Expr:
        return _column(ctx) == False  # noqa: E712


class _In(fe.InFilter):
    def apply(self, ctx: FilterApplyContext) -> Expr:
        return _column(ctx).in_([_operand(ctx, v) for v in ctx.value])


class _NotIn(fe.NotInFilter):
    def apply(self, ctx: FilterApplyContext) -> Expr:
        return _column(ctx).not_in([_operand(ctx, v) for v in ctx.value])


_NULLS = [_IsNull, _IsNotNull]
_NUMBERS = [
    _compare(fn.EqualFilter, "eq"),
    _compare(fn.NotEqualFilter, "neq"),
    _compare(fn.GreaterThanFilter, "gt"),
    _compare(fn.GreaterThanOrEqualFilter, "gte"),
    _compare(fn.LessThanFilter, "lt"),
    _compare(fn.LessThanOrEqualFilter, "lte"),
    _Between,
]


class PolynomFilterRegistry(FilterRegistry):
    """The filters each kind of admin field offers, as polynom expressions."""

    @filters(BaseField)
    def fallback(self, field: BaseField) -> list[type]:
        return list(_NULLS)

    @filters(StringField)
    def strings(self, field: BaseField) -> list[type]:
        return [_Contains, _NotContains, _Eq, _NotEq, _StartsWith, _EndsWith, *_NULLS]

    @filters(NumberField)
    def numbers(self, field: BaseField) -> list[type]:
        return [*_NUMBERS, *_NULLS]

    @filters(BooleanField)
    def booleans(self, field: BaseField) -> list[type]:
        return [_IsTrue, _IsFalse, *_NULLS]

    @filters(EnumField)
    def enums(self, field: BaseField) -> list[type]:
        return [_In, _NotIn, *_NULLS]

    @filters(DateTimeField)
    def datetimes(self, field: BaseField) -> list[type]:
        return [_DateTimeBetween, _DateTimeEq, _InPast, _InFuture, *_NULLS]

    @filters(DateField)
    def dates(self, field: BaseField) -> list[type]:
        return [_DateBetween, _DateEq, _InPast, _InFuture, *_NULLS]

    @filters(TimeField)
    def times(self, field: BaseField) -> list[type]:
        return [_TimeBetween, _TimeEq, *_NULLS]

    @filters(HasOne)
    def relations(self, field: BaseField) -> list[type]:
        return [_Eq, _NotEq, *_NULLS]


def expression_of(
    group: FilterGroup, fields: Mapping[str, BaseField], registry: FilterRegistry, view: Any
) -> Expr | None:
    """The whole filter tree as one expression (``None`` when it filters nothing)."""
    parts: list[Expr] = []
    for rule in group.rules:
        if isinstance(rule, FilterGroup):
            part = expression_of(rule, fields, registry, view)
        else:
            field = fields.get(rule.field)
            cls = registry.get_filter(field, rule.filter) if field is not None else None
            if cls is None:
                continue
            ctx = FilterApplyContext(
                query=None, field_name=rule.field, value=rule.value, value2=rule.value2,
                view=view,
            )  # fmt: skip
            part = cls().apply(ctx)
        if part is not None:
            parts.append(part)
    if not parts:
        return None
    return or_(*parts) if group.logic == "or" else and_(*parts)
