"""The bike shop's Celery task, run in-process (and once through a real worker)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from polynom.errors import ValidationError

celery = pytest.importorskip("celery")


@pytest.fixture
def tasks(bikeshop: SimpleNamespace, shop: SimpleNamespace) -> Iterator[Any]:
    """The tasks module, its Celery app running tasks on the test store's data manager."""
    from polynom.integrations.celery import CONF_KEY

    module = bikeshop.tasks
    conf = module.celery_app.conf
    saved = conf.get(CONF_KEY)
    conf[CONF_KEY] = shop.dm
    try:
        yield module
    finally:
        conf[CONF_KEY] = saved


def add_bikes(dm: Any, *prices: str) -> tuple[str, list[str]]:
    """Bikes of a new brand with these prices; returns the brand and their ids."""
    brand = f"T-{uuid.uuid4().hex[:8]}"
    with dm.context(meta={"user": "setup"}) as ctx:
        ids = [
            ctx.dal.bikes.create(brand=brand, model="m", price=Decimal(p))._entry_id for p in prices
        ]
    return brand, ids


def prices_and_last_users(dm: Any, ids: list[str]) -> list[tuple[Decimal, str]]:
    with dm.context() as ctx:
        return [(ctx.dal.bikes.get(i).price, ctx.dal.bikes.history(i)[-1].user) for i in ids]


def test_a_run_records_who_asked_for_it(tasks: Any, shop: SimpleNamespace) -> None:
    from polynom.integrations.celery import USER_HEADER

    brand, ids = add_bikes(shop.dm, "100.00", "19.99")
    result = tasks.reprice.apply(args=(brand, "12.5"), headers={USER_HEADER: "alice"})
    assert result.get() == 2
    assert prices_and_last_users(shop.dm, ids) == [
        (Decimal("112.50"), "alice"),
        (Decimal("22.49"), "alice"),
    ]


def test_calling_the_task_function_directly(tasks: Any, shop: SimpleNamespace) -> None:
    brand, ids = add_bikes(shop.dm, "50.00")
    assert tasks.reprice(brand, "-10") == 1  # its own context; no user: "system"
    assert prices_and_last_users(shop.dm, ids) == [(Decimal("45.00"), "system")]

    with shop.dm.context(meta={"user": "bob"}):  # inside a context: runs in it, as bob
        assert tasks.reprice(brand, "100") == 1
    assert prices_and_last_users(shop.dm, ids) == [(Decimal("90.00"), "bob")]


def test_a_failing_run_changes_nothing(tasks: Any, shop: SimpleNamespace) -> None:
    brand, ids = add_bikes(shop.dm, "10.00")
    with pytest.raises(ValidationError) as info:
        tasks.reprice(brand, "-100")
    assert info.value.field == "percent"
    assert prices_and_last_users(shop.dm, ids) == [(Decimal("10.00"), "setup")]


def test_runs_through_a_worker_queued_by_hand_and_by_the_api(
    tasks: Any, bikeshop: SimpleNamespace, shop: SimpleNamespace
) -> None:
    """Published with request_reprice, and by the API when a broker is configured; run by a
    real worker (in-memory broker, a thread)."""
    import time

    import httpx
    from celery.contrib.testing.worker import start_worker

    from tests.examples.conftest import Server

    brand, ids = add_bikes(shop.dm, "200.00")
    app = tasks.celery_app
    assert app.conf.broker_url == "memory://"  # set by the conftest before the import
    app.conf.broker_transport_options = {"polling_interval": 0.05}  # pick the message up fast
    site = bikeshop.web.create_app(shop.app, queue=True)
    with (
        start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10),
        Server(site) as server,
        httpx.Client(base_url=f"{server.url}/api", timeout=10) as api,
    ):
        result = tasks.request_reprice(brand, Decimal("5"), requested_by="carol")
        assert result.get(timeout=10) == 1
        assert prices_and_last_users(shop.dm, ids) == [(Decimal("210.00"), "carol")]

        queued = api.post(
            "/bikes/reprice", json={"brand": brand, "percent": "10"}, headers={"X-User": "dora"}
        )
        assert queued.status_code == 202, queued.text
        body = queued.json()
        assert (body["ran"], body["repriced"]) == ("queued", None) and body["task_id"]
        deadline = time.monotonic() + 10
        while (state := api.get(f"/tasks/{body['task_id']}").json())["state"] != "SUCCESS":
            assert state["state"] in ("PENDING", "STARTED"), state
            assert time.monotonic() < deadline, "the queued reprice never ran"
            time.sleep(0.05)
        assert state["repriced"] == 1
    # (leaving start_worker takes a few seconds: the worker polls its broker every 2 s)
    assert prices_and_last_users(shop.dm, ids) == [(Decimal("231.00"), "dora")]
