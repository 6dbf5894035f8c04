"""Running PolyNOM 0.3.2 itself, for the tests that compare with it or hand it our data.

PolyNOM 0.3 installs a package called ``polynom`` too, so it lives in its own virtualenv:
``.ci/run`` makes ``.benchvenv`` (``pip install polypheny-polynom==0.3.2``), or point
``POLYNOM03_PYTHON`` at such an interpreter. Tests skip, saying why, without one.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def polynom03_python() -> str | None:
    """An interpreter that imports PolyNOM 0.3.2 (and the driver), or None."""
    candidate = os.environ.get("POLYNOM03_PYTHON") or str(ROOT / ".benchvenv" / "bin" / "python")
    if not Path(candidate).exists():
        return None
    probe = subprocess.run(
        [candidate, "-c", "import polynom.application, polypheny"],
        capture_output=True,
        timeout=60,
        cwd="/",
    )
    return candidate if probe.returncode == 0 else None


def require_polynom03() -> str:
    python = polynom03_python()
    if python is None:
        pytest.skip("no interpreter with polypheny-polynom==0.3.2 (.benchvenv or POLYNOM03_PYTHON)")
    return python


def run_polynom03(script: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    """Run a PolyNOM 0.3.2 program; the JSON document it prints last (it must succeed)."""
    python = require_polynom03()
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    environment["TZ"] = "UTC"  # PolyNOM sends naive datetimes as the host's local time
    environment.update(env or {})
    run = subprocess.run(
        [python, str(script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=str(script.parent),
        env=environment,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])
