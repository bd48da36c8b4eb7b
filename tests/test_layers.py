"""Imports point down: nothing below the command line imports it (DESIGN.md, "Imports point down only")."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_module_below_the_command_line_imports_it() -> None:
    below = [p for p in (REPO / "pipeline").rglob("*.py")
             if "cli" not in p.relative_to(REPO / "pipeline").parts and p.name != "__main__.py"]
    offenders = {str(p.relative_to(REPO)): sorted(n for n in _imports(p) if n.split(".")[:2] == ["pipeline", "cli"])
                 for p in below}
    assert {path: names for path, names in offenders.items() if names} == {}
    assert len(below) > 50
