"""What the admin's views share: reads in DAL contexts, the list's search, filters and pages.

A view says how to query its rows (:meth:`PolynomView.query`), which column an admin field
stands for (:meth:`PolynomView.column_for`) and how an entry becomes a row; this base runs
every read in a DAL context of the admin's data manager, in a worker thread (the DAL is
synchronous), and turns the list page's search, filter tree, sort and page into one query.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette_admin.filters import FilterGroup, FilterRegistry
from starlette_admin.views import BaseModelView

from polynom.errors import ConfigurationError, PolynomError
from polynom.integrations.admin._filters import PolynomFilterRegistry, expression_of
from polynom.integrations.admin._rows import ENTRY_ID, Row

if TYPE_CHECKING:
    from polynom.integrations.admin import PolynomAdmin

__all__ = ["PolynomView"]


class PolynomView(BaseModelView):
    """A starlette-admin view whose rows come from polynom, read in DAL contexts."""

    #: The admin site the view belongs to (set when it is added to a ``PolynomAdmin``).
    site: PolynomAdmin | None = None

    # -- what a view says -------------------------------------------------------------------

    def query(self, ctx: Any) -> Any:
        """A query of the view's rows in ``ctx``'s session."""
        raise NotImplementedError

    def column_for(self, field_name: str) -> Any:
        """The polynom column an admin field filters and sorts on."""
        raise NotImplementedError

    def operand_for(self, field_name: str, value: Any) -> Any:
        """``value`` (as a filter parsed it) in the type of the field's column."""
        return value

    def search(self, q: str) -> list[Any]:
        """The conditions of the list's search box (none by default)."""
        return []

    def to_row(self, obj: Any) -> Row:
        """One entry of the list."""
        raise NotImplementedError

    def list_options(self, query: Any) -> Any:
        """The list query with its loader options (related entries the rows show)."""
        return query

    #: The order that breaks ties, so pages never repeat or skip a row.
    tie_breaker: Sequence[str] = (ENTRY_ID,)

    # -- the list ---------------------------------------------------------------------------

    def get_filter_registry(self) -> FilterRegistry:
        return PolynomFilterRegistry()

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
            f"-{self.column_for(name).name}" if direction == "desc" else self.column_for(name).name
            for name, direction in sorts or ()
        ]

        def read(ctx: Any) -> list[Row]:
            query = self._filtered(ctx, where).order_by(*order, *self.tie_breaker)
            query = self.list_options(query)
            if skip:
                query = query.offset(skip)
            if limit and limit > 0:
                query = query.limit(limit)
            return [self.to_row(obj) for obj in query.all()]

        return await self.run(request, read)

    async def count(
        self, request: Request, q: str | None = None, filters: FilterGroup | None = None
    ) -> int:
        where = self._where(request, q, filters)
        return int(await self.run(request, lambda ctx: self._filtered(ctx, where).count()))

    async def find_by_pks(self, request: Request, pks: list[Any]) -> Sequence[Any]:
        ids = [str(pk) for pk in pks]

        def read(ctx: Any) -> list[Row]:
            where = [self.column_for(ENTRY_ID).in_(ids)]
            return [self.to_row(obj) for obj in self._filtered(ctx, where).all()]

        return await self.run(request, read)

    # -- contexts ---------------------------------------------------------------------------

    async def run(
        self,
        request: Request,
        work: Callable[[Any], Any],
        failed: Callable[[PolynomError], Exception] | None = None,
    ) -> Any:
        """``work(ctx)`` in a DAL context of its own (committed when it returns, rolled
        back when it raises, its changes logged under the admin's user), in a worker
        thread. A polynom error becomes what ``failed`` makes of it (an error page by
        default: :meth:`failed`)."""
        site = self.site
        if site is None:
            raise ConfigurationError(
                f"{type(self).__name__} {self.key!r} is not part of a PolynomAdmin"
            )
        user = site.user_from(request)

        def in_context() -> Any:
            with site.data_manager.context(meta={"user": user, "admin": True}) as ctx:
                return work(ctx)

        try:
            return await run_in_threadpool(in_context)
        except PolynomError as exc:
            raise (failed or self.failed)(exc) from None

    def failed(self, exc: PolynomError) -> Exception:
        """What the admin shows for a polynom error: an error page naming it."""
        return HTTPException(400, f"{type(exc).__name__}: {exc}")

    # -- helpers ----------------------------------------------------------------------------

    def _filtered(self, ctx: Any, where: Sequence[Any]) -> Any:
        query = self.query(ctx)
        return query.filter(*where) if where else query

    def _where(self, request: Request, q: str | None, filters: FilterGroup | None) -> list[Any]:
        where = self.search(q) if q else []
        if filters is not None and not filters.is_empty():
            fields = {f.name: f for f in self.get_fields_list(request)}
            expression = expression_of(filters, fields, self.get_filter_registry(), self)
            if expression is not None:
                where.append(expression)
        return where
