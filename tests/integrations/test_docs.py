"""The python blocks of docs/web.md, docs/celery.md, docs/testing.md and its fixtures page run.

Each file's blocks run in order in one namespace, in a fresh process (the schema registry
is process-wide) with an empty working directory. ```python no-run blocks are skipped;
```python file=NAME blocks are written to NAME and run as a pytest suite instead.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ["web.md", "celery.md", "testing.md", "testing-fixtures.md"]
FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)
RUNNER = """
import json, sys
namespace = {"__name__": "__main__"}
for block in json.load(open(sys.argv[1], encoding="utf-8")):
    exec(compile(block["code"], block["where"], "exec"), namespace)
"""


def blocks(path: Path) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The program blocks (with where they start) and the ``file=`` blocks of a page."""
    text = path.read_text(encoding="utf-8")
    program, files = [], {}
    for match in FENCE.finditer(text):
        info = match.group("info").split()
        if not info or info[0] != "python" or "no-run" in info[1:]:
            continue
        names = [i.removeprefix("file=") for i in info[1:] if i.startswith("file=")]
        if names:
            files[names[0]] = match.group("body")
        else:
            line = text.count("\n", 0, match.start("body"))
            program.append({"code": "\n" * line + match.group("body"), "where": str(path)})
    return program, files


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYNOM_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


@pytest.mark.parametrize("name", DOCS)
def test_the_examples_run(name: str, tmp_path: Path) -> None:
    program, files = blocks(ROOT / "docs" / name)
    assert program or files, f"{name} has no runnable example"
    work = tmp_path / "cwd"
    work.mkdir()
    if program:
        source = tmp_path / "blocks.json"
        source.write_text(json.dumps(program), encoding="utf-8")
        done = subprocess.run(
            [sys.executable, "-c", RUNNER, str(source)],
            cwd=work, env=_env(), capture_output=True, text=True, timeout=90,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-4000:]
    if files:
        for file_name, body in files.items():
            (work / file_name).write_text(body, encoding="utf-8")
        suite = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        done = subprocess.run(
            [*suite, "--rootdir", str(work)],
            cwd=work, env=_env(), capture_output=True, text=True, timeout=90,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
        assert " passed" in done.stdout and "failed" not in done.stdout
