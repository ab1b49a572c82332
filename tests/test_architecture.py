"""The layering rules hold: imports flow bot -> jobs -> storage, and the domain stays pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# package -> top-level modules it must never import
FORBIDDEN: dict[str, set[str]] = {
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
        f"{path.relative_to(ROOT)} contains {literal!r}"
        for path in files
        for literal in _USER_FACING_IN_STORAGE
        if literal in path.read_text(encoding="utf-8")
    ]
    assert violations == []


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
