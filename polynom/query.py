"""``Query``: read models of one class, filtered, ordered and paged, as Polypheny SQL.

Queries see the session's own pending changes (the session flushes before it runs one)
and return the session's objects for entries it already holds (identity map). A query
works on a :class:`QuerySession` -- what it needs of a session -- and never imports one.

As in PolyNOM 0.3, the building methods change the query and return it, so both
``q = q.filter_by(a=1)`` and a bare ``q.filter_by(a=1)`` narrow ``q``; :meth:`Query.copy`
branches a query. Running one (``all``, ``first``, ``count``...) never changes it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Generic, Protocol, TypeVar

from polynom.errors import QueryError, UnknownFieldError, ValidationError
from polynom.model.mapper import RelationshipAttribute
from polynom.model.model import BaseModel, model_for_schema
from polynom.model.state import DELETED
from polynom.schema.schema import ENTRY_ID
from polynom.sql import select as sql_select
from polynom.sql.expression import Column, Expr, Ordering
from polynom.sql.names import quote, schema_entity
from polynom.stores.base import Result
from polynom.unit_of_work.tracking import UnitOfWork

__all__ = ["JoinedLoad", "Query", "QuerySession", "get_by_id", "joinedload", "selectinload"]

M = TypeVar("M", bound=BaseModel)

_IN_CHUNK = 500
#: The key of a model's column list in its mapper's statement cache.
_COLUMNS = ("columns",)


class QuerySession(Protocol):
    """What a query needs of a session (``polynom.session.Session`` is one)."""

    @property
    def unit_of_work(self) -> UnitOfWork:
        """The identity map and pending changes, to adopt rows and know when to flush."""
        ...

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Result:
        """Run a statement in the session's transaction (raises when it is not active)."""
        ...

    def fetch_rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run a query in the session's transaction and return its rows."""
        ...

    def flush(self) -> None:
        """Write pending changes, so the query sees them."""
        ...

    def delete_all(self, models: Iterable[BaseModel]) -> None:
        """Delete models through the session (cascades and changelog apply)."""
        ...


class _Load:
    """A loader option: fetch a relationship for every result in one extra statement."""

    def __init__(self, relationship: RelationshipAttribute) -> None:
        if not isinstance(relationship, RelationshipAttribute):
            raise QueryError(f"eager loading needs a relationship attribute, got {relationship!r}")
        self.relationship = relationship


def joinedload(relationship: Any) -> _Load:
    """Load ``relationship`` (``Bike.owner`` or ``Owner.bikes``) together with the results."""
    return _Load(relationship)


#: SQLAlchemy's name for the same strategy (one ``IN`` query per relationship).
selectinload = joinedload
#: PolyNOM 0.3's name.
JoinedLoad = joinedload


class Query(Generic[M]):
    """Build with chained calls, run with ``all``/``first``/``get``/``count``/``exists``."""

    def __init__(self, model: type[M], session: QuerySession) -> None:
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or not hasattr(
            model, "__mapper__"
        ):
            raise QueryError(f"a query needs a model class, got {model!r}")
        self._model = model
        self._session = session
        self._where: list[Expr] = []
        self._order: list[Ordering] = []
        self._limit: int | None = None
        self._offset: int | None = None
        self._distinct = False
        self._joins: list[tuple[type[BaseModel], str]] = []  # (model, ON sql) in alias order
        self._join_params: list[Any] = []
        self._eager: list[RelationshipAttribute] = []

    @property
    def _model_cls(self) -> type[M]:
        """The queried model class (PolyNOM 0.3's name)."""
        return self._model

    def copy(self) -> Query[M]:
        """An independent copy: building on it leaves this query as it is."""
        return self._copy()

    def _copy(self) -> Query[M]:
        clone = Query.__new__(Query)
        clone.__dict__.update(self.__dict__)
        clone._where = list(self._where)
        clone._order = list(self._order)
        clone._joins = list(self._joins)
        clone._join_params = list(self._join_params)
        clone._eager = list(self._eager)
        return clone

    # -- building ------------------------------------------------------------------------

    def _column(self, model: type[BaseModel], name: str) -> Column:
        mapper = model.__mapper__
        attribute = mapper.attributes.get(name)
        if attribute is None:
            known = ", ".join(mapper.field_names())
            raise QueryError(f"{model.__name__} has no field {name!r} (fields: {known})")
        return attribute.column

    def filter_by(self, **values: Any) -> Query[M]:
        """Keep entries whose fields equal the given values."""
        clone = self
        for name, value in values.items():
            clone._where.append(self._column(self._model, name) == value)
        return clone

    def filter(self, *expressions: Expr | tuple[str, Any, Any]) -> Query[M]:
        """Keep entries matching every expression (``Bike.price > 100``, ``a | b``...).

        PolyNOM 0.3.2's tuples ``(op, field_name, value)`` are accepted too, the field
        checked against the model and ``op`` one of ``= != <> < <= > >= LIKE``.
        """
        clone = self
        for expression in expressions:
            if isinstance(expression, tuple):
                expression = self._from_tuple(expression)
            if not isinstance(expression, Expr):
                raise QueryError(
                    f"filter() takes expressions on model fields such as Bike.price > 100, "
                    f"got {expression!r}"
                )
            clone._where.append(expression)
        return clone

    def _from_tuple(self, expression: tuple[Any, ...]) -> Expr:
        """A PolyNOM 0.3 filter tuple as our expression: never pasted into SQL."""
        if len(expression) != 3:
            raise QueryError(f"a filter tuple is (op, field, value), got {expression!r}")
        op, field, value = expression
        if isinstance(field, Column):
            column = field
        else:
            name = getattr(field, "python_field_name", field)  # a schema Field (PolyNOM 0.3.0)
            mapper = self._model.__mapper__
            if isinstance(name, str) and name not in mapper.attributes:
                by_db = mapper.schema.field_by_db_name(name)
                name = by_db.python_field_name if by_db is not None else name
            if not isinstance(name, str):
                raise QueryError(f"a filter tuple names a field, got {field!r}")
            column = self._column(self._model, name)
        compare = _TUPLE_OPS.get(op.upper() if isinstance(op, str) else op)
        if compare is None:
            raise QueryError(
                f"unsupported filter operator {op!r}; use one of {', '.join(_TUPLE_OPS)}"
            )
        return compare(column, value)

    def order_by(self, *terms: str | Column | Ordering) -> Query[M]:
        """Sort by field names (``"-price"`` descends), columns or ``Bike.price.desc()``."""
        clone = self
        for term in terms:
            if isinstance(term, str):
                descending = term.startswith("-")
                term = Ordering(self._column(self._model, term.lstrip("-")), descending)
            elif isinstance(term, Column):
                term = term.asc()
            elif not isinstance(term, Ordering):
                raise QueryError(f"order_by() takes field names or columns, got {term!r}")
            clone._order.append(term)
        return clone

    def limit(self, n: int) -> Query[M]:
        """At most ``n`` results (0 to 2^31 - 1, what Polypheny takes)."""
        clone = self
        clone._limit = _page_size("limit", n)
        return clone

    def offset(self, n: int) -> Query[M]:
        """Skip the first ``n`` results (0 to 2^31 - 1, what Polypheny takes)."""
        clone = self
        clone._offset = _page_size("offset", n)
        return clone

    def distinct(self) -> Query[M]:
        """Drop duplicate results (useful after joining a one-to-many relationship)."""
        clone = self
        clone._distinct = True
        return clone

    def join(
        self, target: type[BaseModel] | RelationshipAttribute, on: Expr | None = None
    ) -> Query[M]:
        """Join another model so filters and ordering can use its fields.

        ``target`` is a model class (joined through the foreign key between the two) or a
        relationship attribute such as ``Bike.owner``; ``on`` gives the condition explicitly.
        Results are still models of the queried class.
        """
        clone = self
        if isinstance(target, RelationshipAttribute):
            target = target.target
        if not (isinstance(target, type) and issubclass(target, BaseModel)):
            raise QueryError(f"join() takes a model class or relationship, got {target!r}")
        if target is self._model or any(m is target for m, _ in self._joins):
            raise QueryError(f"{target.__name__} is already part of this query")
        aliases = clone._aliases()
        aliases[target] = f"t{len(aliases)}"
        if on is None:
            on = _infer_join(list(aliases), target)
        clone._joins.append((target, on.compile(aliases, clone._join_params)))
        return clone

    def options(self, *loads: _Load) -> Query[M]:
        """Loader options, e.g. ``joinedload(Bike.owner)``."""
        clone = self
        for load in loads:
            if not isinstance(load, _Load):
                raise QueryError(f"options() takes joinedload(...) options, got {load!r}")
            rel = load.relationship
            if rel.owner is None or not issubclass(self._model, rel.owner):
                raise QueryError(f"{rel} is not a relationship of {self._model.__name__}")
            clone._eager.append(rel)
        return clone

    # -- compiling -----------------------------------------------------------------------

    def _aliases(self) -> dict[type[BaseModel], str]:
        aliases: dict[type[BaseModel], str] = {self._model: "t0"}
        for index, (model, _) in enumerate(self._joins, start=1):
            aliases[model] = f"t{index}"
        return aliases

    def _source(self, params: list[Any]) -> tuple[str, list[str]]:
        """The FROM clause (with joins) and the WHERE conditions, params in order."""
        aliases = self._aliases()
        parts = [sql_select.table_as(schema_entity(self._model.__mapper__.schema), "t0")]
        for model, on in self._joins:
            parts.append(
                sql_select.inner_join(schema_entity(model.__mapper__.schema), aliases[model], on)
            )
        params.extend(self._join_params)
        where = [e.compile(aliases, params) for e in self._where]
        return " ".join(parts), where

    def _select(
        self,
        columns: str,
        params: list[Any],
        *,
        ordered: bool = True,
        paged: bool = True,
        limit: int | None = None,
    ) -> str:
        """The SELECT of ``columns``, with the query's limit and offset (``paged=False``:
        none, or ``limit`` instead); ``ordered=False`` leaves the ordering out (a count or an
        existence test does not need it)."""
        aliases = self._aliases()
        order = self._order if ordered else []
        page = (self._limit, self._offset) if paged else (limit, None)
        if self._distinct and any(o.column.model is not self._model for o in order):
            return self._distinct_ordered(columns, params, aliases, order, page)
        source, where = self._source(params)
        return sql_select.select(
            columns,
            source,
            where,
            distinct=self._distinct,
            order_by=[o.sql(aliases) for o in order],
            limit=page[0],
            offset=page[1],
        )

    def _distinct_ordered(
        self,
        columns: str,
        params: list[Any],
        aliases: dict[type[BaseModel], str],
        order: list[Ordering],
        page: tuple[int | None, int | None],
    ) -> str:
        """Distinct entries ordered by a joined model's field: Polypheny orders a DISTINCT
        query only by what it selects (Polypheny-DB's ``SqlValidatorImpl.java``,
        ``notSelectDistinctExpr``), so the entries are grouped in a derived table that ranks
        each by the smallest (ascending) or largest (descending) value of the joined field,
        and read back from their own entity in that order."""
        source, where = self._source(params)
        ranks: list[str] = []
        terms: list[str] = []
        for ordering in order:
            if ordering.column.model is self._model:
                terms.append(ordering.sql(aliases))
                continue
            name = f"o{len(ranks)}"
            function = "MAX" if ordering.descending else "MIN"
            ranks.append(f"{function}({ordering.column.sql(aliases)}) AS {quote(name)}")
            terms.append(f"{sql_select.column('q', name)} {ordering.direction}")
        key = sql_select.column("t0", ENTRY_ID)
        inner = sql_select.select(
            ", ".join([f"{key} AS {quote('k')}", *ranks]), source, where, group_by=[key]
        )
        table = schema_entity(self._model.__mapper__.schema)
        return sql_select.select(
            columns,
            sql_select.joined_to_keys(table, ENTRY_ID, inner),
            order_by=terms,
            limit=page[0],
            offset=page[1],
        )

    def _columns_sql(self) -> str:
        cache = self._model.__mapper__.statement_cache
        text = cache.get(_COLUMNS)
        if text is None:  # the same for every query of the model: built once
            text = cache[_COLUMNS] = ", ".join(
                sql_select.column("t0", a.field.db_field_name)
                for a in self._model.__mapper__.columns
            )
        return text

    def statement(self) -> tuple[str, list[Any]]:
        """The SQL and parameters ``all()`` would run (for logging and tests)."""
        params: list[Any] = []
        return self._select(self._columns_sql(), params), params

    # -- running -------------------------------------------------------------------------

    def _run(self, text: str, params: list[Any]) -> list[tuple[Any, ...]]:
        session = self._session
        if session.unit_of_work.has_pending():
            session.flush()  # queries see the session's own pending changes
        return session.fetch_rows(text, params)

    def all(self) -> list[M]:
        """Every matching model."""
        text, params = self.statement()
        rows = self._run(text, params)
        models = self._session.unit_of_work.models_for_rows(self._model, rows)
        for rel in self._eager:
            _eager_load(self._session, rel, models)
        return models

    def __iter__(self) -> Iterator[M]:
        return iter(self.all())

    def first(self) -> M | None:
        """The first matching model, or None (the query itself is left as it is)."""
        results = self._copy().limit(1).all()
        return results[0] if results else None

    def get(self, entry_id: str) -> M | None:
        """The model with this ``_entry_id``, or None (ignores filters, uses the identity map)."""
        return get_by_id(self._model, self._session, entry_id, self._eager)

    def load_by(self, name: str, value: Any) -> list[M]:
        """The models whose field ``name`` equals ``value`` (not None), ignoring this query's
        filters: the short path a relationship's lazy load takes, its statement built once
        per model and field."""
        mapper = self._model.__mapper__
        column = self._column(self._model, name)
        key = ("load_by", name, mapper.schema.namespace())
        text = mapper.statement_cache.get(key)
        if text is None:
            text = mapper.statement_cache[key] = (
                Query(self._model, self._session).filter(column == value).statement()[0]
            )
        rows = self._run(text, [column.bind(value)])
        return self._session.unit_of_work.models_for_rows(self._model, rows)

    def load_in(self, name: str, values: Sequence[Any]) -> list[M]:
        """The models whose field ``name`` holds one of ``values``, ignoring this query's
        filters: the short path of an eager load. The values are ones models hold (keys of
        the parents), so they are converted for the store but not validated again; each
        statement is built once per model, field and size, the sizes rounded up to a power
        of two by repeating the last value (an ``IN`` list means the same)."""
        mapper = self._model.__mapper__
        column = self._column(self._model, name)
        to_db = column.field.polytype.to_db
        cache = mapper.statement_cache
        models: list[M] = []
        for start in range(0, len(values), _IN_CHUNK):
            chunk = list(values[start : start + _IN_CHUNK])
            size = min(_IN_CHUNK, 1 << (len(chunk) - 1).bit_length())
            chunk += chunk[-1:] * (size - len(chunk))
            key = ("load_in", name, size, mapper.schema.namespace())
            text = cache.get(key)
            if text is None:
                query = Query(self._model, self._session).filter(column.in_(chunk))
                text = cache[key] = query.statement()[0]
            rows = self._run(text, [to_db(v) for v in chunk])
            models += self._session.unit_of_work.models_for_rows(self._model, rows)
        return models

    def count(self) -> int:
        """How many entries match, whatever ``limit`` and ``offset`` say (as in PolyNOM 0.3:
        the total a pager shows); ``len(query.all())`` counts one page."""
        params: list[Any] = []
        if self._distinct:
            text = sql_select.count_of(
                self._select(self._columns_sql(), params, ordered=False, paged=False)
            )
        else:
            text = sql_select.count(*self._source(params))
        return int(self._run(text, params)[0][0])

    def exists(self) -> bool:
        """True when at least one entry matches."""
        params: list[Any] = []
        text = self._select(
            sql_select.column("t0", ENTRY_ID), params, ordered=False, paged=False, limit=1
        )
        return bool(self._run(text, params))

    def delete(self) -> int:
        """Delete every matching entry through the session (cascades and changelog apply)."""
        models = self.all()
        self._session.delete_all(models)
        return len(models)

    def update(self, values: dict[str, Any]) -> int:
        """Set fields on every matching entry through the session; returns how many."""
        mapper = self._model.__mapper__
        for name in values:
            if name not in mapper.attributes:
                known = ", ".join(mapper.field_names())
                raise UnknownFieldError(
                    f"{self._model.__name__} has no field {name!r} to update (fields: {known})"
                )
        models = self.all()
        for model in models:
            for name, value in values.items():
                setattr(model, name, value)
        return len(models)


def get_by_id(
    model: type[M],
    session: QuerySession,
    entry_id: str,
    eager: Sequence[RelationshipAttribute] = (),
) -> M | None:
    """:meth:`Query.get` without building a ``Query`` (``ModelService.get`` calls it)."""
    if not isinstance(entry_id, str):
        raise ValidationError(
            f"{model.__name__}: an entry id is a string, got {entry_id!r}",
            model=model.__name__,
            field=ENTRY_ID,
            value=entry_id,
        )
    mapper = model.__mapper__
    uow = session.unit_of_work
    known = uow.identity_map.get(model, entry_id)
    if known is not None:
        state = known.__polynom_state__
        return None if state is not None and state.status is DELETED else known  # type: ignore[return-value]
    key = ("get", mapper.schema.namespace())
    text = mapper.statement_cache.get(key)
    if text is None:  # the same statement for every get of this model: build it once
        query = Query(model, session).filter(mapper.attributes[ENTRY_ID].column == entry_id)
        text = mapper.statement_cache[key] = query.statement()[0]
    if uow.new or uow.dirty or uow.deleted or uow.watched:  # has_pending(), inlined
        session.flush()
    rows = session.fetch_rows(text, [entry_id])
    if not rows:
        return None
    # the entry is not in the identity map (looked up above; a flush adds nothing to it)
    obj = uow.model_for_row(model, rows[0])
    if eager:
        for rel in eager:
            _eager_load(session, rel, [obj])
    return obj


#: PolyNOM 0.3.2's filter-tuple operators, as our expressions.
_TUPLE_OPS: dict[str, Any] = {
    "=": Column.__eq__,
    "==": Column.__eq__,
    "!=": Column.__ne__,
    "<>": Column.__ne__,
    "<": Column.__lt__,
    "<=": Column.__le__,
    ">": Column.__gt__,
    ">=": Column.__ge__,
    "LIKE": Column.like,
}


def _page_size(what: str, n: int) -> int:
    """``n`` if it is a LIMIT or OFFSET every store takes: Polypheny reads them as a Java
    int (Polypheny-DB's ``core/.../rex/RexLiteral.java``, ``intValue``), SQLite as a 64-bit
    one."""
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= sql_select.MAX_PAGE:
        raise QueryError(
            f"{what}() takes a whole number from 0 to {sql_select.MAX_PAGE}, got {n!r}"
        )
    return n


def _infer_join(present: list[type[BaseModel]], target: type[BaseModel]) -> Expr:
    """The foreign-key condition between ``target`` and a model already in the query."""
    found: list[Expr] = []
    for model in present:
        if model is target:
            continue
        for fk in model.__mapper__.schema.foreign_keys():
            if fk.referenced_schema is target.__mapper__.schema:
                found.append(
                    model.__mapper__.attributes[fk.python_field_name].column
                    == _ref_column(target, fk.referenced_db_field_name)
                )
        for fk in target.__mapper__.schema.foreign_keys():
            if fk.referenced_schema is model.__mapper__.schema:
                found.append(
                    target.__mapper__.attributes[fk.python_field_name].column
                    == _ref_column(model, fk.referenced_db_field_name)
                )
    if len(found) != 1:
        names = ", ".join(m.__name__ for m in present)
        why = "no foreign key links" if not found else "several foreign keys link"
        raise QueryError(f"{why} {target.__name__} with {names}; pass on=...")
    return found[0]


def _ref_column(model: type[BaseModel], db_name: str) -> Column:
    field = model.__mapper__.schema.field_by_db_name(db_name)
    assert field is not None
    return model.__mapper__.attributes[field.python_field_name].column


def _eager_load(
    session: QuerySession, rel: RelationshipAttribute, parents: Sequence[BaseModel]
) -> None:
    if not parents:
        return
    target = rel.target
    fk = rel.foreign_key
    if rel.scalar:
        ids = sorted({p.__dict__[fk.python_field_name] for p in parents} - {None})
        name = _ref_column(target, fk.referenced_db_field_name).name
        by_id = {model.__dict__[name]: model for model in Query(target, session).load_in(name, ids)}
        for parent in parents:
            rel.set_loaded(parent, by_id.get(parent.__dict__.get(fk.python_field_name)))
        return
    ref = model_for_schema(fk.referenced_schema)
    assert ref is not None
    ref_name = ref.__mapper__.schema.field_by_db_name(fk.referenced_db_field_name)
    assert ref_name is not None
    key_name, fk_name = ref_name.python_field_name, fk.python_field_name
    keys = sorted({p.__dict__[key_name] for p in parents} - {None})
    children: dict[Any, list[BaseModel]] = defaultdict(list)
    for child in Query(target, session).load_in(fk_name, keys):
        children[child.__dict__.get(fk_name)].append(child)
    set_loaded = rel.set_loaded
    for parent in parents:
        set_loaded(parent, children.get(parent.__dict__.get(key_name), []))
