"""``ModelView``: starlette-admin's list, detail, create, edit and delete for a polynom model.

Every read and every write runs in a DAL context of the admin's data manager, in a worker
thread (the DAL is synchronous): a write is committed when it succeeds, rolled back when it
fails, and recorded in the changelog under the admin's user, like any other request. Values
are checked by the model itself on assignment; a refused one comes back to the form as the
field's error.
"""

from __future__ import annotations

import decimal
import enum
import re
from collections.abc import Callable, Sequence
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette_admin.exceptions import FormValidationError
from starlette_admin.types import RequestAction

from polynom import joinedload, or_
from polynom.changelog import history
from polynom.errors import ConflictError, IntegrityError, NotFound, PolynomError, ValidationError
from polynom.integrations.admin._base import PolynomView
from polynom.integrations.admin._fields import FieldPlan, plan_fields
from polynom.integrations.admin._rows import ENTRY_ID, Row, display, row_of
from polynom.schema import polytypes as pt
from polynom.schema.schema import schema_class
from polynom.schema.validation import INVALID, short_repr

__all__ = ["ModelView"]

_UNIQUE_ON = re.compile(r"unique constraint violated on [\w.]*?\.(\w+):")


class ModelView(PolynomView):
    """The admin pages of one polynom model class.

    ``key`` is the view's URL segment (default: the model's name in lower case) and
    ``label`` its menu label; ``label_fields`` name the fields that say which entry a row is
    (default: the first text field). ``related`` maps related model classes to their views'
    keys (:meth:`PolynomAdmin.add_models` fills it); a relationship to a model without a
    view is shown as its foreign key. ``service`` names the DAL service that writes this
    model (``"bikes"``: its ``create``, ``update`` and ``delete`` and their business rules
    run); without one the admin writes through the context's session.
    """

    page_size = 20
    page_size_options = [10, 20, 50, 100]
    detail_template = "polynom/detail.html"

    def __init__(
        self,
        model: type,
        *,
        key: str | None = None,
        label: str | None = None,
        label_fields: Sequence[str] | None = None,
        related: dict[type, str] | None = None,
        service: str | None = None,
        icon: str | None = None,
    ) -> None:
        self.model = model
        self.key = key or model.__name__.lower()
        self.display_name = model.__name__
        self.menu_label = label or f"{model.__name__}s"
        self.icon = icon
        self.pk_attr = ENTRY_ID
        self.service = service
        related = {} if related is None else related
        self._plans: list[FieldPlan] = plan_fields(model, related.get)
        self.fields = [plan.field for plan in self._plans]
        self._by_name = {plan.field.name: plan for plan in self._plans}
        schema = schema_class(model.schema)  # type: ignore[attr-defined]
        self._schema_fields = {f.python_field_name: f for f in schema.all_fields()}
        texts = [
            name
            for name, f in self._schema_fields.items()
            if isinstance(f.polytype, pt.Text) and name != ENTRY_ID
        ]
        self.label_fields = tuple(label_fields or texts[:1])
        # the list's search box looks in the text fields; every field can be filtered on
        self._searchable = [n for n in texts if n in self._by_name]
        self.sortable_fields = [
            plan.field.name
            for plan in self._plans
            if plan.model_field is not None and plan.field.orderable
        ]
        self.fields_default_sort = [self.label_fields[0]] if self.label_fields else None
        self._scalar_relations = {
            p.field.name: p for p in self._plans if p.relationship and p.relationship.scalar
        }
        self._list_relations = {
            p.field.name: p for p in self._plans if p.relationship and not p.relationship.scalar
        }
        super().__init__()

    # -- how the filters find their columns and values ------------------------------------------

    def column_for(self, field_name: str) -> Any:
        """The polynom column an admin field filters and sorts on."""
        plan = self._by_name.get(field_name)
        if plan is None or plan.model_field is None:
            raise HTTPException(400, f"{self.display_name} cannot be filtered by {field_name!r}")
        return getattr(self.model, plan.model_field)

    def operand_for(self, field_name: str, value: Any) -> Any:
        """``value`` (as a filter or form parsed it) in the type of the model's field."""
        plan = self._by_name.get(field_name)
        field = self._schema_fields.get(plan.model_field or "") if plan else None
        return _as_field_type(field.polytype, value) if field is not None else value

    # -- reading ------------------------------------------------------------------------------

    def query(self, ctx: Any) -> Any:
        return self.model.query(ctx.session)  # type: ignore[attr-defined]

    def search(self, q: str) -> list[Any]:
        columns = [getattr(self.model, name) for name in self._searchable]
        return [or_(*(column.like(f"%{q}%") for column in columns))] if columns else []

    def to_row(self, obj: Any) -> Row:
        return self._row(obj, deep=False)

    def list_options(self, query: Any) -> Any:
        relations = [getattr(self.model, name) for name in self._scalar_relations]
        return query.options(*(joinedload(r) for r in relations)) if relations else query

    async def find_by_pk(self, request: Request, pk: Any) -> Any:
        with_history = getattr(request.state, "action", None) == RequestAction.DETAIL

        def read(ctx: Any) -> Row | None:
            obj = self.query(ctx).get(str(pk))
            if obj is None:
                return None
            row = self._row(obj, deep=True)
            if with_history:
                row.history = self._history(ctx, str(pk))
            return row

        return await self.run(request, read)

    async def serialize(
        self,
        obj: Any,
        request: Request,
        include_relationships: bool = True,
        include_select2: bool = False,
    ) -> dict[str, Any]:
        data = await super().serialize(obj, request, include_relationships, include_select2)
        if getattr(obj, "history", None) is not None:
            data["_history"] = obj.history
        return data

    # -- writing ------------------------------------------------------------------------------

    async def create(self, request: Request, data: dict[str, Any]) -> Any:
        await self.validate(request, data)
        values = self._values(data)
        await self._emit_before_create(request, data, Row(values, ""))

        def write(ctx: Any) -> Row:
            if self.service:
                obj = getattr(ctx.dal, self.service).create(**values)
            else:
                obj = self.model(**values)
                ctx.session.add(obj)
                ctx.session.flush()
            return self._row(obj, deep=True)

        row = await self.run(request, write, self._form_error)
        await self._emit_after_create(request, row)
        return row

    async def edit(self, request: Request, pk: Any, data: dict[str, Any]) -> Any:
        await self.validate(request, data)
        values = self._values(data)
        before = await self.find_by_pk(request, pk)
        if before is None:
            raise HTTPException(404, f"{self.display_name} {pk!r} does not exist")
        await self._emit_before_edit(request, data, before, pk=pk)

        def write(ctx: Any) -> Row:
            if self.service:
                obj = getattr(ctx.dal, self.service).update(str(pk), **values)
            else:
                obj = self.model.query(ctx.session).get(str(pk))  # type: ignore[attr-defined]
                if obj is None:
                    raise NotFound(f"{self.display_name} {pk!r} does not exist")
                for name, value in values.items():
                    setattr(obj, name, value)
                ctx.session.flush()
            return self._row(obj, deep=True)

        row = await self.run(request, write, self._form_error)
        await self._emit_after_edit(request, row, pk=pk)
        return row

    async def delete(self, request: Request, pks: list[Any]) -> int | None:
        rows = await self.find_by_pks(request, pks)
        for row in rows:
            await self._emit_before_delete(request, row._entry_id, row)

        def write(ctx: Any) -> int:
            for row in rows:
                if self.service:
                    getattr(ctx.dal, self.service).delete(row._entry_id)
                else:
                    obj = self.model.query(ctx.session).get(row._entry_id)  # type: ignore[attr-defined]
                    if obj is not None:
                        ctx.session.delete(obj)
                ctx.session.flush()
            return len(rows)

        deleted = await self.run(request, write, self._form_error)
        for row in rows:
            await self._emit_after_delete(request, row._entry_id, row)
        return int(deleted)

    # -- helpers ------------------------------------------------------------------------------

    def _form_error(self, exc: PolynomError) -> Exception:
        """A write's polynom error as the form shows it: a field's error where it names one."""
        if isinstance(exc, ValidationError):
            return FormValidationError({self._admin_name(exc.field): _reason(exc)})
        if isinstance(exc, IntegrityError):
            message = str(exc).split("; statement: ", 1)[0]
            column = _UNIQUE_ON.search(message)
            name = self._admin_name(column.group(1)) if column else None
            if name in self._by_name:
                return FormValidationError({name: message})
            return HTTPException(409, message)
        if isinstance(exc, ConflictError):
            return HTTPException(
                409, "someone else changed this entry since you opened it; reload and try again"
            )
        if isinstance(exc, NotFound):
            return HTTPException(404, str(exc))
        return self.failed(exc)

    def _admin_name(self, model_field: str | None) -> str:
        """The admin field that edits ``model_field`` (a relation for its foreign key)."""
        for plan in self._plans:
            if plan.model_field == model_field:
                return plan.field.name
        return model_field or self.fields[1].name

    def _row(self, obj: Any, deep: bool) -> Row:
        plans = {**self._scalar_relations, **(self._list_relations if deep else {})}
        related = {name: self._related_row(plan) for name, plan in plans.items()}
        return row_of(obj, self.label_fields, related)

    def _related_row(self, plan: FieldPlan) -> Callable[[Any], Row]:
        """Turns a related model into its row (labelled the way its own view labels it)."""
        target_view = self.site.view_of(plan.relationship.target) if self.site else None
        fields = target_view.label_fields if target_view is not None else ()
        return lambda obj: row_of(obj, fields, {})

    def _values(self, data: dict[str, Any]) -> dict[str, Any]:
        """The submitted form as model field values (a relation as its foreign key).

        Each value is checked with its field's polytype here, so that every refused field
        comes back to the form at once -- and so that a value a polytype cannot even
        compare (``1e20`` for a ``Decimal(8, 2)``) is the field's error, never a crash.
        """
        values: dict[str, Any] = {}
        errors: dict[str | int, Any] = {}
        for name, value in data.items():
            plan = self._by_name.get(name)
            if plan is None or plan.model_field is None or plan.field.read_only:
                continue
            field = self._schema_fields[plan.model_field]
            if plan.relationship is not None:
                value = getattr(value, ENTRY_ID, value) or None
            elif value == "" and not isinstance(field.polytype, pt.Text):
                value = None
            value = _as_field_type(field.polytype, value)
            if value is not None:
                try:
                    field.polytype.validate(value)
                except INVALID as exc:
                    errors[name] = f"invalid value {short_repr(value)}: {exc or type(exc).__name__}"
                    continue
            values[plan.model_field] = value
        if errors:
            raise FormValidationError(errors)
        return values

    def _history(self, ctx: Any, entry_id: str) -> list[dict[str, Any]]:
        """The entry's changelog, newest first, as the detail page's timeline shows it."""
        schema = schema_class(self.model.schema)  # type: ignore[attr-defined]
        labels = {plan.model_field: plan.field.label for plan in self._plans if plan.model_field}
        records = [
            r
            for r in history(ctx.session, entry_id)
            if r.entity == schema.entity_name and r.namespace == schema.namespace()
        ]
        return [
            {
                "date": r.date.strftime("%Y-%m-%d %H:%M:%S"),
                "user": r.user,
                "change_type": r.change_type or "change",
                "changes": [
                    [labels.get(name, name), display(old), display(new)]
                    for name, (old, new) in r.changes.items()
                ],
            }
            for r in reversed(records)
        ]


def _reason(exc: ValidationError) -> str:
    """A refused value's message without the ``Model.field:`` the form already shows."""
    message = str(exc)
    prefix = f"{exc.model}.{exc.field}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _as_field_type(polytype: Any, value: Any) -> Any:
    """A value from a form or a filter in the type the polytype holds (exact decimals,
    enum members by value); anything else is left for the model to check."""
    if value is None:
        return None
    try:
        if isinstance(polytype, pt.PolyEnum) and not isinstance(value, enum.Enum):
            return polytype.python_enum(value)
        if isinstance(polytype, pt.Decimal) and isinstance(value, int | float | str):
            return decimal.Decimal(str(value))
        if isinstance(polytype, pt.Double) and isinstance(value, decimal.Decimal):
            return float(value)
        integer = isinstance(polytype, pt.BigInt | pt.Integer | pt.SmallInt | pt.TinyInt)
        if integer and isinstance(value, float) and value.is_integer():
            return int(value)
    except (ValueError, ArithmeticError):
        return value  # the model refuses it, naming the field
    return value
