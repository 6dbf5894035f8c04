"""PolyNOM 0.3 (the reference mapper) against the Prism stand-in.

PolyNOM 0.3 installs a package called ``polynom`` too, so it lives in its own virtualenv:
``python3 -m venv .benchvenv && .benchvenv/bin/pip install polypheny-polynom==0.3.2``
(or point ``POLYNOM03_PYTHON`` at such an interpreter). Without one the test is skipped.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from polynom.testing import PrismServer
from tests.polynom03 import require_polynom03

HERE = Path(__file__).parent


def test_a_polynom03_program_runs_against_the_stand_in():
    python = require_polynom03()
    with PrismServer(record_statements=True) as server:
        run = subprocess.run(
            [python, str(HERE / "polynom03_app.py"), str(server.port)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=str(HERE),
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        )
        sent = [sql for _lang, sql, _ns in server.statements]
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().endswith("done")
    assert any(sql.startswith("CREATE RELATIONAL NAMESPACE") for sql in sent)
    assert sys.executable != python
