"""polynom against SQLAlchemy's ORM, Peewee, raw sqlite3 and plain objects, in one run.

    python benchmarks/bench_mapper.py [--sizes 1000,10000,100000] [--rounds 5] [--runs 1]
                                      [--sides polynom,SQLAlchemy,Peewee,sqlite3,sqlite3+objects]
                                      [--workloads insert,get,...] [--repeat-rows 10000]
                                      [--json PATH]

Each side has its own SQLite file with the same tables and index, in WAL mode with
``synchronous=FULL`` and ``foreign_keys=ON`` (checked on every open connection before a
table is printed). For each size -- ``n`` bikes belonging to ``n / 10`` owners -- every
workload runs in rounds; in each round every side takes its turn, first place rotating,
and a cell shows the best round (a read on fewer than 10,000 rows runs several times in
one timing: ``REPEAT_ROWS``). ``--runs 3`` repeats everything and adds the range of
the runs' bests. Then the issue's targets, each marked as holding or missed (a report:
the exit status says only whether the benchmark ran), and how cost grows with size.
See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import _mapper_data as data
from _harness import (
    Results,
    SqliteSettings,
    Table,
    Target,
    grid,
    load_note,
    render,
    render_targets,
    timed,
    turn,
)
from _mapper_data import Side

EXPECTED = ("wal", 2, 1)  # journal_mode, synchronous (2 = FULL), foreign_keys


# -- the workloads -------------------------------------------------------------------------


@dataclass
class Prepared:
    """What one side needs for one size: its owners, the rows to insert, the current ids."""

    side: Side
    rows: list[data.BikeRow]
    tx_rows: list[data.BikeRow]
    ids: list[str]
    #: Times a read workload runs within one timing (see :data:`REPEAT_ROWS`).
    loops: int = 1


#: A read workload on fewer bikes than this runs ``REPEAT_ROWS // n`` times within one
#: timing, and the timing is divided by that: at 1,000 rows a workload lasts one to a few
#: milliseconds, where one timing is at the mercy of a timer tick or a cache another side
#: just cooled (the way ``timeit`` picks its loop count). The same count for every side;
#: ``--repeat-rows`` changes it (0: every read once per timing, as a smoke test wants).
REPEAT_ROWS = 10_000


Measure = Callable[[Prepared], tuple[float, Any]]


def _insert(p: Prepared) -> tuple[float, Any]:
    seconds, ids = timed(lambda _: p.side.insert(p.rows), setup=p.side.clear_bikes)
    p.ids = ids
    return seconds, len(ids)


def _get(p: Prepared) -> tuple[float, Any]:
    ids = list(p.ids)
    random.Random(12).shuffle(ids)
    return _repeated(p, lambda: p.side.get_each(ids))


def _repeated(p: Prepared, work: Callable[[], Any]) -> tuple[float, Any]:
    """A read's time per run, run ``p.loops`` times within one timing."""
    loops = p.loops
    seconds, result = timed(lambda _: [work() for _ in range(loops)][-1])
    return seconds / loops, result


def _update(p: Prepared) -> tuple[float, Any]:
    return timed(p.side.update, setup=p.side.load_all, teardown=p.side.release)


def _transactions(p: Prepared) -> tuple[float, Any]:
    seconds, ids = timed(lambda _: p.side.transactions(p.tx_rows))
    p.side.delete_bikes(ids)
    return seconds, len(ids)


def _query(method: str, argument: Callable[[], Any] | None = None) -> Measure:
    def measure(p: Prepared) -> tuple[float, Any]:
        work = getattr(p.side, method)
        if argument is None:
            return _repeated(p, work)
        arg = argument()
        return _repeated(p, lambda: work(arg))

    return measure


@dataclass
class Workload:
    key: str
    label: str
    measure: Measure


WORKLOADS = [
    Workload("insert", "insert all, one commit", _insert),
    Workload("get", "get each by id", _get),
    Workload("filter", f"{data.QUERIES} filters, a tenth each", _query("filters", data.bands)),
    Workload("update", "update all, tracked", _update),
    Workload("lazy", "owners' bikes, lazy (N+1)", _query("lazy")),
    Workload("eager", "owners' bikes, eager", _query("eager")),
    Workload("count", f"{data.QUERIES} counts, Decimal filter", _query("count", data.count_lows)),
    Workload("exists", f"{data.QUERIES} exists", _query("exists", data.exists_brands)),
    Workload(
        "page-price",
        f"{data.PAGES} pages by Decimal",
        _query("page_by_price", data.page_offsets),
    ),
    Workload(
        "page-model",
        f"{data.PAGES} pages by VarChar",
        _query("page_by_model", data.page_offsets),
    ),
    Workload("tx", "1-row transactions", _transactions),
]
MEMORY = Workload("memory", "peak memory, all held", _query("load_all"))
LABELS = {w.key: w.label for w in [*WORKLOADS, MEMORY]}


def _peak_memory(p: Prepared) -> tuple[int, int]:
    """Peak bytes allocated while loading every bike and holding them, and how many."""
    gc.collect()
    tracemalloc.start()
    try:
        loaded = p.side.load_all()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    held = len(loaded[1])
    p.side.release(loaded)
    return peak, held


# -- the sides -----------------------------------------------------------------------------


def available_sides() -> tuple[dict[str, Callable[[], Side]], list[str]]:
    """The sides that can run here, and a note for each that cannot (a peer missing)."""
    from _side_objects import ObjectsSide
    from _side_polynom import PolynomSide
    from _side_sqlite3 import Sqlite3Side

    makers: dict[str, Callable[[], Side]] = {"polynom": PolynomSide}
    missing = []
    try:
        from _side_sqlalchemy import SqlAlchemySide

        makers["SQLAlchemy"] = SqlAlchemySide
    except ImportError:
        missing.append("SQLAlchemy is not installed (pip install -e '.[bench]')")
    try:
        from _side_peewee import PeeweeSide

        makers["Peewee"] = PeeweeSide
    except ImportError:
        missing.append("Peewee is not installed (pip install -e '.[bench]')")
    makers["sqlite3"] = Sqlite3Side
    makers[OBJECTS] = ObjectsSide
    return makers, missing


# -- running -------------------------------------------------------------------------------


def _title(n: int) -> str:
    return f"{n:,} bikes, {len(data.owner_names(n)):,} owners"


def run_size(
    makers: dict[str, Callable[[], Side]],
    n: int,
    workloads: list[Workload],
    memory: bool,
    rounds: int,
    run: int,
    results: Results,
    directory: str | None,
    repeat_rows: int,
) -> None:
    names = list(makers)
    table = results.table(_title(n), names)
    probe = SqliteSettings().install()
    prepared: list[Prepared] = []
    with tempfile.TemporaryDirectory(prefix="bench_mapper_", dir=directory) as tmp:
        try:
            for name, make in makers.items():
                side = make()
                with probe.running(name):
                    side.open(tmp)
                    prepared.append(Prepared(side, [], [], [], max(1, repeat_rows // n)))
                    owners = side.add_owners(data.owner_names(n))
                    p = prepared[-1]
                    p.rows = data.bike_rows(n, owners)
                    p.tx_rows = data.bike_rows(min(data.TRANSACTIONS, n), owners, start=n)
                    if not any(w.key == "insert" for w in workloads):  # the rest need rows
                        p.ids = side.insert(p.rows)
            _freeze_inputs()
            for r in range(rounds):
                for k, workload in enumerate(workloads):
                    checks = {}
                    for p in turn(prepared, r + k):
                        with probe.running(p.side.name):
                            seconds, checks[p.side.name] = workload.measure(p)
                        table.add(workload.label, p.side.name, run, seconds)
                    if len(set(checks.values())) > 1:
                        sys.exit(
                            f"{_title(n)}, {workload.label}: the sides did different work: {checks}"
                        )
                if r == 0:
                    settings = probe.check(EXPECTED, names)
                    if run == 0 and settings not in results.notes:
                        results.notes.append(settings)
            if memory:
                held = {}
                for p in turn(prepared, run):
                    with probe.running(p.side.name):
                        peak, held[p.side.name] = _peak_memory(p)
                    table.add(MEMORY.label, p.side.name, run, peak, unit="B")
                if len(set(held.values())) > 1:
                    sys.exit(f"{_title(n)}, memory: the sides held different rows: {held}")
        finally:
            gc.unfreeze()
            for p in prepared:
                p.side.close()
            probe.uninstall()


def _freeze_inputs() -> None:
    """Put what exists now -- above all every side's input rows, ``BikeRow`` tuples the
    cyclic garbage collector never stops tracking (it untracks plain tuples only): 400,000
    of them at 100,000 bikes -- out of the collector's reach (``gc.freeze``). Otherwise
    each full collection during a workload scans the other sides' inputs too, and costs
    most the side that allocates most: a cost one side pays for another's data, which no
    application of its own would hold."""
    gc.collect()
    gc.freeze()


# -- reporting -----------------------------------------------------------------------------

#: The side that makes each row a plain object and holds it (``_side_objects.py``): the
#: floor of any mapper, shown beside the targets as what polynom itself costs over it.
OBJECTS = "sqlite3+objects"

RATIOS = [
    ("pn/sqlite3", "polynom", "sqlite3"),
    ("pn/objects", "polynom", OBJECTS),
    ("pn/SA", "polynom", "SQLAlchemy"),
    ("pn/Peewee", "polynom", "Peewee"),
]


def targets() -> list[Target]:
    """The issue's goals, as bounds on ratios measured in the same run."""
    out = []
    floor = {
        "insert": 2.0,
        "get": 2.0,
        "update": 2.0,
        "eager": 2.0,
        "count": 1.5,
        "exists": 1.5,
        "page-price": 1.5,
        "page-model": 1.5,
        "filter": 3.0,
        "lazy": 3.0,
        "tx": 1.3,
    }
    for w in WORKLOADS:
        for peer in ("SQLAlchemy", "Peewee"):  # "faster than": below 1
            out.append(Target(f"{w.label}: pn/{peer}", w.label, "polynom", peer, 1, strict=True))
        if w.key in floor:
            out.append(
                Target(f"{w.label}: pn/sqlite3", w.label, "polynom", "sqlite3", floor[w.key])
            )
    out.append(Target(f"{MEMORY.label}: pn/SQLAlchemy", MEMORY.label, "polynom", "SQLAlchemy", 0.8))
    return out


#: polynom's growth over sqlite3's that still counts as "no faster": rounds of one size
#: vary by a few percent, and a growth factor divides two such figures.
GROWTH_SLACK = 1.10


def growth(tables: list[Table], names: list[str]) -> str:
    """How each side's best grows from the smallest size to each larger one, and polynom's
    growth over sqlite3's (the goal: at most 1, within ``GROWTH_SLACK`` -- growing no faster
    than the floor). Beside it, unjudged, polynom's growth over the plain objects' (what
    of polynom's growth is not the cost of holding Python objects) and theirs over
    sqlite3's (what holding them costs)."""
    first, rest = tables[0], tables[1:]
    over = [
        (a, b)
        for a, b in (("polynom", "sqlite3"), ("polynom", OBJECTS), (OBJECTS, "sqlite3"))
        if a in names and b in names
    ]
    header = ["workload"]
    for t in rest:
        header += [f"{c} x{_rows(t) // _rows(first)}" for c in names]
        header += [f"{_short(a)}/{_short(b)}" for a, b in over]
    lines = []
    for workload in first.rows:
        line = [workload]
        for t in rest:
            grown = {}
            for c in names:
                a, b = first.rows[workload].best(c), t.rows.get(workload)
                value = b.best(c) if b else None
                grown[c] = value / a if a and value else None
                line.append(f"{grown[c]:.1f}" if grown[c] else "-")
            for pair in over:
                top, bottom = grown.get(pair[0]), grown.get(pair[1])
                if not (top and bottom):
                    line.append("-")
                elif pair == ("polynom", "sqlite3"):
                    ok = top / bottom <= GROWTH_SLACK
                    line.append(f"{top / bottom:.2f} {'holds' if ok else 'MISSED'}")
                else:
                    line.append(f"{top / bottom:.2f}")
        lines.append(line)
    return grid(header, lines)


def _short(side: str) -> str:
    return {"polynom": "pn", OBJECTS: "objects"}.get(side, side)


def _rows(table: Table) -> int:
    return int(table.title.split()[0].replace(",", ""))


def report(results: Results, names: list[str]) -> str:
    tables = list(results.tables.values())
    rounds, runs = results.settings["rounds"], results.settings["runs"]
    repeat = results.settings["repeat_rows"]
    how = f"best of {rounds} rounds" + (
        f"; {runs} runs, in brackets the range of the runs' bests" if runs > 1 else ""
    )
    if any(_rows(t) < repeat for t in tables):
        how += f"; a read on n < {repeat:,} bikes runs {repeat:,} // n times per timing"
    parts = [f"bench_mapper: {', '.join(names)} ({how})", *results.notes]
    for table in tables:
        parts.append(render(table, RATIOS))
    if "polynom" in names:
        parts.append("Targets (polynom against peers measured in the same run):")
        chosen = [t for t in targets() if t.den in names and t.workload in tables[0].rows]
        parts.append(render_targets(chosen, tables, [f"{_rows(t):,} bikes" for t in tables]))
    if len(tables) > 1:
        parts.append(
            f"Growth of the best from {tables[0].title} (figure at a size / at the smallest; "
            f"pn/sqlite3 holds up to {GROWTH_SLACK:g}):"
        )
        parts.append(growth(tables, names))
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", default="1000,10000,100000", help="bikes per table, comma separated"
    )
    parser.add_argument("--rounds", type=int, default=5, help="turns per side per workload (best)")
    parser.add_argument("--runs", type=int, default=1, help="repeat everything; report the range")
    parser.add_argument("--sides", help="comma separated; default: every one installed")
    keys = ",".join(w.key for w in [*WORKLOADS, MEMORY])
    parser.add_argument("--workloads", help=f"comma separated, of {keys}; default: all")
    parser.add_argument(
        "--repeat-rows",
        type=int,
        default=REPEAT_ROWS,
        help="a read on fewer bikes runs this // bikes times per timing (0: once)",
    )
    parser.add_argument("--dir", help="where the database files go (default: a temporary dir)")
    parser.add_argument("--json", help="also write every sample here (for compare.py)")
    args = parser.parse_args(argv)
    if args.repeat_rows < 0:
        parser.error(f"--repeat-rows must be 0 or more, got {args.repeat_rows}")

    makers, missing = available_sides()
    if args.sides:
        wanted = [s.strip() for s in args.sides.split(",")]
        unknown = [s for s in wanted if s not in makers]
        if unknown:
            parser.error(
                f"cannot run {', '.join(unknown)} here: {'; '.join(missing) or 'unknown side'}"
            )
        makers = {s: makers[s] for s in wanted}
    chosen = [w.strip() for w in args.workloads.split(",")] if args.workloads else list(LABELS)
    unknown = [w for w in chosen if w not in LABELS]
    if unknown:
        parser.error(f"unknown workloads {', '.join(unknown)}; choose from {keys}")
    workloads = [w for w in WORKLOADS if w.key in chosen]
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",")]

    results = Results(
        "bench_mapper",
        {
            "sizes": sizes,
            "rounds": args.rounds,
            "runs": args.runs,
            "sides": list(makers),
            "repeat_rows": args.repeat_rows,
        },
    )
    if not args.sides:  # say which peers are missing from the default
        results.notes.extend(missing)
    results.notes.append(f"at the start: {load_note()}")
    for run in range(args.runs):
        for n in sizes:
            run_size(
                makers,
                n,
                workloads,
                "memory" in chosen,
                args.rounds,
                run,
                results,
                args.dir,
                args.repeat_rows,
            )
    results.notes.append(f"at the end: {load_note()}")
    print(report(results, list(makers)))
    if args.json:
        results.write(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
