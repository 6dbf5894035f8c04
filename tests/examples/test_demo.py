"""``python -m examples.bikeshop``: the demo the README's first command starts."""

from __future__ import annotations

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Demo:
    """The demo as a subprocess in ``cwd``; waits until it prints where to open it."""

    def __init__(self, cwd: Path, **env: str) -> None:
        self.port = free_port()
        environ = {k: v for k, v in os.environ.items() if not k.startswith("POLYNOM_")}
        environ["PYTHONPATH"] = str(ROOT)  # as when run from the repository root
        environ.update(env)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "examples.bikeshop", "--port", str(self.port)],
            cwd=cwd,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.output: list[str] = []

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 60) -> str:
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"the demo never printed {text!r}: {self.output}") from None
            self.output.append(line)
            if text in line:
                return line

    def __enter__(self) -> Demo:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def test_the_demo_seeds_once_and_serves_the_site(tmp_path: Path) -> None:
    env = {"CELERY_BROKER_URL": ""}
    with Demo(tmp_path, **env) as demo:
        assert "wrote 13 sample entries" in demo.wait_for("bikeshop: wrote")
        assert "run in the request" in demo.wait_for("reprices")
        line = demo.wait_for("bikeshop: open")
        base = f"http://127.0.0.1:{demo.port}"
        assert f"open {base}/ " in line and f"{base}/api/docs" in line
        home = httpx.get(f"{base}/", timeout=10)
        assert home.status_code == 200 and "Bike shop" in home.text
        bikes = httpx.get(f"{base}/api/bikes", timeout=10)
        assert bikes.status_code == 200 and bikes.json()["total"] == 10
    assert (tmp_path / "bikeshop.db").exists()

    with Demo(tmp_path, **env) as demo:  # a second start keeps the data and does not seed again
        assert "using the data in sqlite:///bikeshop.db" in demo.wait_for("bikeshop: using")
        demo.wait_for("bikeshop: open")
        bikes = httpx.get(f"http://127.0.0.1:{demo.port}/api/bikes", timeout=10)
        assert bikes.json()["total"] == 10


def test_the_demo_uses_polynom_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    with Demo(tmp_path, POLYNOM_URL=url) as demo:
        assert url in demo.wait_for("bikeshop: wrote")
        demo.wait_for("bikeshop: open")
    assert (tmp_path / "elsewhere.db").exists()
    assert not (tmp_path / "bikeshop.db").exists()
