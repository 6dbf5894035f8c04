"""The Celery app the Celery tests run in a real worker process (and publish from).

Configured from the environment, which the test sets before importing it and passes to
the worker: ``POLYNOM_TEST_BROKER`` (Redis URL), ``POLYNOM_TEST_DB`` (the SQLite file test
and worker share), ``POLYNOM_TEST_QUEUE`` (a queue of this test run only).
"""

from __future__ import annotations

import atexit
import os
from typing import Any

from celery import Celery

from polynom.application import Application
from polynom.dal import create_data_manager
from polynom.integrations.celery import DalTask, init_celery
from tests.integrations.models import WebBikeSchema, services

APP_UUID = "polynom-celery-integration-test"
BROKER = os.environ.get("POLYNOM_TEST_BROKER", "redis://127.0.0.1:6379/14")
DB = os.environ.get("POLYNOM_TEST_DB", "polynom-celery-test.db")
QUEUE = os.environ.get("POLYNOM_TEST_QUEUE", "polynom-test")

app = Celery("polynom_celery_test", broker=BROKER, backend=BROKER)
app.conf.update(
    task_default_queue=QUEUE,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=False,
    worker_hijack_root_logger=False,
    result_expires=300,
)


class Boom(Exception):
    """The failure the tasks raise on purpose."""


def make_data_manager() -> Any:
    """Opens the application in the process that runs tasks (after a fork, if any)."""
    application = Application(APP_UUID, f"sqlite:///{DB}", schemas=[WebBikeSchema])
    application.__enter__()
    atexit.register(application.__exit__, None, None, None)
    return create_data_manager(application, services=services())


init_celery(app, make_data_manager)


@app.task(base=DalTask, bind=True)
def create_bike(self: DalTask, name: str) -> dict[str, Any]:
    bike = self.dal.bikes.create(name=name)
    return {"id": bike._entry_id, "user": self.context.meta.user}


@app.task(base=DalTask, bind=True)
def create_then_fail(self: DalTask, name: str) -> None:
    self.dal.bikes.create(name=name)
    raise Boom(f"after writing {name}")


@app.task(base=DalTask, bind=True, max_retries=3)
def create_then_retry(self: DalTask, name: str) -> int:
    """Writes on every attempt; only the last attempt's write may survive."""
    attempt = self.request.retries
    self.dal.bikes.create(name=f"{name}-try{attempt}")
    if attempt < 2:
        raise self.retry(countdown=0)
    return int(attempt)


@app.task(base=DalTask, bind=True)
def whoami(self: DalTask) -> dict[str, Any]:
    meta = self.context.meta
    return {"user": meta.user, "task": meta.task, "task_id": meta.task_id}


@app.task(base=DalTask, bind=True)
def publish_child(self: DalTask, name: str) -> str:
    """Publishes from inside a run: the child runs for the same user."""
    return str(create_bike.delay(name).id)
