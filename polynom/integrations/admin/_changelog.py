"""``ChangeLogView``: the application's changelog as an admin page, filtered by who and when.

Read-only: one row per recorded change (who, when, insert/update/delete, which entry, each
field's old and new value), filtered with the same filter builder as the data (``Who``
equals ``alice``, ``When`` between two dates...) and linked to the changed entry's page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette_admin.fields import BaseField, DateTimeField, EnumField, StringField
from starlette_admin.helpers import detail_url

# The changelog's rows as a model: queried like any model, through a Query.
from polynom.changelog import ChangeLog
from polynom.integrations.admin._base import PolynomView
from polynom.integrations.admin._rows import ENTRY_ID, Row, display
from polynom.schema.schema import schema_class

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


class ChangeLogView(PolynomView):
    """Every change the application recorded, newest first (read-only)."""

    key = "changelog"
    display_name = "Change"
    menu_label = "Changelog"
    icon = "fa fa-clock-rotate-left"
    pk_attr = ENTRY_ID
    tie_breaker = ("-change_seq",)
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
        super().__init__()

    def can_create(self, request: Request) -> bool:
        return False

    def can_edit(self, request: Request) -> bool:
        return False

    def can_delete(self, request: Request) -> bool:
        return False

    def can_import(self, request: Request) -> bool:
        return False

    # -- what the list reads ----------------------------------------------------------------

    def query(self, ctx: Any) -> Any:
        session = ctx.session
        return ChangeLog.query(session).filter_by(app_uuid=session.application.app_uuid)

    def column_for(self, field_name: str) -> Any:
        if field_name == ENTRY_ID:
            return _column(ENTRY_ID)
        if field_name not in _COLUMNS:
            raise HTTPException(400, f"the changelog cannot be filtered by {field_name!r}")
        return _column(_COLUMNS[field_name])

    def search(self, q: str) -> list[Any]:
        return [_column("modified_by").like(f"%{q}%") | (_column("modified_entry_id") == q)]

    def to_row(self, change: Any) -> Row:
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

    async def find_by_pk(self, request: Request, pk: Any) -> Any:
        def read(ctx: Any) -> Row | None:
            change = self._filtered(ctx, [_column(ENTRY_ID) == str(pk)]).first()
            return None if change is None else self.to_row(change)

        return await self.run(request, read)

    async def create(self, request: Request, data: dict[str, Any]) -> Any:
        raise HTTPException(405, "the changelog is written by the changes themselves")

    async def edit(self, request: Request, pk: Any, data: dict[str, Any]) -> Any:
        raise HTTPException(405, "the changelog cannot be edited")

    async def delete(self, request: Request, pks: list[Any]) -> int | None:
        raise HTTPException(405, "the changelog cannot be edited")

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
