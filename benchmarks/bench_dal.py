"""Per-request cost of the polynom DAL against bare polydatum on raw sqlite3 connections.

    python benchmarks/bench_dal.py [--requests 5000] [--threads 8] [--rounds 5] [--runs 1]
                                   [--leak-contexts 10000] [--json PATH]

One "request" = open a context, ``get`` one entry by id, exit (commit). Compared:

- ``bare``          polydatum ``DataManager`` + a resource lending raw ``sqlite3`` connections
                    from a queue + a commit/rollback middleware + a service running
                    ``SELECT ... WHERE id = ?`` (the floor: what polydatum itself costs)
- ``polynom DAL``   ``create_data_manager(app)`` + ``ModelService`` -- the real thing
- ``Session only``  the same read with a bare ``Session`` (no polydatum), to split the
                    DAL's own cost from the mapper's

Both databases are files of the same shape, in WAL mode with ``synchronous=FULL`` and
``foreign_keys=ON`` -- polynom's store sets them, the bare side sets them by hand, and
every open connection is asked before a table is printed. Each round runs every
contender in turn (first place rotating): ``--requests`` requests on one thread, then the
same number spread over ``--threads`` threads; a cell is the best round, and with
``--runs`` the range of the runs' bests. Last, a leak check: contexts of which a tenth
raise must leave no connection checked out (the exit status says whether none was).
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

from _harness import Results, SqliteSettings, Target, load_note, render, render_targets, turn
from polydatum import DataManager, Service

from polynom import Application, BaseModel, BaseSchema, Field, Session
from polynom.dal import create_data_manager
from polynom.schema.polytypes import Integer, VarChar
from polynom.services import ModelService

ROWS = 1000
EXPECTED = ("wal", 2, 1)  # journal_mode, synchronous (2 = FULL), foreign_keys
BARE, DAL, SESSION = "bare polydatum + sqlite3", "polynom DAL", "Session only"
ONE, MANY = "1 thread, per request", "{threads} threads, throughput"


class BenchItemSchema(BaseSchema):
    entity_name = "bench_item"
    namespace_name = "bench"
    fields = [Field("name", VarChar(40), nullable=False), Field("price", Integer())]


class BenchItem(BaseModel):
    schema = BenchItemSchema


# -- the bare side: polydatum + raw sqlite3 ----------------------------------------------------


def _raw_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


class _RawPool:
    """A minimal pool of sqlite3 connections (what a hand-rolled app would have)."""

    def __init__(self, path: Path, size: int) -> None:
        self._q: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        for _ in range(size):
            self._q.put(_raw_connection(path))

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


def one_thread(fn: Callable[[str], Any], picks: list[str]) -> float:
    """Microseconds per request, one request after another."""
    start = time.perf_counter()
    for entry_id in picks:
        fn(entry_id)
    return (time.perf_counter() - start) / len(picks) * 1e6


def throughput(fn: Callable[[str], Any], ids: list[str], n: int, threads: int) -> float:
    """Requests per second with ``threads`` threads doing ``n`` requests in all."""
    each = max(1, n // threads)
    barrier = threading.Barrier(threads + 1)
    errors: list[BaseException] = []

    def work() -> None:
        picks = [random.choice(ids) for _ in range(each)]
        barrier.wait()
        try:
            for entry_id in picks:
                fn(entry_id)
        except BaseException as exc:  # reported below
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


def leak_check(dm: Any, ids: list[str], contexts: int) -> tuple[int, float]:
    """Run ``contexts`` contexts of which a tenth raise after touching data."""

    class _Fail(Exception):
        pass

    failures = 0
    start = time.perf_counter()
    for k in range(contexts):
        try:
            with dm.context(meta={"user": "bench"}) as ctx:
                ctx.dal.items.get(ids[k % len(ids)])
                if k % 10 == 0:
                    raise _Fail
        except _Fail:
            failures += 1
    return failures, time.perf_counter() - start


def run(args: argparse.Namespace, run_no: int, results: Results, leak: bool) -> int:
    """One run: fresh databases, ``args.rounds`` rounds; returns connections leaked."""
    probe = SqliteSettings().install()
    many = MANY.format(threads=args.threads)
    table = results.table(
        "one request: open a context, get one entry by id, commit", [BARE, DAL, SESSION]
    )
    with tempfile.TemporaryDirectory(prefix="bench_dal_", dir=args.dir) as tmp:
        bare_path = Path(tmp) / "bare.db"
        ids = [str(uuid.uuid4()) for _ in range(ROWS)]
        with probe.running(BARE):
            raw = _raw_connection(bare_path)
            raw.execute("CREATE TABLE items (id VARCHAR(36) PRIMARY KEY, name TEXT, price INTEGER)")
            raw.executemany(
                "INSERT INTO items VALUES (?, ?, ?)",
                [(i, f"item{n}", n) for n, i in enumerate(ids)],
            )
            raw.commit()
            raw.close()
        with probe.running("polynom"):
            app = Application(str(uuid.uuid4()), f"sqlite:///{Path(tmp) / 'polynom.db'}")
            app.__enter__()
        try:
            with probe.running("polynom"), Session(app) as session:
                session.add_all(
                    BenchItem(_entry_id=i, name=f"item{n}", price=n) for n, i in enumerate(ids)
                )
                session.commit()
            pool = app.store.pool  # type: ignore[attr-defined]
            with probe.running(BARE):
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

            if bare_request(ids[0])["name"] != "item0" or dal_request(ids[0]).name != "item0":
                sys.exit("the contenders do not read the same entry")
            contenders = {BARE: bare_request, DAL: dal_request, SESSION: session_request}
            owner = {BARE: BARE, DAL: "polynom", SESSION: "polynom"}
            warm = [random.choice(ids) for _ in range(200)]
            for name, fn in contenders.items():
                with probe.running(owner[name]):
                    one_thread(fn, warm)
                    throughput(fn, ids, 200, args.threads)
            for r in range(args.rounds):
                for name in turn(list(contenders), r):
                    picks = [random.choice(ids) for _ in range(args.requests)]
                    with probe.running(owner[name]):
                        us = one_thread(contenders[name], picks)
                    table.add(ONE, name, run_no, us, unit="us")
                for name in turn(list(contenders), r):
                    with probe.running(owner[name]):
                        rps = throughput(contenders[name], ids, args.requests, args.threads)
                    table.add(many, name, run_no, rps, unit="req/s")
            settings = probe.check(EXPECTED, [BARE, "polynom"])
            if run_no == 0:
                results.notes.append(settings)
            if leak:
                failures, seconds = leak_check(dm, ids, args.leak_contexts)
                out = pool.size - pool.idle
                results.notes.append(
                    f"leak check: {args.leak_contexts} contexts, {failures} raised, "
                    f"{seconds:.2f} s; connections still checked out: {out}"
                )
                return out
            return 0
        finally:
            app.__exit__(None, None, None)
            probe.uninstall()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000, help="requests per round")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5, help="turns per contender (best)")
    parser.add_argument("--runs", type=int, default=1, help="repeat everything; report the range")
    parser.add_argument("--leak-contexts", type=int, default=10_000)
    parser.add_argument("--dir", help="where the database files go (default: a temporary dir)")
    parser.add_argument("--json", help="also write every sample here (for compare.py)")
    args = parser.parse_args(argv)

    settings = {k: getattr(args, k) for k in ("requests", "threads", "rounds", "runs")}
    results = Results("bench_dal", settings)
    results.notes.append(f"at the start: {load_note()}")
    leaked = 0
    for run_no in range(args.runs):
        leaked = run(args, run_no, results, leak=run_no == args.runs - 1)
    results.notes.append(f"at the end: {load_note()}")

    table = next(iter(results.tables.values()))
    how = f"best of {args.rounds} rounds of {args.requests} requests" + (
        f"; {args.runs} runs, in brackets the range of the runs' bests" if args.runs > 1 else ""
    )
    many = MANY.format(threads=args.threads)
    print(f"bench_dal ({how})\n")
    print(
        render(
            table,
            [
                ("DAL/bare", DAL, BARE),
                ("Session/bare", SESSION, BARE),
                ("DAL/Session", DAL, SESSION),
            ],
        )
    )
    dal_us, session_us, bare_us = (table.rows[ONE].best(c) for c in (DAL, SESSION, BARE))
    if dal_us and session_us and bare_us:
        print(
            f"\nthe DAL's own cost (DAL - Session only): {dal_us - session_us:.1f} us/request; "
            f"polydatum's own (bare): {bare_us:.1f} us/request"
        )
    goals = [Target(f"{w}: DAL/bare", w, DAL, BARE, 1.3) for w in (ONE, many)]
    print("\nTarget (the issue's, with the same journal mode on both sides):")
    print(render_targets(goals, [table], ["ratio"]))
    print("\n" + "\n".join(results.notes))
    if args.json:
        results.write(args.json)
    return 0 if leaked == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
