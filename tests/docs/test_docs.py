"""Every ```python block of the README and the user guide runs, as written.

Each markdown file's blocks run in order, in one namespace, in a fresh process (the schema
registry is process-wide, so files cannot disturb each other or the rest of the suite)
with an empty temporary working directory and the checkout importable (the bike shop's
blocks import ``examples``; in ``docs/dal.md``, whose other blocks another test runs
without it, they are fenced ```python examples). A block fenced ```python no-run is skipped.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guide"
DOCS = [
    ROOT / "README.md",
    ROOT / "docs" / "index.md",
    ROOT / "docs" / "dal.md",
    *sorted(GUIDE.glob("*.md")),
]

FENCE = re.compile(r"^```(?P<info>[^\n`]*)\n(?P<body>.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)

RUNNER = """
import json, sys, traceback
blocks = json.load(open(sys.argv[1], encoding="utf-8"))
namespace = {"__name__": "__main__"}
for block in blocks:
    try:
        exec(compile(block["code"], block["where"], "exec"), namespace)
    except BaseException:
        print(f"--- the block at {block['where']} failed:", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
"""


def python_blocks(path: Path) -> list[dict[str, str]]:
    """The runnable python blocks of a markdown file, with where they start."""
    text = path.read_text(encoding="utf-8")
    blocks = []
    for match in FENCE.finditer(text):
        info = match.group("info").split()
        if not info or info[0] not in ("python", "py") or "no-run" in info[1:]:
            continue
        line = text.count("\n", 0, match.start("body")) + 1
        # pad with blank lines so tracebacks show the markdown file's line numbers
        code = "\n" * (line - 1) + match.group("body")
        where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        blocks.append({"code": code, "where": str(where)})
    return blocks


def test_the_guide_exists() -> None:
    names = {p.name for p in DOCS}
    for expected in ("quickstart.md", "models.md", "sessions.md", "queries.md", "cli.md"):
        assert expected in names, f"docs/guide/{expected} is missing"


def test_fences_are_parsed(tmp_path: Path) -> None:
    sample = "x\n```python\na = 1\n```\n```python no-run\nboom()\n```\n```bash\nls\n```\n"
    path = tmp_path / "probe.md"
    path.write_text(sample, encoding="utf-8")
    blocks = python_blocks(path)
    assert [b["code"].strip() for b in blocks] == ["a = 1"]
    assert blocks[0]["code"].startswith("\n\n")  # line numbers match the markdown file


def run_blocks(blocks: list[dict[str, str]], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run the blocks in order in one namespace, in a fresh process and an empty cwd."""
    source = tmp_path / "blocks.json"
    source.write_text(json.dumps(blocks), encoding="utf-8")
    work = tmp_path / "cwd"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLYNOM_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-c", RUNNER, str(source)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_failing_block_fails_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.md"
    path.write_text("# t\n\n```python\nx = 1\n```\n\n```python\nassert x == 2\n```\n")
    proc = run_blocks(python_blocks(path), tmp_path)
    assert proc.returncode == 1
    assert "broken.md" in proc.stderr and "line 8" in proc.stderr


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_blocks_run(path: Path, tmp_path: Path) -> None:
    assert path.exists(), f"{path} is missing"
    blocks = python_blocks(path)
    if not blocks:
        pytest.skip(f"{path.name} has no python blocks")
    proc = run_blocks(blocks, tmp_path)
    assert proc.returncode == 0, proc.stderr[-4000:] + proc.stdout[-1000:]


def _commands(readme: str) -> list[str]:
    """The shell lines of the README's ```bash blocks."""
    lines = []
    for match in FENCE.finditer(readme):
        if match.group("info").strip() in ("bash", "sh", "shell", "console"):
            lines += [line.strip() for line in match.group("body").splitlines() if line.strip()]
    return lines


def test_readme_starts_with_the_setup_commands() -> None:
    """The first command installs only the demo's extra and starts it; the second is CI's."""
    commands = _commands((ROOT / "README.md").read_text(encoding="utf-8"))
    venv = "python3 -m venv .venv && .venv/bin/pip install -e"
    assert commands[0] == f'{venv} ".[demo]" && .venv/bin/python -m examples.bikeshop'
    assert commands[1] == f'{venv} ".[test]" && .venv/bin/python -m pytest -q'


def test_the_demo_extra_holds_what_the_demo_imports() -> None:
    """Everything the demo's modules import (but Celery, optional) is in the demo extra."""
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    demo = {re.split(r"[<>=\[ ]", d)[0].lower() for d in extras["optional-dependencies"]["demo"]}
    assert {"fastapi", "uvicorn", "fastapi-offline", "starlette-admin"} <= demo
    assert not {"pytest", "ruff", "mypy", "testcontainers", "playwright"} & demo


def test_ci_runs_the_readme_test_command() -> None:
    ci = ROOT / ".ci" / "run"
    if not ci.exists():
        pytest.skip(".ci/run is not there")
    readme_line = _commands((ROOT / "README.md").read_text(encoding="utf-8"))[1]

    ci_lines = [
        line.strip()
        for line in ci.read_text(encoding="utf-8").splitlines()
        if "pytest" in line and not line.lstrip().startswith("#")
    ]
    assert ci_lines, ".ci/run runs no pytest line"
    # pip's -q only quiets the install output; everything else must be the same
    assert _normalise(ci_lines[-1]) == _normalise(readme_line)


def _normalise(line: str) -> list[str]:
    words = shlex.split(line)
    out = []
    for i, word in enumerate(words):
        if word == "-q" and i > 0 and words[i - 1] == "install":
            continue
        out.append(word)
    return out


LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(path: Path) -> set[str]:
    """GitHub's anchors for the headings of a markdown file."""
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    anchors = set()
    for line in text.splitlines():
        if line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors


def broken_links(path: Path) -> list[str]:
    """The relative links of a markdown file whose file or heading does not exist."""
    broken = []
    for target in LINK.findall(FENCE.sub("", path.read_text(encoding="utf-8"))):
        if "://" in target or target.startswith("mailto:"):
            continue
        file_part, _, anchor = target.partition("#")
        resolved = (path.parent / file_part).resolve() if file_part else path
        if not resolved.exists():
            broken.append(f"{target} (no {resolved})")
        elif anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(f"{target} (no heading #{anchor})")
    return broken


def test_broken_links_are_found(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# A title, here\n")
    doc = tmp_path / "doc.md"
    doc.write_text(
        "[ok](other.md) [ok](other.md#a-title-here) [web](https://x.org/y) [self](#top)\n"
        "# Top\n[gone](missing.md) [bad anchor](other.md#nope)\n"
    )
    assert [b.split()[0] for b in broken_links(doc)] == ["missing.md", "other.md#nope"]


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_lead_somewhere(path: Path) -> None:
    broken = broken_links(path)
    assert not broken, f"{path.name}: broken links: {broken}"


def test_every_page_is_linked_from_the_index() -> None:
    """One page per topic, each reachable from docs/index.md (nothing written for no one)."""
    index = ROOT / "docs" / "index.md"
    linked = {
        (index.parent / target.partition("#")[0]).resolve()
        for target in LINK.findall(FENCE.sub("", index.read_text(encoding="utf-8")))
        if "://" not in target
    }
    pages = {p.resolve() for p in (ROOT / "docs").rglob("*.md")} - {index.resolve()}
    assert sorted(str(p.relative_to(ROOT)) for p in pages - linked) == []


def test_the_guide_has_one_page_per_topic() -> None:
    """No topic has a guide page and a reference page: the DAL, web, Celery and testing pages
    live in docs/ alone."""
    for topic in ("dal", "web", "celery", "testing"):
        assert (ROOT / "docs" / f"{topic}.md").exists()
        assert not (GUIDE / f"{topic}.md").exists(), f"docs/guide/{topic}.md duplicates a topic"
