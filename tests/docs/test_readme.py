"""The README's command blocks, pasted in order into a shell in a fresh clone, all work.

The clone is of the committed ``HEAD`` (``git clone``): what a new user gets. Each ```bash
block runs as written, in order, in one working directory, with a clean environment (no
``POLYNOM_*``, no Celery broker) -- with one difference a person would not notice: the demo,
a server, runs until it prints its address, its pages are fetched, and it is stopped (as
``Ctrl+C`` would), on a free port (``PORT``). The test command runs the whole suite again in
the clone (this test skips itself there), so this takes minutes: it runs in CI (``CI`` set)
or when ``POLYNOM_README_TEST=1``.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
INNER = "POLYNOM_README_INNER"

pytestmark = [
    pytest.mark.skipif(bool(os.environ.get(INNER)), reason="inside the README's own test run"),
    pytest.mark.skipif(
        not (os.environ.get("CI") or os.environ.get("POLYNOM_README_TEST")),
        reason="installs the demo and runs the suite again in a fresh clone (minutes): runs "
        "in CI, or with POLYNOM_README_TEST=1",
    ),
    pytest.mark.timeout(1800),
]


def bash_blocks(text: str) -> list[str]:
    return [
        m.group("body")
        for m in FENCE.finditer(text)
        if m.group("info").strip() in ("bash", "sh", "shell")
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def run_server_block(block: str, cwd: Path, env: dict[str, str]) -> None:
    """Run a block that ends by starting the demo: wait for its address, check it, stop it."""
    proc = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 600  # the install comes first
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "bikeshop: open " in line:
                break
            assert time.monotonic() < deadline, "the demo never printed its address"
        else:
            raise AssertionError("the demo stopped:\n" + "".join(lines[-40:]))
        base = f"http://127.0.0.1:{env['PORT']}"
        assert f"open {base}/" in lines[-1]
        home = httpx.get(f"{base}/", timeout=10)
        assert home.status_code == 200 and "Bike shop" in home.text
        bikes = httpx.get(f"{base}/api/bikes", timeout=10).json()
        assert bikes["total"] == 10
        assert httpx.get(f"{base}/api/docs", timeout=10).status_code == 200
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl+C
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def test_every_readme_command_block_works_in_a_fresh_clone(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=120)
    blocks = bash_blocks((clone / "README.md").read_text(encoding="utf-8"))
    assert len(blocks) >= 3, "the README has lost its command blocks"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("POLYNOM_", "CELERY_", "VIRTUAL_ENV", "PYTHON"))
    }
    env.update({INNER: "1", "PORT": str(free_port()), "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
    for number, block in enumerate(blocks, 1):
        if "-m examples.bikeshop" in block:
            run_server_block(block, clone, env)
            continue
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", block],
            cwd=clone, env=env, capture_output=True, text=True, timeout=1200,
        )  # fmt: skip
        assert done.returncode == 0, (
            f"README block {number} failed:\n{block}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
        if "polynom history" in block:
            assert "Moots" in done.stdout and "seed" in done.stdout, done.stdout
