"""The architecture rules of docs/architecture.md, checked on every run.

- the layer contract and the no-circle contract of ``[tool.importlinter]`` in pyproject
  (import-linter on grimp's graph: type-only and function-level imports count);
- no module reaches into another module's private (``_name``) names;
- no module of ``polynom/`` is over 900 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "polynom"
MAX_LINES = 900


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _dotted(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def test_import_contracts_are_kept(capsys: pytest.CaptureFixture[str]) -> None:
    from importlinter.api import read_configuration  # noqa: F401  (configures import-linter)
    from importlinter.application.use_cases import lint_imports

    kept = lint_imports(config_filename=str(ROOT / "pyproject.toml"), cache_dir=None, no_logo=True)
    report = capsys.readouterr().out
    assert kept, report
    assert "Contracts: 3 kept, 0 broken." in report, report


def test_the_layer_contract_sees_type_only_and_function_level_imports() -> None:
    """A TYPE_CHECKING import and an import inside a function both break the contract."""
    import grimp

    graph = grimp.build_graph("polynom", cache_dir=None, exclude_type_checking_imports=False)
    type_only = graph.get_import_details(
        importer="polynom.unit_of_work.identity", imported="polynom.model.model"
    )
    assert type_only, "the TYPE_CHECKING import of identity.py is not in the graph"
    in_function = graph.get_import_details(
        importer="polynom.stores", imported="polynom.stores.sqlite"
    )
    assert in_function, "the import inside open_store() is not in the graph"


def _is_module(dotted: str) -> bool:
    path = PACKAGE.parent / dotted.replace(".", "/")
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _private_uses(path: Path) -> list[str]:
    """Uses of another module's private names: ``from X import _name`` and ``X._name``.

    A private name belongs to its module; a private *module* (``pkg._mod``) to its package,
    whose modules may import it (import-linter's private-modules contract checks the rest).
    """
    importer = _dotted(path)
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    modules: dict[str, str] = {}  # local name -> the polynom module it is bound to
    found: list[str] = []

    def allowed(module: str, name: str) -> bool:
        inside = importer == module or importer.startswith(module + ".")
        if _is_module(f"{module}.{name}"):  # a private submodule: its package's
            return inside
        return importer == module

    def private(name: str) -> bool:
        return name.startswith("_") and not name.startswith("__")

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("polynom"):
            for alias in node.names:
                if private(alias.name) and not allowed(node.module, alias.name):
                    found.append(f"{importer}: from {node.module} import {alias.name}")
                if _is_module(f"{node.module}.{alias.name}"):
                    modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("polynom") and alias.asname:
                    modules[alias.asname] = alias.name
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and private(node.attr)
            and not allowed(modules[node.value.id], node.attr)
        ):
            found.append(f"{importer}: {node.value.id}.{node.attr}")
    return found


def test_no_module_uses_another_modules_private_names() -> None:
    found = [use for path in _modules() for use in _private_uses(path)]
    assert found == []


def test_no_module_is_over_900_lines() -> None:
    lengths = {
        str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines())
        for p in _modules()
    }
    over = {name: n for name, n in lengths.items() if n > MAX_LINES}
    assert over == {}, f"modules over {MAX_LINES} lines"
