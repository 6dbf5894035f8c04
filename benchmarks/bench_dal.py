"""Per-request cost of the polynom DAL against bare polydatum on a raw sqlite3 connection.

One "request" = open a context, ``get`` one entry by id, exit (commit). Compared:

- ``bare``          polydatum DataManager + a resource lending raw ``sqlite3`` connections
                    from a queue + a commit/rollback middleware + a service running
                    ``SELECT ... WHERE id = ?`` (the floor: what polydatum itself costs)
- ``polynom DAL``   ``create_data_manager(app)`` + ``ModelService`` -- the real thing
- ``session only``  the same read with a bare ``Session`` (no polydatum), to split the
                    DAL's own cost from the mapper's

Then throughput with 8 threads, and a leak check: 10,000 contexts of which a tenth raise
must leave no connection checked out. Both sides use a file database of the same shape.

The contenders take turns, and each figure is the best of several runs: on a shared
machine the noise then hits all of them alike.

Run: ``.venv/bin/python benchmarks/bench_dal.py [--requests N] [--threads 8] [--rounds 5]``
"""

from __future__ import annotations

import argparse
import queue
import random
import sqlite3
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from polydatum import DataManager, Service

from polynom.application import Application
from polynom.dal import create_data_manager
from polynom.model import BaseModel
from polynom.schema import BaseSchema, Field
from polynom.schema.polytypes import Integer, VarChar
from polynom.services import ModelService
from polynom.session import Session

ROWS = 1000


class BenchItemSchema(BaseSchema):
    entity_name = "bench_item"
    namespace_name = "bench"
    fields = [Field("name", VarChar(40), nullable=False), Field("price", Integer())]


class BenchItem(BaseModel):
    schema = BenchItemSchema


# -- the bare side: polydatum + raw sqlite3 ----------------------------------------------------


class _RawPool:
    """A minimal pool of sqlite3 connections (what a hand-rolled app would have)."""

    def __init__(self, path: Path, size: int) -> None:
        self._q: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        for _ in range(size):
            self._q.put(sqlite3.connect(path, check_same_thread=False))

    def acquire(self) -> sqlite3.Connection:
        return self._q.get(timeout=30)

    def release(self, conn: sqlite3.Connection) -> None:
        conn.rollback()
        self._q.put(conn)


class _BareItems(Service):
    def get(self, entry_id: str) -> dict[str, Any] | None:
        row = self._ctx.db.execute(
            "SELECT id, name, price FROM items WHERE id = ?", (entry_id,)
        ).fetchone()
        return None if row is None else {"id": row[0], "name": row[1], "price": row[2]}


def bare_data_manager(path: Path, pool_size: int) -> Any:
    pool = _RawPool(path, pool_size)

    def db(ctx: Any) -> Iterator[sqlite3.Connection]:
        conn = pool.acquire()
        try:
            yield conn
        finally:
            pool.release(conn)

    def transaction(ctx: Any) -> Iterator[None]:
        try:
            yield
        except BaseException:
            if "db" in ctx:
                ctx.db.rollback()
            raise
        else:
            if "db" in ctx:
                ctx.db.commit()

    dm = DataManager()
    dm.register_resources(db=db)
    dm.register_context_middleware(transaction)
    dm.register_services(items=_BareItems())
    return dm


# -- measuring ---------------------------------------------------------------------------------


def per_request(
    fns: dict[str, Callable[[str], Any]], ids: list[str], n: int, rounds: int
) -> dict[str, float]:
    """Microseconds per call of each of ``fns``: the best of ``rounds`` runs of ``n`` calls.

    The runs take turns (one of each per round), so that a noisy neighbour slowing the
    machine down for a while hits every contender alike.
    """
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(rounds):
        for name, fn in fns.items():
            picks = [random.choice(ids) for _ in range(n)]
            start = time.perf_counter()
            for entry_id in picks:
                fn(entry_id)
            best[name] = min(best[name], time.perf_counter() - start)
    return {name: seconds / n * 1e6 for name, seconds in best.items()}


def throughput(fn: Callable[[str], Any], ids: list[str], n: int, threads: int) -> float:
    """Requests per second with ``threads`` threads doing ``n`` requests in all."""
    each = n // threads
    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def work() -> None:
        picks = [random.choice(ids) for _ in range(each)]
        barrier.wait()
        try:
            for entry_id in picks:
                fn(entry_id)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - start
    if errors:
        raise errors[0]
    return each * threads / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5, help="runs per contender (best)")
    parser.add_argument("--leak-contexts", type=int, default=10_000)
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="bench_dal_"))
    bare_path = tmp / "bare.db"
    ids = [str(uuid.uuid4()) for _ in range(ROWS)]
    with sqlite3.connect(bare_path) as raw:
        raw.execute("CREATE TABLE items (id VARCHAR(36) PRIMARY KEY, name TEXT, price INTEGER)")
        raw.executemany(
            "INSERT INTO items VALUES (?, ?, ?)", [(i, f"item{n}", n) for n, i in enumerate(ids)]
        )
    raw.close()

    app = Application(str(uuid.uuid4()), f"sqlite:///{tmp / 'polynom.db'}")
    with app:
        with Session(app) as session:
            session.add_all(
                BenchItem(_entry_id=i, name=f"item{n}", price=n) for n, i in enumerate(ids)
            )
            session.commit()
        pool = app.store.pool  # type: ignore[attr-defined]
        bare = bare_data_manager(bare_path, pool.max_size)
        dm = create_data_manager(app, services={"items": ModelService(BenchItem)})

        def bare_request(entry_id: str) -> Any:
            with bare.context(meta={"user": "bench"}) as ctx:
                return ctx.dal.items.get(entry_id)

        def dal_request(entry_id: str) -> Any:
            with dm.context(meta={"user": "bench"}) as ctx:
                return ctx.dal.items.get(entry_id)

        def session_request(entry_id: str) -> Any:
            with Session(app, log_user="bench") as s:
                item = BenchItem.query(s).get(entry_id)
                s.commit()
                return item

        assert bare_request(ids[0])["name"] == "item0"
        assert dal_request(ids[0]).name == "item0"
        contenders = {
            "bare polydatum + sqlite3": bare_request,
            "polynom DAL": dal_request,
            "polynom Session only": session_request,
        }
        per_request(contenders, ids, 500, 1)  # warm up

        n = args.requests
        us = per_request(contenders, ids, n, args.rounds)
        rps = dict.fromkeys(contenders, 0.0)
        for _ in range(3):  # best of 3, taking turns as above
            for name, fn in contenders.items():
                rps[name] = max(rps[name], throughput(fn, ids, n, args.threads))

        # leak check: a tenth of the contexts raise after touching data
        class _Fail(Exception):
            pass

        failures = 0
        start = time.perf_counter()
        for k in range(args.leak_contexts):
            try:
                with dm.context(meta={"user": "bench"}) as ctx:
                    ctx.dal.items.get(ids[k % ROWS])
                    if k % 10 == 0:
                        raise _Fail
            except _Fail:
                failures += 1
        leak_s = time.perf_counter() - start
        out = pool.size - pool.idle

    base_us, base_rps = us["bare polydatum + sqlite3"], rps["bare polydatum + sqlite3"]
    print(
        f"\nper request: open a context, get one entry by id, commit  "
        f"(n={n}, best of {args.rounds}; req/s: best of 3)"
    )
    print(
        f"{'':28} {'us/request':>11} {'x bare':>8} {'req/s ' + str(args.threads) + ' thr':>13}"
        f" {'x bare':>8}"
    )
    for name in us:
        print(
            f"{name:28} {us[name]:11.1f} {us[name] / base_us:8.2f} {rps[name]:13.0f}"
            f" {base_rps / rps[name]:8.2f}"
        )
    dal_own = us["polynom DAL"] - us["polynom Session only"]
    print(
        f"\nthe DAL's own cost (DAL - Session only): {dal_own:.1f} us/request; "
        f"polydatum's own (bare): {base_us:.1f} us/request"
    )
    print(
        f"target: polynom DAL within 1.5x of bare -> "
        f"{us['polynom DAL'] / base_us:.2f}x "
        f"({'met' if us['polynom DAL'] / base_us <= 1.5 else 'NOT met'})"
    )
    print(
        f"\nleak check: {args.leak_contexts} contexts, {failures} raised, "
        f"{leak_s:.2f} s; connections still checked out: {out}"
    )
    return 0 if out == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
