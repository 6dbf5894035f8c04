"""Every benchmark still runs, at tiny sizes, and prints its tables.

The figures are not checked (speed goals are ratios the benchmarks report, never timed
assertions); what is checked is that each script runs to the end, prints the tables and
targets a reader needs, refuses an unfair comparison, and writes the JSON ``compare.py``
reads. SQLAlchemy and Peewee come with the ``bench`` extra; without them the mapper
benchmark runs the sides it has, and so does this test. PolyNOM 0.3 runs from
``.benchvenv`` (as ``.ci/run`` creates it) or ``POLYNOM03_PYTHON``.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"

# Found, not imported: Peewee registers a process-wide sqlite3 adapter for Decimal when
# imported, which would leak into the rest of the suite.
PEERS = [
    name
    for name, module in (("SQLAlchemy", "sqlalchemy"), ("Peewee", "peewee"))
    if importlib.util.find_spec(module) is not None
]


def run(script: str, *args: str, timeout: float = 90) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=str(ROOT),
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def polynom03_python() -> str | None:
    candidate = os.environ.get("POLYNOM03_PYTHON") or str(ROOT / ".benchvenv" / "bin" / "python")
    if not Path(candidate).exists():
        return None
    probe = subprocess.run(
        [candidate, "-c", "import polynom.application, polypheny"],
        capture_output=True,
        timeout=60,
        cwd=str(BENCH),
    )
    return candidate if probe.returncode == 0 else None


def test_bench_mapper_prints_a_table_per_size_targets_and_growth(tmp_path: Path) -> None:
    out = run(
        "bench_mapper.py",
        *("--sizes", "100,200", "--rounds", "1", "--runs", "2", "--repeat-rows", "0"),
        *("--dir", str(tmp_path), "--json", str(tmp_path / "mapper.json")),
    )
    assert "times per timing" not in out  # --repeat-rows 0: every read once per timing
    sides = ["polynom", *PEERS, "sqlite3", "sqlite3+objects"]
    for side in sides:
        assert f"  {side}: journal_mode=wal, synchronous=2, foreign_keys=1" in out
    for title in ("100 bikes, 10 owners", "200 bikes, 20 owners"):
        assert title in out
    for label in (
        "insert all, one commit",
        "get each by id",
        "100 filters, a tenth each",
        "update all, tracked",
        "owners' bikes, lazy (N+1)",
        "owners' bikes, eager",
        "100 counts, Decimal filter",
        "100 exists",
        "50 pages by Decimal",
        "50 pages by VarChar",
        "1-row transactions",
        "peak memory, all held",
    ):
        assert out.count(label) >= 3, label  # two size tables and the growth table
    assert "pn/sqlite3" in out
    assert "Targets" in out and " held, " in out
    assert "Growth of the best" in out
    growth = out[out.index("Growth of the best") :].splitlines()[2]
    for column in ("pn/sqlite3", "pn/objects", "objects/sqlite3"):
        assert column in growth
    saved = json.loads((tmp_path / "mapper.json").read_text())
    table = saved["tables"][0]
    assert table["contenders"] == sides
    insert = next(r for r in table["rows"] if r["workload"] == "insert all, one commit")
    assert set(insert["samples"]) == set(sides)
    assert all(len(runs) == 2 for runs in insert["samples"].values())  # --runs 2


def test_bench_mapper_runs_one_workload_of_chosen_sides(tmp_path: Path) -> None:
    out = run(
        "bench_mapper.py",
        *("--sizes", "100", "--rounds", "1", "--sides", "polynom,sqlite3"),
        *("--workloads", "count", "--repeat-rows", "500", "--dir", str(tmp_path)),
    )
    assert "a read on n < 500 bikes runs 500 // n times per timing" in out
    assert "100 counts, Decimal filter" in out
    assert "get each by id" not in out
    assert "SQLAlchemy" not in out


def test_bench_dal_prints_both_thread_settings_the_target_and_no_leak(tmp_path: Path) -> None:
    out = run(
        "bench_dal.py",
        *("--requests", "100", "--rounds", "1", "--threads", "2", "--leak-contexts", "100"),
        *("--dir", str(tmp_path)),
    )
    assert "1 thread, per request" in out and "2 threads, throughput" in out
    assert "DAL/bare" in out
    assert "  bare polydatum + sqlite3: journal_mode=wal, synchronous=2, foreign_keys=1" in out
    assert "  polynom: journal_mode=wal, synchronous=2, foreign_keys=1" in out
    assert "connections still checked out: 0" in out


def test_bench_polynom03_prints_requests_and_the_stand_ins_share() -> None:
    python = polynom03_python()
    sides = ["--python", python] if python else ["--sides", "ours"]
    out = run("bench_polynom03.py", "--rows", "30", "--rounds", "1", *sides)
    assert "requests the stand-in received (30 bikes)" in out
    assert "CPU time of the stand-in (30 bikes)" in out
    assert "share of the client's wall time" in out
    if python:
        assert "0.3 super() first/ours" in out and "0.3 fields first/ours" in out
        assert "Targets" in out


def test_compare_prints_both_trees_and_their_ratio() -> None:
    out = run(
        "compare.py",
        "dal",
        "--before",
        str(ROOT),
        "--after",
        str(ROOT),
        "--repeat",
        "2",
        "--",
        "--requests",
        "50",
        "--threads",
        "2",
        "--leak-contexts",
        "10",
    )
    assert "after/before" in out
    assert "1 thread, per request" in out
    assert out.count("repeat 2/2") == 2


def test_compare_refuses_a_tree_without_polynom(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "compare.py"),
            "dal",
            "--before",
            str(tmp_path),
            "--after",
            str(ROOT),
            "--repeat",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "cannot import its polynom package" in done.stderr


def test_the_settings_check_refuses_a_side_in_another_journal_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    from _harness import SqliteSettings

    original = sqlite3.connect
    probe = SqliteSettings().install()
    try:
        with probe.running("fair"):
            fair = sqlite3.connect(tmp_path / "fair.db")
            fair.execute("PRAGMA journal_mode=WAL")
            fair.execute("PRAGMA foreign_keys=ON")
        with probe.running("unfair"):
            unfair = sqlite3.connect(tmp_path / "unfair.db")  # rollback journal
            unfair.execute("PRAGMA foreign_keys=ON")
    finally:
        probe.uninstall()
    assert sqlite3.connect is original  # uninstalled: nothing else is recorded
    assert probe.observed() == {"fair": {("wal", 2, 1)}, "unfair": {("delete", 2, 1)}}
    with pytest.raises(SystemExit) as refused:
        probe.check(("wal", 2, 1), ["fair", "unfair"])
    assert "not the same on every side" in str(refused.value)
    assert str(refused.value).rstrip().endswith(": unfair")
    fair.close()
    unfair.close()


def test_a_timed_piece_pays_for_the_reference_cycles_it_left(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.syspath_prepend(str(BENCH))
    import _harness

    ticks = iter(range(100))  # a clock that moves one second per reading
    monkeypatch.setattr(_harness.time, "perf_counter", lambda: float(next(ticks)))

    def cycles(_: object) -> int:
        for _ in range(100):
            node: list[object] = []
            node.append(node)
        return 100

    gc.disable()  # no automatic collection frees them inside the work
    try:
        assert _harness.timed(lambda _: 7) == (1.0, 7)  # left nothing: the work alone
        assert _harness.timed(cycles) == (2.0, 100)  # the work and the collection after it
        assert gc.collect() == 0  # freed within timed, not by whoever collects next
    finally:
        gc.enable()
