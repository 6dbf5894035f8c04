"""Crash safety on a file store: a writer process killed with SIGKILL mid-commit, again and
again, leaves an intact database in which every transaction is all or nothing, every
acknowledged commit is kept, and the changelog matches the data exactly.

The writer (``_crash_writer``) commits transactions of ``ROWS`` inserts plus an update of a
tally entry, with a changelog. The test kills it ``KILLS`` times, each time a random few
milliseconds after it announced a transaction (so the kill lands while it flushes or
commits), then checks the file and starts the writer again where the data says it stopped.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

from polynom.changelog import ChangeLog
from polynom.session import Session
from tests.session._crash_writer import ROWS, TALLY_ID, Ledger, Tally, open_app

#: Kills per run (``CRASH_KILLS`` to try more by hand, e.g. 50).
KILLS = int(os.environ.get("CRASH_KILLS", "6"))
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")


def run_writer_until_killed(path: Path, app_uuid: str, first: int, rng: random.Random) -> int:
    """Start the writer at batch ``first``, kill it mid-transaction; the last batch acknowledged."""
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.session._crash_writer", str(path), app_uuid, str(first)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None
    kill_at = first + rng.randrange(1, 4)  # let a few commits through first
    said: list[str] = []
    try:
        for line in writer.stdout:
            said.append(line)
            word, number = line.split()
            if word == "begin" and int(number) >= kill_at:
                time.sleep(rng.uniform(0, 0.02))  # somewhere in a flush or a commit
                writer.send_signal(signal.SIGKILL)
                break
        else:
            pytest.fail(f"the writer stopped by itself (exit {writer.wait()})")
        said.extend(writer.stdout.read().splitlines())  # what it wrote before it died
    finally:
        writer.kill()
        writer.wait(30)
    assert writer.returncode == -signal.SIGKILL
    done = [int(n) for word, n in (x.split() for x in said) if word == "done"]
    return max(done, default=first - 1)


def check_store(path: Path, app_uuid: str, acknowledged: int) -> int:
    """Integrity, all-or-nothing, durability and changelog; returns the last batch stored."""
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    with open_app(str(path), app_uuid) as app, Session(app) as session:
        tally = session.get(Tally, TALLY_ID)
        last = tally.last if tally is not None else 0
        entries = Ledger.query(session).all()
        per_batch = Counter(e.batch for e in entries)
        # every transaction is all or nothing, and the tally moved with it
        assert set(per_batch) == set(range(1, last + 1)), per_batch
        assert set(per_batch.values()) <= {ROWS}, per_batch
        # every commit that returned is kept; at most the one in flight may also have landed
        assert last in (acknowledged, acknowledged + 1)
        for entry in entries:
            assert entry.payload == {"i": entry.seq, "of": [entry.batch]}
        # the changelog holds exactly the changes of the stored transactions
        log = ChangeLog.query(session).filter_by(app_uuid=app_uuid).all()
        inserted = {r.modified_entry_id for r in log if r.modified_entity_name == "ledger"}
        assert inserted == {e._entry_id for e in entries}
        assert all(r.change_type == "insert" for r in log if r.modified_entity_name == "ledger")
        tally_changes = [r for r in log if r.modified_entity_name == "tally"]
        assert len(tally_changes) == last
        session.rollback()
    return last


def test_sigkill_mid_commit_loses_no_acknowledged_commit_and_leaves_no_partial_one(tmp_path):
    rng = random.Random(os.environ.get("CRASH_SEED", uuid.uuid4().hex))
    path = tmp_path / "crash.db"
    app_uuid = str(uuid.uuid4())
    last = 0
    landed_in_flight = 0
    for _ in range(KILLS):
        acknowledged = run_writer_until_killed(path, app_uuid, last + 1, rng)
        stored = check_store(path, app_uuid, acknowledged)
        landed_in_flight += stored > acknowledged
        last = stored
    assert last >= KILLS  # each run committed at least one transaction
    print(f"{KILLS} kills survived; {landed_in_flight} landed after the commit, before its ack")
