"""The installed ``polynom`` script, run as a real subprocess (as a user runs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

APP = "2b7f4c1e-8d1a-4f7e-b3c9-5a6d7e8f9a0b"


def polynom_script() -> str:
    """The console script pip installed next to this interpreter."""
    beside = Path(sys.executable).with_name("polynom")
    found = str(beside) if beside.exists() else shutil.which("polynom")
    assert found, "the polynom console script is not installed: pip install -e ."
    return found


def run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("POLYNOM_")}
    environ.pop("PYTHONPATH", None)  # the project directory must be importable on its own
    environ.update(env)
    return subprocess.run(
        [polynom_script(), *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=60
    )


def test_the_installed_script_checks_and_migrates_from_the_project_directory(
    project: Path, write_models: Callable[..., str]
) -> None:
    models = write_models()
    env = {"POLYNOM_URL": "sqlite:///shop.db", "POLYNOM_APP": APP, "POLYNOM_MODELS": models}
    (project / "shop.db").touch()

    check = run(project, "check", **env)
    assert check.returncode == 1, check.stderr
    assert "new entity" in check.stdout

    migrate = run(project, "migrate", **env)
    assert migrate.returncode == 0, migrate.stderr
    assert run(project, "check", **env).returncode == 0

    unreachable = run(project, "check", "--url", "polypheny://127.0.0.1:1", **env)
    assert unreachable.returncode == 3
    assert unreachable.stderr.count("\n") == 1  # one line, no traceback
    assert "cannot reach Polypheny at 127.0.0.1:1" in unreachable.stderr

    missing = run(project, "check", "--models", "myproj.models", **env)
    assert missing.returncode == 2
    assert missing.stderr.startswith("polynom: error: cannot import the models module")


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_the_script_starts(tmp_path: Path, flag: str) -> None:
    result = run(tmp_path, flag)
    assert result.returncode == 0, result.stderr
    assert "polynom" in result.stdout
