"""The bike shop's Celery tasks: a bulk reprice that runs in the background.

Each run is one DAL context (``polynom.integrations.celery.DalTask``): it commits when the
task returns and rolls back when it raises. The user who asked for the run travels with the
task message (:func:`request_reprice`, or automatically when a web request publishes it) and
becomes the context's user, so the changelog records who asked for every price change.

Run a worker (with Redis, or any broker in ``CELERY_BROKER_URL``)::

    celery -A examples.bikeshop.tasks worker --loglevel=info
"""

from __future__ import annotations

import atexit
import os
from decimal import Decimal
from typing import Any

from celery import Celery

from examples.bikeshop.services import create_dal
from examples.bikeshop.web import open_application
from polynom.integrations.celery import DalTask, apply_async_as, init_celery

__all__ = ["celery_app", "reprice", "request_reprice", "worker_data_manager"]

_broker = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")  # a local Redis
celery_app = Celery(
    "bikeshop",
    broker=_broker,
    backend=os.environ.get("CELERY_RESULT_BACKEND", _broker),
)
celery_app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"])


def worker_data_manager() -> Any:
    """The DAL of a worker process: the bike shop's application, open for the process's life.

    ``init_celery`` calls this once per process, on first use (after a prefork worker has
    forked, so no connection is shared between processes).
    """
    application = open_application(migrate=False)  # the web side migrates; a worker must not
    application.__enter__()
    atexit.register(application.__exit__, None, None, None)
    return create_dal(application)


init_celery(celery_app, worker_data_manager)


@celery_app.task(base=DalTask, bind=True, name="bikeshop.reprice")
def reprice(self: DalTask, brand: str, percent: str) -> int:
    """Change the price of every bike of ``brand`` by ``percent`` %; returns how many.

    ``percent`` is a string (``"12.5"``) so it travels exactly through JSON.
    """
    repriced: int = self.dal.bikes.reprice(brand, percent)  # checks percent, exactly
    return repriced


def request_reprice(brand: str, percent: Decimal | int | str, requested_by: str) -> Any:
    """Queue a reprice run for ``requested_by`` (the changelog's user); returns its result."""
    return apply_async_as(reprice, requested_by, args=(brand, str(percent)))
