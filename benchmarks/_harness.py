"""What every benchmark here shares: turns, best of N, the range over runs, tables, JSON.

A figure is measured in *rounds*: in each round every contender does the workload once, in
an order that rotates from round to round, so a noisy neighbour slowing the machine down
for a while hits every contender alike. A cell's figure is the best round. A *run* repeats
the whole benchmark; with several runs a cell shows the best of all rounds and, in
brackets, the range of the runs' own bests -- how far one run can be trusted.

Ratios are ratios of cost (time, bytes, or 1 / throughput): below 1 means the first
contender is cheaper. ``--json PATH`` writes every sample, which ``compare.py`` reads.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sqlite3
import sqlite3.dbapi2
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

#: Units a figure can have, and whether a smaller figure is better.
LOWER_IS_BETTER = {"s": True, "us": True, "B": True, "req/s": False, "n": True}


# -- timing ------------------------------------------------------------------------------


def timed(
    work: Callable[[Any], T],
    setup: Callable[[], Any] | None = None,
    teardown: Callable[[Any], None] | None = None,
) -> tuple[float, T]:
    """Seconds ``work(state)`` takes, and what it returned; ``setup`` and ``teardown`` (which
    get and release ``state``) run outside the clock, with garbage collected before.

    The reference cycles the work left are its cost too: the collection that frees them is
    timed and added (when it found any). Otherwise the collector frees them outside every
    clock, or inside the next contender's -- a cost a contender whose objects form cycles
    (Peewee's prefetch) would pass on or escape."""
    state = setup() if setup is not None else None
    gc.collect()
    start = time.perf_counter()
    result = work(state)
    elapsed = time.perf_counter() - start
    start = time.perf_counter()
    if gc.collect():
        elapsed += time.perf_counter() - start
    if teardown is not None:
        teardown(state)
    return elapsed, result


def turn(items: Sequence[T], k: int) -> list[T]:
    """``items`` rotated by ``k``: who goes first changes from round to round."""
    if not items:
        return []
    k %= len(items)
    return [*items[k:], *items[:k]]


def load_note() -> str:
    """The machine's load, to judge the noise by (printed under every table)."""
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} cores"


# -- results -----------------------------------------------------------------------------


@dataclass
class Row:
    """One workload of a table: its unit and, per contender, the samples of each run."""

    unit: str
    samples: dict[str, list[list[float]]] = field(default_factory=dict)

    def add(self, contender: str, run: int, value: float) -> None:
        runs = self.samples.setdefault(contender, [])
        while len(runs) <= run:
            runs.append([])
        runs[run].append(value)

    def _pick(self, values: Sequence[float]) -> float:
        return min(values) if LOWER_IS_BETTER[self.unit] else max(values)

    def run_bests(self, contender: str) -> list[float]:
        return [self._pick(r) for r in self.samples.get(contender, []) if r]

    def best(self, contender: str) -> float | None:
        bests = self.run_bests(contender)
        return self._pick(bests) if bests else None

    def cost(self, value: float) -> float:
        return value if LOWER_IS_BETTER[self.unit] else 1 / value


@dataclass
class Table:
    """Figures of several contenders on several workloads (one size, one setting)."""

    title: str
    contenders: list[str]
    rows: dict[str, Row] = field(default_factory=dict)

    def row(self, workload: str, unit: str = "s") -> Row:
        return self.rows.setdefault(workload, Row(unit))

    def add(self, workload: str, contender: str, run: int, value: float, unit: str = "s") -> None:
        self.row(workload, unit).add(contender, run, value)

    def add_samples(self, workload: str, contender: str, source: Row, of: str) -> None:
        """Copy ``of``'s samples in ``source`` here, under the name ``contender``."""
        self.row(workload, source.unit).samples[contender] = [
            list(r) for r in source.samples.get(of, [])
        ]

    def ratio(self, workload: str, num: str, den: str) -> float | None:
        """Cost of ``num`` over cost of ``den`` (bests), or None when either is missing."""
        row = self.rows.get(workload)
        if row is None:
            return None
        a, b = row.best(num), row.best(den)
        if a is None or b is None or b == 0 or a == 0:
            return None
        return row.cost(a) / row.cost(b)

    def run_ratios(self, workload: str, num: str, den: str) -> list[float]:
        """The same ratio within each run (both figures from the same run)."""
        row = self.rows[workload]
        pairs = zip(row.run_bests(num), row.run_bests(den), strict=False)
        return [row.cost(a) / row.cost(b) for a, b in pairs if a and b]


@dataclass
class Results:
    """Every table of one benchmark invocation, with the settings it ran with."""

    benchmark: str
    settings: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def table(self, title: str, contenders: Sequence[str]) -> Table:
        found = self.tables.get(title)
        if found is None:
            found = self.tables[title] = Table(title, list(contenders))
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "settings": self.settings,
            "notes": self.notes,
            "tables": [
                {
                    "title": t.title,
                    "contenders": t.contenders,
                    "rows": [
                        {"workload": w, "unit": r.unit, "samples": r.samples}
                        for w, r in t.rows.items()
                    ],
                }
                for t in self.tables.values()
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Results:
        results = cls(data["benchmark"], data.get("settings", {}), notes=data.get("notes", []))
        for t in data["tables"]:
            table = results.table(t["title"], t["contenders"])
            for r in t["rows"]:
                table.rows[r["workload"]] = Row(r["unit"], r["samples"])
        return results

    def absorb(self, other: Results) -> None:
        """Append ``other``'s runs to ours, cell by cell (``compare.py`` merges runs)."""
        for title, theirs in other.tables.items():
            mine = self.table(title, theirs.contenders)
            for workload, row in theirs.rows.items():
                target = mine.row(workload, row.unit)
                for contender, runs in row.samples.items():
                    target.samples.setdefault(contender, []).extend(runs)

    def write(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=1), encoding="utf-8")


# -- formatting --------------------------------------------------------------------------


def _scale(value: float, unit: str) -> tuple[float, str, str]:
    """How to show figures near ``value``: (divisor, number format, suffix)."""
    if unit == "s":
        return (1.0, ".2f", " s") if value >= 10 else (1e-3, ".1f", " ms")
    if unit == "us":
        return 1.0, ".1f", " us"
    if unit == "B":
        return 2.0**20, ".1f", " MiB"
    if unit == "req/s":
        return 1.0, ",.0f", "/s"
    return 1.0, "g", ""


def fmt(value: float | None, unit: str) -> str:
    """A figure for a table: times in ms (s from 10 s), bytes in MiB, throughput per second."""
    if value is None:
        return "-"
    divisor, spec, suffix = _scale(value, unit)
    return f"{value / divisor:{spec}}{suffix}"


def cell(row: Row | None, contender: str) -> str:
    """``best`` or, with several runs, ``best (lowest-highest run best)``, the range in the
    best's unit."""
    if row is None:
        return "-"
    best = row.best(contender)
    if best is None:
        return "-"
    divisor, spec, suffix = _scale(best, row.unit)
    text = f"{best / divisor:{spec}}{suffix}"
    bests = row.run_bests(contender)
    if len(bests) > 1:
        text += f" ({min(bests) / divisor:{spec}}-{max(bests) / divisor:{spec}})"
    return text


def ratio_cell(table: Table, workload: str, num: str, den: str) -> str:
    """A ratio of bests and, with several runs, the range of the runs' own ratios."""
    value = table.ratio(workload, num, den)
    if value is None:
        return "-"
    text = f"{value:.2f}"
    per_run = table.run_ratios(workload, num, den)
    if len(per_run) > 1:
        text += f" ({min(per_run):.2f}-{max(per_run):.2f})"
    return text


def grid(header: Sequence[str], lines: Sequence[Sequence[str]], left: int = 1) -> str:
    """The first ``left`` columns left-aligned, the others right-aligned, a rule under the
    header."""
    widths = [max(len(str(r[i])) for r in [header, *lines]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            f"{c:<{w}}" if i < left else f"{c:>{w}}"
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "-" * len(line(header))
    return "\n".join([line(header), rule, *(line(r) for r in lines)])


def render(
    table: Table,
    ratios: Sequence[tuple[str, str, str]] = (),
    workloads: Sequence[str] | None = None,
) -> str:
    """The table: one column per contender, then one per ``(label, num, den)`` ratio."""
    names = [w for w in (workloads or list(table.rows)) if w in table.rows]
    present = [c for c in table.contenders if any(table.rows[w].best(c) for w in names)]
    shown = [r for r in ratios if r[1] in present and r[2] in present]
    header = ["workload", *present, *(label for label, _, _ in shown)]
    lines = [
        [w, *(cell(table.rows[w], c) for c in present)]
        + [ratio_cell(table, w, num, den) for _, num, den in shown]
        for w in names
    ]
    return f"{table.title}\n{grid(header, lines)}"


@dataclass
class Target:
    """A goal stated as a bound on a ratio (``strict``: below it, else at most it)."""

    label: str
    workload: str
    num: str
    den: str
    bound: float
    strict: bool = False

    def holds(self, value: float) -> bool:
        return value < self.bound if self.strict else value <= self.bound

    def text(self) -> str:
        return f"{self.label} {'<' if self.strict else '<='} {self.bound:g}"


def render_targets(
    targets: Sequence[Target], tables: Sequence[Table], columns: Sequence[str]
) -> str:
    """One line per target, one column per table: the ratio, and whether it holds."""
    lines = []
    held = missed = 0
    for target in targets:
        cells = []
        for table in tables:
            value = table.ratio(target.workload, target.num, target.den)
            if value is None:
                cells.append("-")
                continue
            ok = target.holds(value)
            held, missed = held + ok, missed + (not ok)
            cells.append(f"{value:.2f} {'holds' if ok else 'MISSED'}")
        lines.append([target.text(), *cells])
    return f"{grid(['target', *columns], lines)}\n{held} held, {missed} missed"


# -- SQLite settings of every contender ----------------------------------------------------


class SqliteSettings:
    """Records each ``sqlite3`` connection a contender opens and reads back its settings.

    The benchmarks promise the same journal mode, ``synchronous`` and ``foreign_keys`` on
    every side. Rather than trust each side's code, this wraps ``sqlite3.connect`` while
    installed, notes which contender was running (:meth:`running`) when a connection was
    opened, and :meth:`check` asks every connection still open what it really uses.
    """

    PRAGMAS = ("journal_mode", "synchronous", "foreign_keys")

    def __init__(self) -> None:
        self._current: str | None = None
        self._opened: dict[str, list[sqlite3.Connection]] = {}
        self._original: Callable[..., sqlite3.Connection] | None = None

    def install(self) -> SqliteSettings:
        original = self._original = sqlite3.connect

        def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            conn = original(*args, **kwargs)
            if self._current is not None:
                self._opened.setdefault(self._current, []).append(conn)
            return conn

        # SQLAlchemy calls sqlite3.dbapi2.connect, the others sqlite3.connect
        sqlite3.connect = sqlite3.dbapi2.connect = connect  # type: ignore[assignment]
        return self

    def uninstall(self) -> None:
        if self._original is not None:
            sqlite3.connect = sqlite3.dbapi2.connect = self._original  # type: ignore[assignment]
            self._original = None

    @contextlib.contextmanager
    def running(self, contender: str) -> Iterator[None]:
        """Attribute connections opened inside the block to ``contender``."""
        before, self._current = self._current, contender
        try:
            yield
        finally:
            self._current = before

    def observed(self) -> dict[str, set[tuple[Any, ...]]]:
        """Per contender, the distinct (journal_mode, synchronous, foreign_keys) of its open
        connections."""
        seen: dict[str, set[tuple[Any, ...]]] = {}
        for contender, conns in self._opened.items():
            for conn in conns:
                try:
                    values = tuple(conn.execute(f"PRAGMA {p}").fetchone()[0] for p in self.PRAGMAS)
                except sqlite3.ProgrammingError:  # closed since, or owned by another thread
                    continue
                seen.setdefault(contender, set()).add((str(values[0]).lower(), *values[1:]))
        return seen

    def check(self, expected: tuple[Any, ...], contenders: Sequence[str]) -> str:
        """A line per contender; exits when one differs from ``expected`` or opened nothing
        (an unfair comparison must not print a table)."""
        seen = self.observed()
        lines, wrong = [], []
        names = dict(zip(self.PRAGMAS, expected, strict=True))
        for contender in contenders:
            found = seen.get(contender, set())
            shown = "; ".join(
                ", ".join(f"{p}={v}" for p, v in zip(self.PRAGMAS, s, strict=True))
                for s in sorted(found, key=str)
            )
            lines.append(f"  {contender}: {shown or 'no open connection seen'}")
            if found != {expected}:
                wrong.append(contender)
        text = "SQLite settings seen on every open connection:\n" + "\n".join(lines)
        if wrong:
            want = ", ".join(f"{p}={v}" for p, v in names.items())
            sys.exit(f"{text}\nnot the same on every side (want {want}): {', '.join(wrong)}")
        return text
