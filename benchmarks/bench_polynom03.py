"""Our mapper against PolyNOM 0.3 through the Prism stand-in and the real driver.

    python benchmarks/bench_polynom03.py [--rows 1000]

PolyNOM 0.3 (``polypheny-polynom``) installs a package called ``polynom`` too, so it runs
from its own virtualenv, ``.benchvenv`` (created here on first use, or pass --python).
Each side gets a fresh stand-in that cuts result frames by rows only, as Polypheny does
(PolyNOM 0.3 keeps the driver's default fetch size of 100 rows; our store asks for 10,000
rows a frame, since it reads messages of any size). The table shows requests the stand-in
received and wall time per workload, and the ratios PolyNOM 0.3 / ours (goal: at least 5x
fewer round trips, and faster, on every workload).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from polynom.application import Application
from polynom.model.model import BaseModel
from polynom.schema.field import Field
from polynom.schema.polytypes import Double, Integer, VarChar
from polynom.schema.schema import BaseSchema
from polynom.session import Session
from polynom.testing import PrismServer

ROOT = Path(__file__).resolve().parent.parent
WORKLOADS = ["insert", "read", "update"]


class BikeSchema(BaseSchema):
    entity_name = "bike"
    fields = [
        Field("brand", VarChar(30), nullable=False),
        Field("model", VarChar(50)),
        Field("weight", Double()),
        Field("year", Integer()),
    ]


class Bike(BaseModel):
    schema = BikeSchema


def ours(rows: int) -> dict[str, tuple[int, float]]:
    results = {}
    with (
        PrismServer(max_frame_bytes=None) as server,
        Application(str(uuid.uuid4()), server.url, schemas=[BikeSchema]) as app,
    ):

        def measure(name: str, work) -> None:  # type: ignore[no-untyped-def]
            server.reset_counts()
            start = time.perf_counter()
            work()
            results[name] = (server.request_count, time.perf_counter() - start)

        def insert() -> None:
            with Session(app) as s:
                s.add_all(
                    Bike(
                        brand=f"brand{i % 50}",
                        model=f"model {i}",
                        weight=8.5 + i % 7,
                        year=1990 + i % 30,
                    )
                    for i in range(rows)
                )
                s.commit()

        def read() -> None:
            with Session(app) as s:
                assert len(Bike.query(s).all()) == rows

        def update() -> None:
            with Session(app) as s:
                for bike in Bike.query(s).all():
                    bike.weight = bike.weight + 1
                s.commit()

        measure("insert", insert)
        measure("read", read)
        measure("update", update)
    return results


def polynom03(python: str, rows: int) -> dict[str, tuple[int, float]]:
    results = {}
    with PrismServer(max_frame_bytes=None) as server:
        proc = subprocess.Popen(
            [
                python,
                str(ROOT / "benchmarks" / "_polynom03_workload.py"),
                str(server.port),
                str(rows),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
            cwd=str(ROOT / "benchmarks"),
        )
        assert proc.stdin and proc.stdout
        try:
            if proc.stdout.readline().strip() != "started":
                raise SystemExit("the PolyNOM 0.3 workload did not start")
            for name in WORKLOADS:
                server.reset_counts()
                proc.stdin.write("go\n")
                proc.stdin.flush()
                label, seconds = proc.stdout.readline().split()
                assert label == name
                results[name] = (server.request_count, float(seconds))
        finally:
            proc.stdin.close()
            proc.wait(timeout=60)
    return results


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--python", help="an interpreter with polypheny-polynom==0.3.2")
    args = parser.parse_args()
    python = ensure_venv(args.python)
    mine = ours(args.rows)
    theirs = polynom03(python, args.rows)
    print(f"\n{args.rows} models through the Prism stand-in (requests received, wall time)")
    header = (
        f"{'workload':<10}{'ours req':>10}{'0.3 req':>10}{'req ratio':>11}"
        f"{'ours ms':>10}{'0.3 ms':>10}{'time ratio':>12}"
    )
    print(header)
    print("-" * len(header))
    for name in WORKLOADS:
        (rq, t), (rq3, t3) = mine[name], theirs[name]
        print(
            f"{name:<10}{rq:>10}{rq3:>10}{rq3 / max(rq, 1):>10.1f}x"
            f"{t * 1000:>10.0f}{t3 * 1000:>10.0f}{t3 / t:>11.1f}x"
        )


if __name__ == "__main__":
    main()
