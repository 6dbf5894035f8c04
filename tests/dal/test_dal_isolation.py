"""Contexts in different threads and asyncio tasks never share a session or meta; nested
contexts follow polydatum (an independent inner context)."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from polydatum import DataManager, Service

from polynom.dal import create_data_manager
from polynom.middleware import ChangelogMiddleware, TransactionMiddleware
from polynom.resources import ConnectionResource, SessionResource

from ._fakes import FakeApp, FakeSession


class WhoAmI(Service):
    def user(self) -> Any:
        return self._ctx.meta.user

    def session(self) -> Any:
        return self._ctx.session


def make_dm(app: FakeApp) -> Any:
    dm = DataManager()
    dm.register_resources(
        connection=ConnectionResource(app),
        session=SessionResource(session_class=FakeSession),
    )
    dm.register_context_middleware(TransactionMiddleware(), ChangelogMiddleware())
    dm.register_services(who=WhoAmI())
    return dm


def test_threads_never_see_each_others_context() -> None:
    app = FakeApp()
    dm = make_dm(app)
    n_threads, rounds = 8, 50
    barrier = threading.Barrier(n_threads)
    seen: dict[str, list[Any]] = {}
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            mine: list[Any] = []
            for i in range(rounds):
                with dm.context(meta={"user": name}) as ctx:
                    if i == 0:
                        barrier.wait()  # all threads are inside a context at once
                    session = ctx.dal.who.session()
                    assert dm.get_active_context() is ctx
                    assert ctx.dal.who.user() == name
                    assert session.log_user == name
                    assert session is ctx.session
                    mine.append(session)
            seen[name] = mine
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(f"user{i}",)) for i in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    sessions = [s for mine in seen.values() for s in mine]
    assert len({id(s) for s in sessions}) == n_threads * rounds
    assert app.store.checked_out == 0
    assert dm.get_active_context() is None


def test_asyncio_tasks_never_see_each_others_context() -> None:
    app = FakeApp()
    dm = make_dm(app)

    async def request(name: str) -> tuple[Any, Any]:
        with dm.context(meta={"user": name}) as ctx:
            first = ctx.session
            for _ in range(5):
                await asyncio.sleep(0)  # let the other tasks run inside their contexts
                assert dm.get_active_context() is ctx
                assert ctx.dal.who.user() == name
                assert ctx.dal.who.session() is first
            return ctx, first

    async def main() -> list[tuple[Any, Any]]:
        return await asyncio.gather(*(request(f"user{i}") for i in range(20)))

    results = asyncio.run(main())
    assert len({id(ctx) for ctx, _ in results}) == 20
    assert len({id(s) for _, s in results}) == 20
    assert [s.log_user for _, s in results] == [f"user{i}" for i in range(20)]
    assert app.store.checked_out == 0


def test_nested_context_is_independent_as_in_polydatum() -> None:
    """Polydatum pushes a nested ``dm.context()`` on the stack as a context of its own:
    own meta (nothing inherited), own resources -- so its own connection and session --
    and its own middleware run, committing when *it* exits. The outer one is active again
    afterwards, with its session untouched."""
    app = FakeApp()
    dm = make_dm(app)
    with dm.context(meta={"user": "outer"}) as outer:
        outer_session = outer.session
        with dm.context(meta={"role": "job"}) as inner:
            assert dm.get_active_context() is inner
            assert inner.dal.who.user() is None, "meta is not inherited"
            inner_session = inner.dal.who.session()
            assert inner_session is not outer_session
            assert inner_session.connection is not outer_session.connection
            assert inner_session.log_user == "system"
        assert inner_session.get_session_state().name == "COMPLETED"
        assert dm.get_active_context() is outer
        assert outer.dal.who.session() is outer_session
        assert outer_session.get_session_state().name == "ACTIVE"
        assert app.store.checked_out == 1
    assert app.store.events == [
        "acquire1",
        "session.enter",
        "acquire2",
        "session.enter",
        "session.commit",
        "session.exit",
        "release2",
        "session.commit",
        "session.exit",
        "release1",
    ]


def test_nested_context_failure_leaves_outer_context_working() -> None:
    app = FakeApp()
    dm = make_dm(app)
    with dm.context(meta={"user": "outer"}) as outer:
        outer.session  # noqa: B018
        with pytest.raises(KeyError), dm.context() as inner:
            inner.session  # noqa: B018
            raise KeyError("inner")
        assert outer.session.get_session_state().name == "ACTIVE"
    assert app.store.events.count("session.rollback") == 1
    assert app.store.events.count("session.commit") == 1
    assert app.store.checked_out == 0


def test_each_created_data_manager_has_its_own_context_stack() -> None:
    # Plain polydatum shares one context stack between all DataManagers; a manager from
    # create_data_manager gets its own, so another manager's context never shadows it.
    dm1 = create_data_manager(FakeApp())
    dm2 = create_data_manager(FakeApp())
    with dm1.context(meta={"user": "a"}) as c1, dm2.context(meta={"user": "b"}) as c2:
        assert dm1.get_active_context() is c1
        assert dm2.get_active_context() is c2
    assert dm1.get_active_context() is None and dm2.get_active_context() is None

    shared1, shared2 = (
        create_data_manager(FakeApp(), own_context_stack=False),
        create_data_manager(FakeApp(), own_context_stack=False),
    )
    with shared1.context() as c1, shared2.context():
        assert shared1.get_active_context() is not c1  # polydatum's shared stack
