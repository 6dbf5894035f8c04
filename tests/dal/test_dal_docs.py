"""docs/dal.md is runnable as written: its python blocks run, in order, as one program."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "dal.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", text, flags=re.S | re.M)


def test_doc_has_the_quick_start_blocks() -> None:
    blocks = python_blocks(DOC.read_text())
    assert len(blocks) >= 5
    assert "create_data_manager" in blocks[0]
    assert 'dm.context(meta={"user": "alice"})' in blocks[1]


def test_python_blocks_of_dal_md_run(tmp_path: Path) -> None:
    # A subprocess: the doc's schemas must not join this test process's registry, and the
    # program runs exactly as a reader would run it (in an empty working directory).
    program = "\n\n".join(python_blocks(DOC.read_text()))
    script = tmp_path / "dal_md.py"
    script.write_text(program + "\nprint('dal.md ok')\n")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("dal.md ok")
