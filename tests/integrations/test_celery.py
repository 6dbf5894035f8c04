"""Celery with a real worker process on Redis, sharing a SQLite file with the test."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from polynom.application import Application
from polynom.dal import create_data_manager
from polynom.integrations.celery import apply_async_as, init_celery
from tests.integrations.models import WebBikeSchema, services

REDIS_URL = os.environ.get("POLYNOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
WORKER_START_TIMEOUT = 30.0  # the first result waits for the worker to be up
RESULT_TIMEOUT = 15.0
ROOT = Path(__file__).resolve().parents[2]


def _redis_reachable(url: str) -> str | None:
    try:
        import redis
    except ImportError:
        return "the redis client is not installed"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except Exception as exc:
        return f"Redis is not reachable at {url}: {exc}"
    return None


_why_not = _redis_reachable(REDIS_URL)
pytestmark = pytest.mark.skipif(_why_not is not None, reason=_why_not or "")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    db = tmp_path_factory.mktemp("celery") / "shared.db"
    values = {
        "POLYNOM_TEST_BROKER": REDIS_URL,
        "POLYNOM_TEST_DB": str(db),
        "POLYNOM_TEST_QUEUE": f"polynom-test-{uuid.uuid4().hex}",
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in values.items():
            mp.setenv(key, value)
        yield values


@pytest.fixture(scope="module")
def tasks(env: dict[str, str]) -> Iterator[Any]:
    """The task module, configured for this run (imported in the test process too)."""
    sys.modules.pop("tests.integrations.celery_app", None)
    module = importlib.import_module("tests.integrations.celery_app")
    yield module
    sys.modules.pop("tests.integrations.celery_app", None)


@pytest.fixture(scope="module")
def data_manager(tasks: Any) -> Iterator[Any]:
    """The test's own view of the shared file (it creates the tables first), which is
    also the data manager of the app's tasks *in this process*: publishing from its
    contexts is how the test shows the user travelling with the task."""
    with Application(tasks.APP_UUID, f"sqlite:///{tasks.DB}", schemas=[WebBikeSchema]) as app:
        dm = create_data_manager(app, services=services())
        undo = init_celery(tasks.app, dm)
        try:
            yield dm
        finally:
            undo()


@pytest.fixture(scope="module")
def worker(env: dict[str, str], tasks: Any, data_manager: Any, tmp_path_factory) -> Iterator[Any]:
    """One real worker process for the module, always killed afterwards."""
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    cmd = [
        sys.executable, "-m", "celery", "-A", "tests.integrations.celery_app", "worker",
        "--pool=solo", "--concurrency=1", "-Q", env["POLYNOM_TEST_QUEUE"],
        "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING",
    ]  # fmt: skip
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        try:
            reply = tasks.whoami.delay().get(timeout=WORKER_START_TIMEOUT)
        except Exception as exc:
            pytest.fail(f"the worker did not answer ({exc!r}); its log:\n{log.read_text()}")
        assert reply["user"] is None
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        _forget_queue(env["POLYNOM_TEST_QUEUE"])


def _forget_queue(queue: str) -> None:
    """Drop the broker keys of this run's queue (kombu's bindings outlive the worker)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    keys = list(client.scan_iter(match=f"*{queue}*"))
    if keys:
        client.delete(*keys)


def names(dm: Any, prefix: str) -> list[str]:
    with dm.context() as ctx:
        return sorted(b.name for b in ctx.dal.bikes.list() if b.name.startswith(prefix))


def test_a_task_commits_before_its_result_and_runs_for_the_header_user(worker, tasks, data_manager):
    result = apply_async_as(tasks.create_bike, "yves", args=("commit-1",))
    reply = result.get(timeout=RESULT_TIMEOUT)
    assert reply["user"] == "yves"
    # the result was stored after the commit: the row is there the moment we have it
    assert names(data_manager, "commit-") == ["commit-1"]
    with data_manager.context() as ctx:
        changes = ctx.dal.bikes.history(reply["id"])
    assert [c.user for c in changes] == ["yves"]


def test_a_failing_task_leaves_nothing_behind(worker, tasks, data_manager):
    result = tasks.create_then_fail.delay("fail-1")
    with pytest.raises(Exception, match="after writing fail-1"):
        result.get(timeout=RESULT_TIMEOUT)
    assert result.state == "FAILURE"
    assert names(data_manager, "fail-") == []


def test_a_retried_run_rolls_back_and_the_next_attempt_starts_clean(worker, tasks, data_manager):
    assert tasks.create_then_retry.delay("retry").get(timeout=RESULT_TIMEOUT) == 2
    assert names(data_manager, "retry-") == ["retry-try2"]


def test_the_publishing_contexts_user_travels_with_the_task(worker, tasks, data_manager):
    dm = data_manager
    with dm.context(meta={"user": "zoe"}):
        result = tasks.whoami.delay()
    reply = result.get(timeout=RESULT_TIMEOUT)
    assert reply["user"] == "zoe" and reply["task"] == tasks.whoami.name
    assert reply["task_id"] == result.id
    # an explicit user wins over the context's
    with dm.context(meta={"user": "zoe"}):
        result = tasks.whoami.apply_async(headers={"polynom_user": "xavier"})
    assert result.get(timeout=RESULT_TIMEOUT)["user"] == "xavier"
    # and a task published by a task runs for the same user
    child_id = apply_async_as(tasks.publish_child, "wendy", args=("child-1",)).get(
        timeout=RESULT_TIMEOUT
    )
    child = tasks.app.AsyncResult(child_id).get(timeout=RESULT_TIMEOUT)
    assert child["user"] == "wendy"
    assert names(data_manager, "child-") == ["child-1"]
