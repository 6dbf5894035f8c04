"""DalTask without a broker: eager runs (apply), direct calls, configuration errors."""

from __future__ import annotations

from typing import Any

import pytest
from celery import Celery

from polynom.errors import ConfigurationError, ConflictError
from polynom.integrations.celery import DalTask, apply_async_as, init_celery
from tests.integrations.conftest import stored_names


class Boom(Exception):
    pass


@pytest.fixture
def celery_app(polynom_data_manager: Any) -> Any:
    app = Celery("polynom_inprocess_test", broker="memory://", backend="cache+memory://")
    undo = init_celery(app, polynom_data_manager)
    yield app
    undo()


def test_an_eager_run_gets_its_own_context_with_the_header_user(celery_app, polynom_data_manager):
    @celery_app.task(base=DalTask, bind=True)
    def create(self: DalTask, name: str) -> Any:
        self.dal.bikes.create(name=name)
        return self.context.meta.user

    assert create.apply(("eager",), headers={"polynom_user": "ida"}).get() == "ida"
    assert stored_names(polynom_data_manager) == ["eager"]
    assert polynom_data_manager.get_active_context() is None


def test_an_eager_run_that_raises_rolls_back(celery_app, polynom_data_manager):
    @celery_app.task(base=DalTask, bind=True)
    def create_then_fail(self: DalTask, name: str) -> None:
        self.dal.bikes.create(name=name)
        raise Boom

    result = create_then_fail.apply(("doomed",))
    assert result.failed() and isinstance(result.result, Boom)
    assert stored_names(polynom_data_manager) == []


def test_a_direct_call_joins_the_open_context_or_opens_one(celery_app, polynom_data_manager):
    seen: list[Any] = []

    @celery_app.task(base=DalTask, bind=True)
    def which(self: DalTask) -> None:
        seen.append(self.context)

    with polynom_data_manager.context(meta={"user": "jo"}) as ctx:
        which()
    which()
    assert seen[0] is ctx
    assert seen[1] is not ctx and seen[1].meta.user is None


def test_a_task_may_name_its_data_manager_or_a_factory(polynom_data_manager):
    app = Celery("polynom_inprocess_factory", broker="memory://")
    made: list[int] = []

    def factory() -> Any:
        made.append(1)
        return polynom_data_manager

    @app.task(base=DalTask, bind=True, data_manager=factory)
    def user(self: DalTask) -> Any:
        return self.context.meta.user

    assert user.apply(headers={"polynom_user": "kim"}).get() == "kim"
    assert user.apply().get() is None
    assert made == [1], "the factory runs once per process"


def test_a_task_without_a_data_manager_says_how_to_give_it_one():
    app = Celery("polynom_inprocess_unset", broker="memory://")

    @app.task(base=DalTask)
    def orphan() -> None:
        pass

    with pytest.raises(ConfigurationError, match="init_celery"):
        orphan()


def test_apply_async_as_sets_the_header_and_keeps_other_headers(celery_app):
    sent: dict[str, Any] = {}

    class Recorder:
        def apply_async(self, args: Any, kwargs: Any, **options: Any) -> str:
            sent.update(args=args, kwargs=kwargs, **options)
            return "id"

    assert apply_async_as(Recorder(), 7, args=(1,), headers={"x": "y"}, countdown=3) == "id"  # type: ignore[arg-type]
    assert sent == {
        "args": (1,),
        "kwargs": None,
        "headers": {"x": "y", "polynom_user": "7"},
        "countdown": 3,
    }


def test_redis_unreachable_is_a_clear_skip_reason():
    from tests.integrations.test_celery import _redis_reachable

    reason = _redis_reachable("redis://127.0.0.1:1/0")
    assert reason is not None and "not reachable" in reason


def test_a_task_with_conflict_retries_runs_again_in_a_fresh_context(
    celery_app, polynom_data_manager
):
    """conflict_retries: a run that lost a conflict (retryable) runs again at once, in a
    new context; the lost run's writes were rolled back."""
    runs: list[Any] = []

    @celery_app.task(base=DalTask, bind=True, conflict_retries=2)
    def create(self: DalTask, name: str) -> int:
        runs.append(self.context)
        self.dal.bikes.create(name=f"{name}-{len(runs)}")
        if len(runs) == 1:
            raise ConflictError("another session changed it")
        return len(runs)

    assert create.apply(("t",)).get() == 2
    assert runs[0] is not runs[1]
    assert stored_names(polynom_data_manager) == ["t-2"]
