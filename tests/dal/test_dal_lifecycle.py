"""The order of checkout, commit/rollback and checkin, pinned down with recording fakes.

The fakes (``_fakes.py``) stand in for the store and the session so that every step is
visible; the same behaviour is checked on the real embedded store in ``test_dal_store.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from polydatum import DataManager

from polynom.errors import ConfigurationError
from polynom.middleware import ChangelogMiddleware, TransactionMiddleware
from polynom.resources import ConnectionResource, SessionResource

from ._fakes import Boom, FakeApp, FakeSession, State


def make_dm(app: FakeApp, *middleware: Any, transaction: bool = True, **changelog: Any) -> Any:
    dm = DataManager()
    dm.register_resources(
        connection=ConnectionResource(app),
        session=SessionResource(session_class=FakeSession),
    )
    chain: list[Any] = [TransactionMiddleware()] if transaction else []
    chain.append(ChangelogMiddleware(**changelog))
    dm.register_context_middleware(*chain, *middleware)
    return dm


@pytest.fixture
def app() -> FakeApp:
    return FakeApp()


def test_context_without_data_access_checks_nothing_out(app: FakeApp) -> None:
    dm = make_dm(app)
    with dm.context(meta={"user": "alice"}) as ctx:
        assert ctx.meta.user == "alice"
    assert app.store.events == []


def test_normal_exit_commits_then_returns_the_connection(app: FakeApp) -> None:
    dm = make_dm(app)
    with dm.context() as ctx:
        s1 = ctx.session
        assert ctx.session is s1, "one session per context"
        assert s1.connection is ctx.connection, "the session runs on the context's connection"
        assert app.store.checked_out == 1
    assert s1.state is State.COMPLETED
    assert app.store.events == [
        "acquire1",
        "session.enter",
        "session.commit",
        "session.exit",
        "release1",
    ]
    assert app.store.checked_out == 0


def test_each_context_gets_its_own_session(app: FakeApp) -> None:
    dm = make_dm(app)
    with dm.context() as ctx:
        first = ctx.session
    with dm.context() as ctx:
        second = ctx.session
    assert first is not second
    assert app.store.acquired == 2 and app.store.checked_out == 0


def test_exception_rolls_back_and_reaches_caller_unchanged(app: FakeApp) -> None:
    dm = make_dm(app)
    error = Boom("in the context")
    with pytest.raises(Boom) as caught, dm.context() as ctx:
        ctx.session  # noqa: B018 - opens the session
        raise error
    assert caught.value is error
    assert caught.traceback[-1].name == "test_exception_rolls_back_and_reaches_caller_unchanged"
    assert app.store.events == [
        "acquire1",
        "session.enter",
        "session.rollback",
        "session.exit",
        "release1",
    ]


def test_failed_commit_rolls_back_raises_and_returns_connection(app: FakeApp) -> None:
    class FailingCommit(FakeSession):
        fail_commit = True

    dm = make_dm(app)
    dm.replace_resource("session", SessionResource(session_class=FailingCommit))
    with pytest.raises(Boom, match="commit failed"), dm.context() as ctx:
        ctx.session  # noqa: B018
    assert app.store.events[-4:] == [
        "session.commit",
        "session.rollback",
        "session.exit",
        "release1",
    ]
    assert app.store.checked_out == 0


def test_failing_rollback_does_not_hide_the_original_error(app: FakeApp) -> None:
    class FailingRollback(FakeSession):
        fail_rollback = True

    dm = make_dm(app)
    dm.replace_resource("session", SessionResource(session_class=FailingRollback))
    with pytest.raises(KeyError), dm.context() as ctx:
        ctx.session  # noqa: B018
        raise KeyError("original")
    assert app.store.checked_out == 0


def test_error_in_middleware_teardown_rolls_back(app: FakeApp) -> None:
    def failing_teardown(ctx: Any) -> Iterator[None]:
        yield
        raise Boom("middleware teardown")

    dm = make_dm(app, failing_teardown)
    with pytest.raises(Boom, match="middleware teardown"), dm.context() as ctx:
        ctx.session  # noqa: B018
    assert "session.commit" not in app.store.events
    assert app.store.events[-3:] == ["session.rollback", "session.exit", "release1"]


def test_error_in_middleware_setup_after_opening_session_rolls_back(app: FakeApp) -> None:
    def failing_setup(ctx: Any) -> Iterator[None]:
        ctx.session  # noqa: B018
        raise Boom("middleware setup")
        yield  # pragma: no cover

    dm = make_dm(app, failing_setup)
    with pytest.raises(Boom, match="middleware setup"), dm.context():
        pytest.fail("the context body must not run")
    assert app.store.events == [
        "acquire1",
        "session.enter",
        "session.rollback",
        "session.exit",
        "release1",
    ]


def test_error_in_another_resource_setup_rolls_back(app: FakeApp) -> None:
    def cache(ctx: Any) -> Iterator[None]:
        ctx.session  # noqa: B018
        raise Boom("resource setup")
        yield  # pragma: no cover

    dm = make_dm(app)
    dm.register_resources(cache=cache)
    with pytest.raises(Boom, match="resource setup"), dm.context() as ctx:
        ctx.cache  # noqa: B018
    assert "session.commit" not in app.store.events
    assert app.store.events[-3:] == ["session.rollback", "session.exit", "release1"]


def test_error_in_another_resource_teardown_still_returns_connection(app: FakeApp) -> None:
    def cache(ctx: Any) -> Iterator[str]:
        yield "cache"
        raise Boom("resource teardown")

    dm = make_dm(app)
    dm.register_resources(cache=cache)
    with dm.context() as ctx:
        ctx.cache  # noqa: B018
        ctx.session  # noqa: B018
    assert "session.commit" in app.store.events
    assert app.store.checked_out == 0
    # Polydatum suppresses resource teardown errors and keeps them for inspection.
    assert [e[0] for e in ctx.get_resource_exit_errors()] == [Boom]


def test_checkout_failure_reaches_caller_and_leaks_nothing(app: FakeApp) -> None:
    app.store.fail_acquire = True
    dm = make_dm(app)
    with pytest.raises(Boom, match="pool exhausted"), dm.context() as ctx:
        ctx.session  # noqa: B018
    assert app.store.events == [] and app.store.checked_out == 0


def test_session_creation_failure_returns_connection(app: FakeApp) -> None:
    class FailingInit(FakeSession):
        fail_init = True

    dm = make_dm(app)
    dm.replace_resource("session", SessionResource(session_class=FailingInit))
    with pytest.raises(Boom, match="session init failed"), dm.context() as ctx:
        ctx.session  # noqa: B018
    assert app.store.events == ["acquire1", "conn1.rollback", "release1"]


def test_bare_connection_is_committed_or_rolled_back(app: FakeApp) -> None:
    dm = make_dm(app)
    with dm.context() as ctx:
        ctx.connection  # noqa: B018
    with pytest.raises(Boom), dm.context() as ctx:
        ctx.connection  # noqa: B018
        raise Boom
    assert app.store.events == [
        "acquire1",
        "conn1.commit",
        "release1",
        "acquire2",
        "conn2.rollback",
        "release2",
    ]


def test_without_transaction_middleware_session_ends_before_connection_returns(
    app: FakeApp,
) -> None:
    # Polydatum tears the connection resource down *before* the session resource that
    # asked for it; the session must still be rolled back while the connection is out.
    dm = make_dm(app, transaction=False)
    with dm.context() as ctx:
        ctx.session  # noqa: B018
    assert app.store.events == [
        "acquire1",
        "session.enter",
        "session.rollback",
        "session.exit",
        "release1",
    ]


def test_committing_inside_the_context_is_respected(app: FakeApp) -> None:
    dm = make_dm(app)
    with dm.context() as ctx:
        ctx.session.commit()
    assert app.store.events.count("session.commit") == 1
    assert app.store.checked_out == 0


# -- changelog middleware -------------------------------------------------------------------


def test_meta_user_becomes_log_user(app: FakeApp) -> None:
    dm = make_dm(app)
    with dm.context(meta={"user": "alice"}) as ctx:
        assert ctx.session.log_user == "alice"


def test_system_user_when_meta_names_none(app: FakeApp) -> None:
    dm = make_dm(app, system_user="nightly-job")
    with dm.context() as ctx:
        assert ctx.session.log_user == "nightly-job"
    with dm.context(meta={"user": ""}) as ctx:
        assert ctx.session.log_user == "nightly-job"


def test_system_user_none_disables_changelog_for_anonymous_contexts(app: FakeApp) -> None:
    dm = make_dm(app, system_user=None)
    with dm.context() as ctx:
        assert ctx.session.log_user is None


def test_default_system_user(app: FakeApp) -> None:
    dm = make_dm(app)
    with dm.context() as ctx:
        assert ctx.session.log_user == "system"


def test_user_object_needs_user_from(app: FakeApp) -> None:
    class User:
        email = "bob@example.org"

    dm = make_dm(app)
    with pytest.raises(ConfigurationError, match="user_from"), dm.context(meta={"user": User()}):
        pass  # pragma: no cover
    assert app.store.checked_out == 0

    dm = make_dm(app, user_from=lambda meta: meta.user.email)
    with dm.context(meta={"user": User()}) as ctx:
        assert ctx.session.log_user == "bob@example.org"


def test_integer_user_ids_are_logged_as_text(app: FakeApp) -> None:
    dm = make_dm(app)
    with dm.context(meta={"user": 42}) as ctx:
        assert ctx.session.log_user == "42"


def test_session_opened_before_changelog_middleware_still_gets_the_user(app: FakeApp) -> None:
    def opens_session(ctx: Any) -> Iterator[None]:
        ctx.session  # noqa: B018
        yield

    dm = DataManager()
    dm.register_resources(
        connection=ConnectionResource(app),
        session=SessionResource(session_class=FakeSession),
    )
    dm.register_context_middleware(TransactionMiddleware(), opens_session, ChangelogMiddleware())
    with dm.context(meta={"user": "carol"}) as ctx:
        assert ctx.session.log_user == "carol"


# -- configuration --------------------------------------------------------------------------


def test_session_resource_needs_an_application_when_connection_is_not_ours(
    app: FakeApp,
) -> None:
    def raw_connection(ctx: Any) -> Iterator[object]:
        yield object()

    dm = make_dm(app)
    dm.replace_resource("connection", raw_connection)
    with pytest.raises(ConfigurationError, match="SessionResource"), dm.context() as ctx:
        ctx.session  # noqa: B018


def test_middleware_and_resources_are_polydatum_generator_callables(app: FakeApp) -> None:
    from polydatum.util import is_generator

    for obj in (
        ConnectionResource(app),
        SessionResource(),
        TransactionMiddleware(),
        ChangelogMiddleware(),
    ):
        assert is_generator(obj), obj


def test_create_data_manager_registers_the_documented_order() -> None:
    from polynom.dal import create_data_manager

    def mine(ctx: Any) -> Iterator[None]:
        yield

    dm = create_data_manager(FakeApp(), system_user="cron", middleware=(mine,))
    chain = dm.get_middleware(None)
    assert [type(m) for m in chain] == [TransactionMiddleware, type(mine)]
    assert chain[1] is mine
    assert isinstance(dm.get_resource("connection"), ConnectionResource)
    session = dm.get_resource("session")
    assert isinstance(session, SessionResource)
    assert isinstance(session.changelog, ChangelogMiddleware)
    assert session.changelog.system_user == "cron"


# -- the session resource checks the connection out itself -----------------------------------


def make_lean_dm(app: FakeApp, **changelog: Any) -> Any:
    """What ``create_data_manager`` registers, on the fakes."""
    dm = DataManager()
    dm.register_resources(
        connection=ConnectionResource(app),
        session=SessionResource(
            session_class=FakeSession, changelog=ChangelogMiddleware(**changelog)
        ),
    )
    dm.register_context_middleware(TransactionMiddleware())
    return dm


def test_session_first_then_connection_is_one_connection_returned_once(app: FakeApp) -> None:
    dm = make_lean_dm(app)
    with dm.context() as ctx:
        session = ctx.session
        assert "connection" not in ctx, "no second polydatum resource for the connection"
        assert ctx.connection is session.connection
        assert app.store.checked_out == 1
    assert app.store.events == [
        "acquire1",
        "session.enter",
        "session.commit",
        "session.exit",
        "release1",
    ]
    assert app.store.checked_out == 0


def test_connection_first_then_session_runs_on_it(app: FakeApp) -> None:
    dm = make_lean_dm(app)
    with pytest.raises(Boom), dm.context() as ctx:
        conn = ctx.connection
        assert ctx.session.connection is conn
        raise Boom
    assert app.store.events == [
        "acquire1",
        "session.enter",
        "session.rollback",
        "session.exit",
        "release1",
    ]


def test_session_creation_failure_on_an_open_connection_rolls_it_back(app: FakeApp) -> None:
    class FailingInit(FakeSession):
        fail_init = True

    dm = make_dm(app)
    dm.replace_resource("session", SessionResource(session_class=FailingInit))
    with pytest.raises(Boom, match="session init failed"), dm.context() as ctx:
        ctx.connection  # noqa: B018
        ctx.session  # noqa: B018
    assert app.store.events == ["acquire1", "conn1.rollback", "release1"]


def test_a_connection_resource_with_its_own_call_is_asked_for_the_connection(
    app: FakeApp,
) -> None:
    class Tagging(ConnectionResource):
        def __call__(self, context: Any) -> Iterator[Any]:
            app.store.events.append("tagging")
            yield from super().__call__(context)

    dm = make_lean_dm(app)
    dm.replace_resource("connection", Tagging(app))
    with dm.context() as ctx:
        assert ctx.session.connection is ctx.connection
        assert "connection" in ctx
    assert app.store.events == [
        "tagging",
        "acquire1",
        "session.enter",
        "session.commit",
        "session.exit",
        "release1",
    ]


def test_two_session_resources_share_the_context_connection(app: FakeApp) -> None:
    dm = make_lean_dm(app)
    dm.register_resources(audit=SessionResource(session_class=FakeSession))
    with dm.context() as ctx:
        assert ctx.session.connection is ctx.audit.connection
    assert app.store.acquired == 1 and app.store.checked_out == 0
    assert app.store.events[-1] == "release1"


def test_the_resource_chooses_the_log_user_when_the_session_opens(app: FakeApp) -> None:
    dm = make_lean_dm(app, system_user="nightly-job")
    with dm.context(meta={"user": "alice"}) as ctx:
        assert ctx.session.log_user == "alice"
    with dm.context() as ctx:
        assert ctx.session.log_user == "nightly-job"
    dm = make_lean_dm(app, user_from=lambda meta: meta.user.upper())
    with dm.context(meta={"user": "bob"}) as ctx:
        assert ctx.session.log_user == "BOB"


def test_a_registered_changelog_middleware_wins_over_the_resource(app: FakeApp) -> None:
    dm = make_lean_dm(app, system_user="resource")
    dm.register_context_middleware(ChangelogMiddleware(system_user="middleware"))
    with dm.context() as ctx:
        assert ctx.session.log_user == "middleware"


def test_a_bad_meta_user_fails_at_the_first_data_access_and_checks_nothing_out(
    app: FakeApp,
) -> None:
    class User:
        email = "bob@example.org"

    dm = make_lean_dm(app)
    with dm.context(meta={"user": User()}) as ctx:
        with pytest.raises(ConfigurationError, match="user_from"):
            ctx.session  # noqa: B018
        assert app.store.checked_out == 0
    assert app.store.events == []


def test_without_changelog_the_session_logs_no_user(app: FakeApp) -> None:
    dm = DataManager()
    dm.register_resources(
        connection=ConnectionResource(app), session=SessionResource(session_class=FakeSession)
    )
    with dm.context(meta={"user": "alice"}) as ctx:
        assert ctx.session.log_user is None
