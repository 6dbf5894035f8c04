"""Our mapper against PolyNOM 0.3 through the Prism stand-in and the real driver.

    python benchmarks/bench_polynom03.py [--rows 1000] [--rounds 5] [--runs 1]
                                         [--sides ours,super-first,fields-first]
                                         [--python PATH] [--json PATH]

Three clients do the same work -- insert ``--rows`` bikes and commit, read them all, update
them all -- each in its own process (``_prism_workload.py``) against a fresh stand-in in
this process: ours, and PolyNOM 0.3 written in both of its idioms (``super().__init__()``
first, which costs 0.3 one extra UPDATE per insert, and fields first). PolyNOM 0.3
(``polypheny-polynom``) installs a package called ``polynom`` too, so its clients run
from their own virtualenv, ``.benchvenv`` (created here on first use, or pass --python).

The stand-in cuts result frames by rows only, as Polypheny does (PolyNOM 0.3 keeps the
driver's default fetch size of 100 rows; our store asks for 10,000 rows a frame). For each
phase the tables show the client's wall time, the requests the stand-in received, the
stand-in's CPU time and the client process's. Every client runs in a process of its own
and the stand-in alone in this one (the main thread only waits on the client's pipe), so
this process's CPU time over a phase (``time.process_time``) is the stand-in's -- all its
threads, including those of connections opened and closed within the phase. Its share
of the client's wall time says how much of a figure is the stand-in, not the client.
Clients take turns in each round; a cell is the best round.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from _harness import Results, Table, Target, grid, load_note, render, render_targets, turn

from polynom.testing import PrismServer

ROOT = Path(__file__).resolve().parent.parent
WORKLOAD = ROOT / "benchmarks" / "_prism_workload.py"
PHASES = ["insert", "read", "update"]
OURS, SUPER, FIELDS = "ours", "0.3 super() first", "0.3 fields first"
IDIOMS = {OURS: "ours", SUPER: "super-first", FIELDS: "fields-first"}
WALL, REQUESTS, STANDIN, CLIENT = (
    "wall time of the client",
    "requests the stand-in received",
    "CPU time of the stand-in",
    "CPU time of the client process",
)


def one_client(python: str, idiom: str, rows: int) -> dict[str, tuple[float, int, float, float]]:
    """Per phase: (wall, requests, stand-in CPU, client CPU) of one client on a fresh
    stand-in."""
    found = {}
    with PrismServer(max_frame_bytes=None) as server:
        env = dict(os.environ)
        if idiom != "ours":  # 0.3 must not see our polynom
            env.pop("PYTHONPATH", None)
        proc = subprocess.Popen(
            [python, str(WORKLOAD), idiom, str(server.port), str(rows)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=str(WORKLOAD.parent),
        )
        assert proc.stdin and proc.stdout
        try:
            if proc.stdout.readline().strip() != "started":
                sys.exit(f"the {idiom} client did not start")
            for phase in PHASES:
                server.reset_counts()
                before = time.process_time()
                proc.stdin.write("go\n")
                proc.stdin.flush()
                reply = proc.stdout.readline().split()
                standin = time.process_time() - before
                if len(reply) != 3 or reply[0] != phase:
                    sys.exit(f"the {idiom} client failed in {phase}: {reply}")
                found[phase] = (float(reply[1]), server.request_count, standin, float(reply[2]))
        finally:
            proc.stdin.close()
            proc.wait(timeout=60)
        if proc.returncode:
            sys.exit(f"the {idiom} client exited with {proc.returncode}")
    return found


def ensure_venv(python: str | None) -> str:
    if python:
        return python
    venv = ROOT / ".benchvenv"
    candidate = venv / "bin" / "python"
    if not candidate.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(candidate), "-m", "pip", "install", "-q", "polypheny-polynom==0.3.2"], check=True
        )
    return str(candidate)


def shares(wall: Table, standin: Table, names: list[str]) -> str:
    """The stand-in's CPU time as a share of each client's wall time, per phase."""
    lines = []
    for phase in PHASES:
        line = [phase]
        for name in names:
            w, s = wall.rows[phase].best(name), standin.rows[phase].best(name)
            line.append(f"{s / w:.0%}" if w and s is not None else "-")
        lines.append(line)
    return grid(["phase", *names], lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5, help="turns per client (best)")
    parser.add_argument("--runs", type=int, default=1, help="repeat everything; report the range")
    parser.add_argument("--sides", help=f"comma separated, of {', '.join(IDIOMS.values())}")
    parser.add_argument("--python", help="an interpreter with polypheny-polynom==0.3.2")
    parser.add_argument("--json", help="also write every sample here (for compare.py)")
    args = parser.parse_args(argv)
    by_idiom = {idiom: name for name, idiom in IDIOMS.items()}
    wanted = [s.strip() for s in args.sides.split(",")] if args.sides else list(by_idiom)
    unknown = [s for s in wanted if s not in by_idiom]
    if unknown:
        parser.error(f"unknown sides {', '.join(unknown)}; choose from {', '.join(by_idiom)}")
    names = [by_idiom[s] for s in wanted]
    pythons = {name: sys.executable for name in names}
    if any(name != OURS for name in names):
        old = ensure_venv(args.python)
        pythons.update({name: old for name in names if name != OURS})

    results = Results(
        "bench_polynom03", {"rows": args.rows, "rounds": args.rounds, "runs": args.runs}
    )
    results.notes.append(f"at the start: {load_note()}")
    tables = {
        title: results.table(f"{title} ({args.rows} bikes)", names)
        for title in (WALL, REQUESTS, STANDIN, CLIENT)
    }
    units = {WALL: "s", REQUESTS: "n", STANDIN: "s", CLIENT: "s"}
    for run in range(args.runs):
        for r in range(args.rounds):
            for name in turn(names, r):
                figures = one_client(pythons[name], IDIOMS[name], args.rows)
                for phase, values in figures.items():
                    for title, value in zip((WALL, REQUESTS, STANDIN, CLIENT), values, strict=True):
                        tables[title].add(phase, name, run, value, unit=units[title])
    results.notes.append(f"at the end: {load_note()}")

    how = f"best of {args.rounds} rounds" + (
        f"; {args.runs} runs, in brackets the range of the runs' bests" if args.runs > 1 else ""
    )
    ratios = [(f"{n}/ours", n, OURS) for n in (SUPER, FIELDS)]
    print(f"bench_polynom03: {', '.join(names)} through the Prism stand-in ({how})")
    for title in (WALL, REQUESTS, STANDIN, CLIENT):
        print("\n" + render(tables[title], ratios))
    print("\nthe stand-in's CPU time as a share of the client's wall time:")
    print(shares(tables[WALL], tables[STANDIN], names))
    if OURS in names and len(names) > 1:
        goals = []
        for phase in PHASES:
            for other in (n for n in names if n != OURS):
                goals.append(Target(f"{phase}: ours/{other} requests", phase, OURS, other, 0.2))
                goals.append(
                    Target(f"{phase}: ours/{other} wall", phase, OURS, other, 1, strict=True)
                )
        print("\nTargets (at least 5x fewer round trips, and faster, on every phase):")
        req = [g for g in goals if g.label.endswith("requests")]
        wall = [g for g in goals if g.label.endswith("wall")]
        print(render_targets(req, [tables[REQUESTS]], ["ratio"]))
        print(render_targets(wall, [tables[WALL]], ["ratio"]))
    print("\n" + "\n".join(results.notes))
    if args.json:
        results.write(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
