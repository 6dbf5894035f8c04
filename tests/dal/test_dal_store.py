"""The DAL through real contexts, on every store kind (memory, file, the Prism stand-in)."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from polynom.application import Application
from polynom.errors import (
    ConflictError,
    NotFound,
    QueryError,
    SessionError,
    UniqueViolation,
    ValidationError,
)
from polynom.resources import ConnectionResource
from polynom.session import Session

from .conftest import checked_out
from .models import DalBike


class Boom(Exception):
    pass


def seed(dm: Any, *prices: int, user: str = "seeder") -> list[str]:
    with dm.context(meta={"user": user}) as ctx:
        return [
            ctx.dal.bikes.create(name=f"bike{i}", brand="Moots", price=p)._entry_id
            for i, p in enumerate(prices)
        ]


# -- CRUD and conventions ------------------------------------------------------------------


def test_create_commits_when_the_context_exits(dm: Any, app: Application) -> None:
    with dm.context(meta={"user": "alice"}) as ctx:
        bike = ctx.dal.bikes.create(name="Vamoots", brand="Moots", price=4200)
        assert isinstance(bike, DalBike)
        assert ctx.dal.bikes.get(bike._entry_id) is bike, "identity map within a context"
    with Session(app) as session:
        stored = DalBike.query(session).get(bike._entry_id)
        assert stored is not None and stored.name == "Vamoots" and stored.price == 4200


def test_get_returns_none_and_get_or_raise_names_model_and_id(dm: Any) -> None:
    with dm.context() as ctx:
        assert ctx.dal.bikes.get("no-such-id") is None
        with pytest.raises(NotFound, match=r"DalBike .*'no-such-id'"):
            ctx.dal.bikes.get_or_raise("no-such-id")


def test_update_and_delete(dm: Any) -> None:
    (bike_id,) = seed(dm, 100)
    with dm.context(meta={"user": "bob"}) as ctx:
        bike = ctx.dal.bikes.update(bike_id, price=150, brand="Moots Cycles")
        assert (bike.price, bike.brand) == (150, "Moots Cycles")
    with dm.context() as ctx:
        assert ctx.dal.bikes.get(bike_id).price == 150
        ctx.dal.bikes.delete(bike_id)
    with dm.context() as ctx:
        assert ctx.dal.bikes.get(bike_id) is None


def test_update_and_delete_of_missing_entry_raise_not_found(dm: Any) -> None:
    with pytest.raises(NotFound, match="DalBike"), dm.context() as ctx:
        ctx.dal.bikes.update("missing", price=1)
    with pytest.raises(NotFound, match="'missing'"), dm.context() as ctx:
        ctx.dal.bikes.delete("missing")


def test_update_refuses_unknown_fields_before_changing_anything(dm: Any) -> None:
    (bike_id,) = seed(dm, 100)
    with pytest.raises(ValidationError) as caught, dm.context() as ctx:
        ctx.dal.bikes.update(bike_id, price=1, colour="red")
    assert (caught.value.model, caught.value.field) == ("DalBike", "colour")
    with dm.context() as ctx:
        assert ctx.dal.bikes.get(bike_id).price == 100


def test_create_with_bad_input_raises_validation_error(dm: Any) -> None:
    with pytest.raises(ValidationError, match="name"), dm.context() as ctx:
        ctx.dal.bikes.create(name="x" * 41)
    with dm.context() as ctx:
        assert ctx.dal.bikes.count() == 0


def test_constraint_violation_surfaces_at_create_and_rolls_everything_back(dm: Any) -> None:
    seed(dm, 100)
    with dm.context() as ctx:
        ctx.dal.bikes.create(name="other", price=1)
        with pytest.raises(UniqueViolation):
            ctx.dal.bikes.create(name="bike0", price=2)  # duplicate name: raised at the call
        # the failed flush ended the session: nothing of this context is committed
        assert not ctx.session.is_active
    with dm.context() as ctx:
        assert [b.name for b in ctx.dal.bikes.list()] == ["bike0"]


def test_count_list_and_page(dm: Any) -> None:
    seed(dm, 500, 100, 300, 200, 400)
    bikes = dm.get_dal()
    with dm.context():
        assert bikes.bikes.count() == 5
        assert bikes.bikes.count(DalBike.price > 250) == 3
        assert bikes.bikes.count(brand="Moots") == 5
        assert bikes.bikes.exists(name="bike1")
        assert not bikes.bikes.exists(DalBike.price > 10_000)

        prices = [b.price for b in bikes.bikes.list(order_by="price")]
        assert prices == [100, 200, 300, 400, 500]
        desc = bikes.bikes.list(order_by="-price", limit=2)
        assert [b.price for b in desc] == [500, 400]
        expr = bikes.bikes.list(DalBike.price >= 200, order_by=DalBike.price.desc(), offset=1)
        assert [b.price for b in expr] == [400, 300, 200]
        both = bikes.bikes.list(filters={"brand": "Moots"}, order_by=["brand", "-price"])
        assert [b.price for b in both] == [500, 400, 300, 200, 100]

        page = bikes.bikes.page(order_by="price", limit=2, offset=2)
        assert [b.price for b in page.items] == [300, 400]
        assert (page.total, page.has_next) == (5, True)
        last = bikes.bikes.page(order_by="price", limit=2, offset=4)
        assert ([b.price for b in last.items], last.total, last.has_next) == ([500], 5, False)
        beyond = bikes.bikes.page(order_by="price", limit=2, offset=10)
        assert (beyond.items, beyond.total) == ([], 5)
        filtered = bikes.bikes.page(DalBike.price > 100, limit=2)
        assert (len(filtered.items), filtered.total) == (2, 4)

        with pytest.raises(QueryError, match="colour"):
            bikes.bikes.list(filters={"colour": "red"})
        with pytest.raises(QueryError, match="limit"):
            bikes.bikes.list(limit=-1)


def test_history_records_who_changed_what(dm: Any) -> None:
    (bike_id,) = seed(dm, 100, user="alice")
    with dm.context(meta={"user": "bob"}) as ctx:
        ctx.dal.bikes.update(bike_id, price=120)
    with dm.context() as ctx:
        ctx.dal.bikes.delete(bike_id)
    with dm.context() as ctx:
        records = ctx.dal.bikes.history(bike_id)
        assert [r.user for r in records] == ["alice", "bob", "system"]
        assert records[1].changes["price"] == (100, 120)
        assert ctx.dal.bikes.history("never-existed") == []


def test_system_user_none_writes_no_changelog_for_anonymous_contexts(app: Application) -> None:
    from polynom.dal import create_data_manager

    from .services import BikeService

    dm = create_data_manager(app, services={"bikes": BikeService()}, system_user=None)
    with dm.context() as ctx:
        bike_id = ctx.dal.bikes.create(name="anon")._entry_id
    with dm.context(meta={"user": "eve"}) as ctx:
        ctx.dal.bikes.update(bike_id, price=3)
    with dm.context() as ctx:
        assert [r.user for r in ctx.dal.bikes.history(bike_id)] == ["eve"]


# -- services: subclasses, nesting, dotted paths -------------------------------------------


def test_business_methods_nested_services_and_dotted_paths(dm: Any) -> None:
    seed(dm, 100, 300)
    with dm.context(meta={"user": "carol"}) as ctx:
        dal = ctx.dal
        assert [b.price for b in dal.bikes.cheaper_than(200)] == [100]
        assert dal.bikes.stats.average_price() == 200
        assert dal["bikes.stats.average_price"]() == 200
        assert dal["dal.bikes.whoami"]() == "carol"
        first = dal["bikes.list"](order_by="price")[0]
        assert dal["bikes.get"](first._entry_id) is first
        dal.bikes.rename(first._entry_id, "renamed")  # plain attribute write, tracked
        assert dal.bikes.session is ctx.session
    with dm.context() as ctx:
        assert ctx.dal.bikes.exists(name="renamed")


def test_service_outside_a_context_raises_a_clear_error(dm: Any) -> None:
    service = dm.get_dal()._services["bikes"]
    with pytest.raises(SessionError, match="outside a data access context"):
        service.get("x")
    assert not hasattr(service, "nonexistent")


def test_model_service_needs_a_model() -> None:
    from polynom.services import ModelService

    with pytest.raises(TypeError, match="needs a model"):
        ModelService()


# -- the transaction: commit, rollback, nothing half-written visible ------------------------


def test_exception_in_service_rolls_back_and_reaches_caller_unchanged(
    dm: Any, app: Application
) -> None:
    error = Boom("in a service")

    def explode() -> None:
        raise error

    with pytest.raises(Boom) as caught, dm.context(meta={"user": "dave"}) as ctx:
        ctx.dal.bikes.create(name="never", price=1)  # flushed, not committed
        explode()
    assert caught.value is error
    assert checked_out(app) == 0
    with dm.context() as ctx:
        assert ctx.dal.bikes.count() == 0
        assert ctx.dal.bikes.count() == 0


def test_flushed_writes_are_invisible_to_other_contexts_until_commit(
    dm: Any, app: Application
) -> None:
    """Another context never sees a flushed, uncommitted write: on the embedded store it
    reads the last committed state; on Polypheny it waits for the writer's entity lock
    (strict two-phase locking, dbms/.../transaction/locking/LockableImpl.java) and reads
    the write once it is committed."""
    seen_during: list[Any] = []
    committed = threading.Event()

    def look(entry_id: str) -> None:
        with dm.context() as other:
            found = other.dal.bikes.get(entry_id)
            seen_during.append((committed.is_set(), found))

    with dm.context() as ctx:
        bike = ctx.dal.bikes.create(name="pending", price=1)
        reader = threading.Thread(target=look, args=(bike._entry_id,))
        reader.start()
        reader.join(0.5)
        assert checked_out(app) >= 1
        committed.set()  # the commit happens as the context exits, next
    reader.join(10)
    ((after_commit, found),) = seen_during
    if found is not None:  # only once committed, and only where reads wait for it
        assert after_commit and app.store.capabilities.reads_lock and found.name == "pending"
    look(bike._entry_id)
    assert seen_during[1][1] is not None and seen_during[1][1].name == "pending"


def test_concurrent_update_is_a_conflict_not_a_lost_update(dm: Any, app: Application) -> None:
    (bike_id,) = seed(dm, 100)

    def other_request() -> None:
        with dm.context(meta={"user": "other"}) as other:
            other.dal.bikes.update(bike_id, price=200)

    # On Polypheny the other request waits for this context's read lock, and this update
    # then closes a deadlock and is aborted; on the embedded store the other request goes
    # first and this update finds the price changed. A ConflictError either way.
    with pytest.raises(ConflictError), dm.context(meta={"user": "slow"}) as ctx:
        bike = ctx.dal.bikes.get(bike_id)
        assert bike.price == 100
        writer = threading.Thread(target=other_request)
        writer.start()
        writer.join(0.5)
        ctx.dal.bikes.update(bike_id, price=150)
    writer.join(10)
    assert checked_out(app) == 0
    with dm.context() as ctx:
        assert ctx.dal.bikes.get(bike_id).price == 200
        assert [r.user for r in ctx.dal.bikes.history(bike_id)] == ["seeder", "other"]


def test_exception_in_middleware_rolls_back(app: Application) -> None:
    from polynom.dal import create_data_manager

    from .services import BikeService

    def audit(ctx: Any) -> Iterator[None]:
        yield
        if ctx.meta.get("fail_audit"):
            raise Boom("audit middleware")

    dm = create_data_manager(app, services={"bikes": BikeService()}, middleware=(audit,))
    with pytest.raises(Boom, match="audit"), dm.context(meta={"fail_audit": True}) as ctx:
        ctx.dal.bikes.create(name="audited", price=1)
    assert checked_out(app) == 0
    with dm.context() as ctx:
        assert ctx.dal.bikes.count() == 0


def test_exception_in_resource_rolls_back(dm: Any, app: Application) -> None:
    def search_index(ctx: Any) -> Iterator[None]:
        raise Boom("search index down")
        yield  # pragma: no cover

    dm.register_resources(search_index=search_index)
    with pytest.raises(Boom, match="index down"), dm.context() as ctx:
        ctx.dal.bikes.create(name="unindexed", price=1)
        ctx.search_index  # noqa: B018
    assert checked_out(app) == 0
    with dm.context() as ctx:
        assert ctx.dal.bikes.count() == 0


def test_context_that_touches_no_data_opens_no_connection(dm: Any, app: Application) -> None:
    pool = app.store.pool
    before = pool.size
    with dm.context(meta={"user": "idle"}) as ctx:
        assert ctx.dal.bikes.whoami() == "idle"
        assert "session" not in ctx and "connection" not in ctx
        assert checked_out(app) == 0
    assert pool.size == before


def test_one_connection_per_context_whichever_is_touched_first(dm: Any, app: Application) -> None:
    (bike_id,) = seed(dm, 1)
    with dm.context() as ctx:
        session = ctx.session
        assert checked_out(app) == 1
        assert ctx.connection is session.connection
        assert checked_out(app) == 1
        ctx.dal.bikes.update(bike_id, price=2)
    assert checked_out(app) == 0
    with dm.context() as ctx:
        conn = ctx.connection
        assert ctx.session.connection is conn and checked_out(app) == 1
        assert ctx.dal.bikes.get_or_raise(bike_id).price == 2


def test_leak_check_many_contexts_a_tenth_raising(dm: Any, app: Application) -> None:
    (bike_id,) = seed(dm, 1)
    for i in range(500):
        if i % 10 == 0:
            with pytest.raises(Boom), dm.context() as ctx:
                ctx.dal.bikes.get(bike_id)
                raise Boom
        else:
            with dm.context() as ctx:
                assert ctx.dal.bikes.get(bike_id) is not None
    assert checked_out(app) == 0


# -- isolation on a real store ----------------------------------------------------------------


def test_threads_each_get_their_own_session_and_connection(dm: Any, app: Application) -> None:
    seed(dm, 10)
    errors: list[BaseException] = []
    sessions: list[Any] = []
    lock = threading.Lock()
    barrier = threading.Barrier(4)

    def work(n: int) -> None:
        try:
            for i in range(10):
                with dm.context(meta={"user": f"t{n}"}) as ctx:
                    if i == 0:
                        barrier.wait()
                    assert ctx.dal.bikes.whoami() == f"t{n}"
                    assert ctx.dal.bikes.count() >= 1
                    assert ctx.session.log_user == f"t{n}"
                    with lock:
                        sessions.append(ctx.session)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len({id(s) for s in sessions}) == 40
    assert checked_out(app) == 0


def test_asyncio_tasks_each_get_their_own_session(dm: Any, app: Application) -> None:
    (bike_id,) = seed(dm, 10)

    async def request(n: int) -> Any:
        with dm.context(meta={"user": f"task{n}"}) as ctx:
            session = ctx.session
            for _ in range(3):
                await asyncio.sleep(0)
                assert dm.get_active_context() is ctx
                assert ctx.dal.bikes.whoami() == f"task{n}"
                assert ctx.dal.bikes.session is session
                assert ctx.dal.bikes.get(bike_id) is not None
            return session

    async def main() -> list[Any]:
        return await asyncio.gather(*(request(n) for n in range(4)))

    sessions = asyncio.run(main())
    assert len({id(s) for s in sessions}) == 4
    assert checked_out(app) == 0


def test_nested_context_commits_on_its_own(dm: Any) -> None:
    with dm.context(meta={"user": "outer"}) as outer:
        assert outer.dal.bikes.whoami() == "outer"
        with dm.context(meta={"user": "inner"}) as inner:
            assert inner.session is not outer.session
            assert inner.dal.bikes.whoami() == "inner"
            bike_id = inner.dal.bikes.create(name="inner-bike")._entry_id
        assert dm.get_active_context() is outer
        assert outer.dal.bikes.whoami() == "outer"
        assert outer.dal.bikes.count() == 1  # committed by the inner context
    with dm.context() as ctx:
        assert [r.user for r in ctx.dal.bikes.history(bike_id)] == ["inner"]


def _nested_waits_on_polypheny(app: Application) -> None:
    if app.store.capabilities.reads_lock:
        pytest.skip(
            "on Polypheny a nested context that touches what its outer context locked waits "
            "for the outer one, which waits for it: strict two-phase locking "
            "(docs/dal.md, 'Nested contexts')"
        )


def test_nested_context_does_not_see_outer_uncommitted_writes(dm: Any, app: Application) -> None:
    _nested_waits_on_polypheny(app)
    with dm.context() as outer:
        bike_id = outer.dal.bikes.create(name="outer-bike")._entry_id
        with dm.context() as inner:
            assert inner.dal.bikes.get(bike_id) is None
        assert outer.dal.bikes.get(bike_id) is not None
    with dm.context() as ctx:
        assert ctx.dal.bikes.get(bike_id) is not None


def test_nested_context_cannot_write_while_outer_holds_the_sqlite_write_lock(
    dm: Any, app: Application
) -> None:
    # SQLite has one writer at a time: the inner context's write fails with a ConflictError
    # instead of waiting for the outer one.
    _nested_waits_on_polypheny(app)
    with dm.context() as outer:
        outer.dal.bikes.create(name="outer-bike")
        with pytest.raises(ConflictError), dm.context() as inner:
            inner.dal.bikes.create(name="inner-bike")
        assert outer.session.is_active, "the outer context's session is untouched"
        assert checked_out(app) == 1
    with dm.context() as ctx:
        assert [b.name for b in ctx.dal.bikes.list()] == ["outer-bike"]


# -- testing with fakes ------------------------------------------------------------------------


def test_replace_resource_moves_the_dal_to_an_in_memory_store(dm: Any, app: Application) -> None:
    seed(dm, 100)
    with Application(str(uuid.uuid4()), "sqlite://") as memory:
        dm.replace_resource("connection", ConnectionResource(memory))
        with dm.context() as ctx:
            assert ctx.dal.bikes.count() == 0
            ctx.dal.bikes.create(name="in memory")
        with dm.context() as ctx:
            assert ctx.dal.bikes.count() == 1
        assert checked_out(memory) == 0
    dm.replace_resource("connection", ConnectionResource(app))
    with dm.context() as ctx:
        assert [b.name for b in ctx.dal.bikes.list()] == ["bike0"]


def test_replace_service_with_a_fake_needs_no_store(dm: Any, app: Application) -> None:
    class FakeBikes:
        def setup(self, data_manager: Any) -> None:
            pass

        def get(self, entry_id: str) -> DalBike | None:
            return DalBike(_entry_id=entry_id, name="fake") if entry_id == "b1" else None

    def handler(bike_id: str) -> str:
        with dm.context(meta={"user": "web"}) as ctx:
            bike = ctx.dal.bikes.get(bike_id)
            return bike.name if bike is not None else "404"

    dm.replace_service("bikes", FakeBikes())
    before = app.store.pool.size
    assert (handler("b1"), handler("b2")) == ("fake", "404")
    assert app.store.pool.size == before
