"""``ChangeLogView``: the application's changelog as an admin page, filtered by who and when.

Read-only: one row per recorded change (who, when, insert/update/delete, which entry, each
field's old and new value), filtered with the same filter builder as the data (``Who``
equals ``alice``, ``When`` between two dates...) and linked to the changed entry's page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette_admin.fields import BaseField, DateTimeField, EnumField, StringField
from starlette_admin.filters import FilterGroup, FilterRegistry
from starlette_admin.helpers import detail_url
from starlette_admin.views import BaseModelView

# The changelog's rows as a model: queried like any model, through a Query.
from polynom.changelog import ChangeLog
from polynom.errors import PolynomError
from polynom.integrations.admin._filters import PolynomFilterRegistry, expression_of
from polynom.integrations.admin._rows import ENTRY_ID, Row, display
from polynom.schema.schema import schema_class

if TYPE_CHECKING:
    from polynom.integrations.admin import PolynomAdmin

__all__ = ["ChangeLogView"]

#: The view's fields and the changelog columns they filter and sort on.
_COLUMNS = {
    "date": "date_of_change",
    "user": "modified_by",
    "change_type": "change_type",
    "entity": "modified_entity_name",
    "entry": "modified_entry_id",
}


@dataclass
class EntryField(StringField):
    """The changed entry: a link to its page in the admin (when it has a view)."""

    list_template: str = "polynom/fields/entry.html"
    detail_template: str = "polynom/fields/entry.html"

    async def serialize_value(self, request: Request, value: Any) -> Any:
        return value


@dataclass
class ChangesField(BaseField):
    """Each changed field's old and new value, one line each."""

    list_template: str = "polynom/fields/changes.html"
    detail_template: str = "polynom/fields/changes.html"
    searchable: bool | None = False  # not a column: the filters cannot take it
    orderable: bool | None = False
    exclude_from_create: bool | None = True
    exclude_from_edit: bool | None = True

    async def serialize_value(self, request: Request, value: Any) -> Any:
        return value


class ChangeLogView(BaseModelView):
    """Every change the application recorded, newest first (read-only)."""

    key = "changelog"
    display_name = "Change"
    menu_label = "Changelog"
    icon = "fa fa-clock-rotate-left"
    pk_attr = ENTRY_ID
    page_size = 20
    page_size_options = [20, 50, 100]
    fields_default_sort = [("date", True)]
    sortable_fields = ["date", "user", "change_type", "entity"]
    exporters = ["csv", "json"]
    importers: Sequence[Any] = []

    def __init__(self) -> None:
        self.fields = [
            StringField(ENTRY_ID, label="Change id", exclude_from_list=True, searchable=False),
            DateTimeField("date", label="When"),
            StringField("user", label="Who"),
            EnumField(
                "change_type",
                label="What",
                choices=[("insert", "insert"), ("update", "update"), ("delete", "delete")],
            ),
            StringField("entity", label="Entity"),
            EntryField("entry", label="Entry", getter=self._entry_link),
            ChangesField("changes", label="Changes"),
        ]
        self.site: PolynomAdmin | None = None
        super().__init__()

    def can_create(self, request: Request) -> bool:
        return False

    def can_edit(self, request: Request) -> bool:
        return False

    def can_delete(self, request: Request) -> bool:
        return False

    def can_import(self, request: Request) -> bool:
        return False

    # -- filters --------------------------------------------------------------------------------

    def get_filter_registry(self) -> FilterRegistry:
        return PolynomFilterRegistry()

    def column_for(self, field_name: str) -> Any:
        if field_name not in _COLUMNS:
            raise HTTPException(400, f"the changelog cannot be filtered by {field_name!r}")
        return _column(_COLUMNS[field_name])

    def operand_for(self, field_name: str, value: Any) -> Any:
        return value

    # -- reading -------------------------------------------------------------------------------

    async def find_all(
        self,
        request: Request,
        skip: int = 0,
        limit: int = 100,
        q: str | None = None,
        sorts: Sequence[tuple[str, str]] | None = None,
        filters: FilterGroup | None = None,
    ) -> Sequence[Any]:
        where = self._where(request, q, filters)
        order = [
            ("-" if direction == "desc" else "") + _COLUMNS[name]
            for name, direction in sorts or ()
            if name in _COLUMNS
        ]

        def read(session: Any) -> list[Row]:
            query = self._query(session, where).order_by(*order, "-change_seq")
            if skip:
                query = query.offset(skip)
            if limit and limit > 0:
                query = query.limit(limit)
            return [self._row(change) for change in query.all()]

        return await self._run(request, read)

    async def count(
        self, request: Request, q: str | None = None, filters: FilterGroup | None = None
    ) -> int:
        where = self._where(request, q, filters)
        return int(await self._run(request, lambda s: self._query(s, where).count()))

    async def find_by_pk(self, request: Request, pk: Any) -> Any:
        def read(session: Any) -> Row | None:
            change = self._query(session, [_column(ENTRY_ID) == str(pk)]).first()
            return None if change is None else self._row(change)

        return await self._run(request, read)

    async def find_by_pks(self, request: Request, pks: list[Any]) -> Sequence[Any]:
        ids = [str(pk) for pk in pks]
        return await self._run(
            request,
            lambda s: [self._row(c) for c in self._query(s, [_column(ENTRY_ID).in_(ids)]).all()],
        )

    async def create(self, request: Request, data: dict[str, Any]) -> Any:
        raise HTTPException(405, "the changelog is written by the changes themselves")

    async def edit(self, request: Request, pk: Any, data: dict[str, Any]) -> Any:
        raise HTTPException(405, "the changelog cannot be edited")

    async def delete(self, request: Request, pks: list[Any]) -> int | None:
        raise HTTPException(405, "the changelog cannot be edited")

    # -- helpers -------------------------------------------------------------------------------

    async def _run(self, request: Request, work: Any) -> Any:
        site = self.site
        if site is None:
            raise RuntimeError("ChangeLogView is not part of a PolynomAdmin")

        def in_context() -> Any:
            with site.data_manager.context(meta={"user": site.user_from(request)}) as ctx:
                return work(ctx.session)

        try:
            return await run_in_threadpool(in_context)
        except PolynomError as exc:
            raise HTTPException(400, str(exc)) from None

    def _query(self, session: Any, where: Sequence[Any]) -> Any:
        query = ChangeLog.query(session).filter_by(app_uuid=session.application.app_uuid)
        return query.filter(*where) if where else query

    def _where(self, request: Request, q: str | None, filters: FilterGroup | None) -> list[Any]:
        where: list[Any] = []
        if q:
            where.append(
                _column("modified_by").like(f"%{q}%") | (_column("modified_entry_id") == q)
            )
        if filters is not None and not filters.is_empty():
            fields = {f.name: f for f in self.get_fields_list(request)}
            expression = expression_of(filters, fields, self.get_filter_registry(), self)
            if expression is not None:
                where.append(expression)
        return where

    def _row(self, change: Any) -> Row:
        view = self.site.view_for_entity(  # type: ignore[union-attr]
            change.modified_entity_namespace, change.modified_entity_name
        )
        decode = _decoder(view.model if view is not None else None)
        values = {
            ENTRY_ID: change._entry_id,
            "date": change.date_of_change,
            "user": change.modified_by,
            "change_type": change.change_type,
            "entity": change.modified_entity_name,
            "entry": change.modified_entry_id,
            "entry_view": view.key if view is not None else None,
            "changes": [
                [name, display(decode(name, old)), display(decode(name, new))]
                for name, (old, new) in (change.changes or {}).items()
            ],
        }
        return Row(values, f"{change.change_type} of {change.modified_entity_name}")

    @staticmethod
    async def _entry_link(request: Request, row: Any) -> dict[str, Any]:
        url = detail_url(request, row.entry_view, row.entry) if row.entry_view else None
        return {"id": row.entry, "url": url}


def _column(name: str) -> Any:
    """A column of the changelog's model (``ChangeLog.modified_by``), for filters."""
    return getattr(ChangeLog, name)


def _decoder(model: Any) -> Any:
    """Turns a changelog value back into the field's value (exact decimals, enums...)."""
    fields = {}
    if model is not None:
        fields = {f.python_field_name: f.polytype for f in schema_class(model.schema).all_fields()}

    def decode(name: str, value: Any) -> Any:
        polytype = fields.get(name)
        if value is None or polytype is None:
            return value
        try:
            return polytype.from_json(value)
        except (TypeError, ValueError, ArithmeticError, KeyError):
            return value

    return decode
