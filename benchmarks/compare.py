"""One benchmark against two source trees: did a change make polynom faster or slower?

    python benchmarks/compare.py mapper --before /work/main --after /work/wt/core
                                 [--repeat 5] [-- --sizes 10000 --workloads insert,get]

Runs the benchmark (``mapper``, ``dal``, ``polynom03``, or a script's path) ``--repeat``
times per tree, alternating -- before, after, after, before, ... -- each time in a fresh
process that imports ``polynom`` from that tree (``PYTHONPATH``; checked before the first
run). The benchmark's own code comes from this checkout, so only the package under test
differs. Arguments after ``--`` go to the benchmark; ``--rounds 1`` is added unless they
set it, so the trees alternate round by round.

Prints one table per benchmark table: per workload and contender, the best figure of
each tree (in brackets the range over the repeats) and after/before (in brackets the
range of that ratio within each pair of neighbouring processes). The peers' code is the
same in both trees, so their after/before ratios show how noisy the machine was.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _harness import Results, Table, cell, grid, load_note, ratio_cell

HERE = Path(__file__).resolve().parent
NAMED = {"mapper": "bench_mapper.py", "dal": "bench_dal.py", "polynom03": "bench_polynom03.py"}


def _env(tree: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(tree), *filter(None, [env.get("PYTHONPATH")])])
    return env


def check_tree(tree: Path) -> None:
    """Exit unless a process with this tree on PYTHONPATH really imports its polynom."""
    probe = subprocess.run(
        [sys.executable, "-c", "import polynom; print(polynom.__file__)"],
        capture_output=True,
        text=True,
        env=_env(tree),
        cwd=str(HERE),
    )
    found = Path(probe.stdout.strip()).resolve() if probe.returncode == 0 else None
    if found is None or not found.is_relative_to(tree):
        detail = probe.stderr.strip()[-500:] or f"imported {found}"
        sys.exit(f"{tree}: cannot import its polynom package ({detail})")


def run_once(script: Path, tree: Path, args: list[str], out: Path) -> Results:
    done = subprocess.run(
        [sys.executable, str(script), *args, "--runs", "1", "--json", str(out)],
        capture_output=True,
        text=True,
        env=_env(tree),
        cwd=str(HERE),
    )
    if done.returncode != 0 or not out.exists():
        sys.exit(f"{script.name} failed on {tree}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")

    return Results.from_json(json.loads(out.read_text(encoding="utf-8")))


def side_by_side(before: Results, after: Results, names: tuple[str, str]) -> str:
    parts = []
    for title, old in before.tables.items():
        new = after.tables.get(title)
        if new is None:
            continue
        both = Table(title, [])
        for workload, row in old.rows.items():
            other = new.rows.get(workload)
            if other is None:
                continue
            for contender in old.contenders:
                both.add_samples(workload, f"before|{contender}", row, contender)
                both.add_samples(workload, f"after|{contender}", other, contender)
        lines = []
        for workload in both.rows:
            first = True
            for contender in old.contenders:
                b, a = f"before|{contender}", f"after|{contender}"
                if both.rows[workload].best(b) is None:
                    continue
                lines.append(
                    [
                        workload if first else "",
                        contender,
                        cell(both.rows[workload], b),
                        cell(both.rows[workload], a),
                        ratio_cell(both, workload, a, b),
                    ]
                )
                first = False
        header = [
            "workload",
            "contender",
            f"before {names[0]}",
            f"after {names[1]}",
            "after/before",
        ]
        parts.append(f"{title}\n{grid(header, lines, left=2)}")
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    passthrough: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, passthrough = argv[:at], argv[at + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("benchmark", help=f"{', '.join(NAMED)}, or a script's path")
    parser.add_argument("--before", required=True, type=Path, help="a source tree (its root)")
    parser.add_argument("--after", required=True, type=Path, help="another source tree")
    parser.add_argument("--repeat", type=int, default=5, help="processes per tree")
    parser.add_argument("--json", help="write both trees' samples here")
    args = parser.parse_args(argv)

    script = HERE / NAMED[args.benchmark] if args.benchmark in NAMED else Path(args.benchmark)
    if not script.exists():
        parser.error(f"no benchmark {args.benchmark!r}")
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    for tree in trees.values():
        check_tree(tree)
    if not any(a == "--rounds" or a.startswith("--rounds=") for a in passthrough):
        passthrough += ["--rounds", "1"]

    print(f"compare {script.name}: before = {trees['before']}, after = {trees['after']}")
    print(f"at the start: {load_note()}", flush=True)
    merged = {key: Results(script.stem) for key in trees}
    with tempfile.TemporaryDirectory(prefix="compare_") as tmp:
        for k in range(args.repeat):
            for key in ("before", "after") if k % 2 == 0 else ("after", "before"):
                start = time.perf_counter()
                found = run_once(script, trees[key], passthrough, Path(tmp) / f"{key}{k}.json")
                merged[key].absorb(found)
                seconds = time.perf_counter() - start
                print(f"  repeat {k + 1}/{args.repeat}: {key} took {seconds:.1f} s", flush=True)
    print(f"at the end: {load_note()}\n")
    print(side_by_side(merged["before"], merged["after"], (str(args.before), str(args.after))))
    if args.json:
        combined = Results(
            script.stem, {"before": str(trees["before"]), "after": str(trees["after"])}
        )
        for key, results in merged.items():
            for title, table in results.tables.items():
                combined.tables[f"{key}: {title}"] = table
        combined.write(args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
