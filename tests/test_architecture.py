"""The layering rules hold: imports flow bot -> jobs -> storage -> bulletin -> config, and the domain stays pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# package -> top-level modules it must never import
FORBIDDEN: dict[str, set[str]] = {
    # The typed config is the bottom layer: every package may import it, it imports none of ours.
    "config": {"telegram", "sqlalchemy", "alembic", "httpx", "aiohttp", "bulletin", "storage", "jobs", "bot",
               "bulletin_bot", "localbotapi", "chinese_calendar"},
    "bulletin": {"telegram", "sqlalchemy", "alembic", "httpx", "aiohttp", "bot", "jobs", "storage", "bulletin_bot",
                 "localbotapi"},
    "storage": {"telegram", "bot", "jobs", "bulletin_bot", "localbotapi"},
    "jobs": {"telegram", "bot", "bulletin_bot", "localbotapi"},
    "bot": {"bulletin_bot", "localbotapi"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_respects_layering(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    violations = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in sorted(_imports(path) & FORBIDDEN[package])
    ]
    assert violations == []


# Text for people is built by the renderer in the reader's language; storage returns data only.
_USER_FACING_IN_STORAGE = ("年第", "期", "No. ")


def test_storage_formats_no_text_for_people() -> None:
    files = sorted((ROOT / "storage").rglob("*.py"))
    violations = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in sorted(_modules(path) & {"bulletin.i18n", "bulletin.render"})
    ]
    violations += [
        f"{path.relative_to(ROOT)} has a string with {literal!r}: {text!r}"
        for path in files
        for text in _strings(path)
        for literal in _USER_FACING_IN_STORAGE
        if literal in text
    ]
    assert violations == []


def _strings(path: Path) -> list[str]:
    """The string literals of PATH (f-string parts included), docstrings left out: they are not output."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def _modules(path: Path) -> set[str]:
    """Full dotted names imported by PATH, 'from bulletin import render' counted as bulletin.render."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found
