"""The ``DataManager`` that ``create_data_manager`` builds: polydatum's, with less work per
context -- services found without a failed lookup, resources by one dict lookup,
generators ended without an exception, a tuple-based context stack. These pin down that it
still behaves exactly as polydatum's does.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from polydatum import DataManager, Service
from polydatum.errors import AlreadyExistsException

from polynom.dal import create_data_manager

from ._fakes import Boom, FakeApp, FakeSession


class Echo(Service):
    """A plain polydatum service: it reaches the context through polydatum's ``_ctx``."""

    def __init__(self, tag: str) -> None:
        super().__init__()
        self.tag = tag

    def user(self) -> Any:
        return self._ctx.meta.user


def fake_dm(**services: Any) -> Any:
    dm = create_data_manager(FakeApp(), services=services)
    dm.get_resource("session").session_class = FakeSession
    return dm


def test_services_are_found_per_manager_and_replaced() -> None:
    a, b = Echo("a"), Echo("b")
    dm1, dm2 = fake_dm(echo=a), fake_dm(echo=b, other=Echo("o"))
    with dm1.context(meta={"user": "ann"}) as c1, dm2.context() as c2:
        assert c1.dal.echo is a and c2.dal.echo is b
        assert c1.dal.echo.user() == "ann" and c2.dal.echo.user() is None
        assert c1.dal["echo.user"]() == "ann"
        with pytest.raises(KeyError):  # polydatum's error for a name it does not know
            c1.dal.other  # noqa: B018
    replacement = Echo("c")
    dm1.replace_service("echo", replacement)
    with dm1.context() as ctx:
        assert ctx.dal.echo is replacement
    with pytest.raises(AlreadyExistsException):
        dm1.register_services(echo=Echo("d"))


def test_the_dal_outside_a_context_fails_as_polydatum_s_does() -> None:
    dm = fake_dm(echo=Echo("a"))
    plain = DataManager()
    plain.register_services(echo=Echo("p"))
    for manager in (dm, plain):
        if __debug__:
            with pytest.raises(AssertionError, match="must be started"):
                manager.get_dal().echo  # noqa: B018
        with pytest.raises(KeyError), manager.context() as ctx:
            ctx.dal.missing  # noqa: B018


def test_a_service_named_like_a_dal_method_does_not_shadow_it() -> None:
    dm = fake_dm(register_services=Echo("x"))
    with dm.context() as ctx:
        assert callable(ctx.dal.register_services)
        assert ctx.dal["register_services"].tag == "x"


def test_get_resource_follows_register_and_replace() -> None:
    dm = fake_dm()

    def value(ctx: Any) -> Iterator[int]:
        yield 1

    def other(ctx: Any) -> Iterator[int]:
        yield 2

    assert dm.get_resource("nothing") is None
    dm.register_resources(value=value)
    with pytest.raises(AlreadyExistsException):
        dm.register_resources(value=other)
    with dm.context() as ctx:
        assert ctx.value == 1
    dm.replace_resource("value", other)
    assert dm.get_resource("value") is other
    with dm.context() as ctx:
        assert ctx.value == 2


def test_generators_end_as_in_polydatum() -> None:
    """Finished normally, raising, suppressing, yielding twice: the outcomes polydatum's
    ``_exit`` gives, on both managers."""
    seen: list[str] = []

    def twice(ctx: Any) -> Iterator[None]:
        yield
        yield

    def fails(ctx: Any) -> Iterator[None]:
        yield
        raise Boom("teardown")

    def suppresses(ctx: Any) -> Iterator[None]:
        try:
            yield
        except Boom:
            seen.append("suppressed")

    def returns(ctx: Any) -> Iterator[None]:
        yield
        seen.append("ended")
        return  # a generator's return value is ignored, as in polydatum

    for make in (fake_dm, lambda: DataManager()):
        for middleware, error in ((twice, RuntimeError), (fails, Boom)):
            dm = make()
            dm.register_context_middleware(middleware)
            with pytest.raises(error), dm.context():
                pass
            assert dm.get_active_context() is None
        dm = make()
        dm.register_context_middleware(returns, suppresses)
        # the middleware suppresses it, so ``returns`` ends normally; polydatum's __exit__
        # returns nothing, so the ``with`` statement raises it all the same
        with pytest.raises(Boom), dm.context():
            raise Boom("in the context")
        assert seen[-2:] == ["suppressed", "ended"]


def test_the_context_stack_nests_per_thread_and_task() -> None:
    dm = fake_dm()
    with dm.context() as outer:
        with dm.context() as inner:
            assert dm.get_active_context() is inner and dm.ctx_stack.top is inner
        assert dm.get_active_context() is outer
        assert dm.ctx_stack().meta is outer.meta  # polydatum's proxy to the top context
        seen: list[Any] = []
        worker = threading.Thread(target=lambda: seen.append(dm.get_active_context()))
        worker.start()
        worker.join()
        assert seen == [None]

        async def task() -> Any:
            with dm.context() as mine:
                await asyncio.sleep(0)
                return dm.get_active_context() is mine

        assert asyncio.run(task())
        assert dm.get_active_context() is outer
    assert dm.get_active_context() is None and dm.ctx_stack.pop() is None
