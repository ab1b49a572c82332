"""The layering rules hold: imports flow bot -> jobs -> storage -> bulletin -> config, and the domain stays pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package -> top-level modules it must never import
FORBIDDEN: dict[str, set[str]] = {
    # The typed config is the bottom layer: every package may import it, it imports none of ours.
    "config": {"telegram", "sqlalchemy", "alembic", "httpx", "aiohttp", "bulletin", "storage", "jobs", "bot",
               "bulletin_bot", "localbotapi", "chinese_calendar"},
    "bulletin": {"telegram", "sqlalchemy", "alembic", "httpx", "aiohttp", "bot", "jobs", "storage", "bulletin_bot",
                 "localbotapi"},
    "storage": {"telegram", "bot", "jobs", "bulletin_bot", "localbotapi"},
    "jobs": {"telegram", "bot", "bulletin_bot", "localbotapi"},
    "bot": {"bulletin_bot", "localbotapi", "web"},
    # The web reader stands beside the bot (web -> jobs -> storage -> bulletin): neither imports the other; the CLI
    # composes them (the bot's webhook served by the reader's server).
    "web": {"telegram", "bot", "bulletin_bot", "localbotapi"},
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


# --- inside packages: no import cycles; bot's features stand side by side on bot/common


PACKAGES = ("config", "bulletin", "storage", "jobs", "bot", "bulletin_bot", "localbotapi", "web")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _known_modules() -> dict[str, Path]:
    return {_module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))}


def _imported_modules(path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules PATH imports at run time (late imports in functions included), package inits left out.

    'from bot.common import chat' counts as bot.common.chat when that is a module; relative imports are resolved.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = _module_name(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for stmt in node.body
        for inner in ast.walk(stmt)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:  # not imported at run time
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*here[: len(here) - node.level + 1], *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    # A package's __init__ only names the package here; importing a submodule is the edge that matters.
    return {name for name in found if name in known and known[name].name != "__init__.py"}


def _graph() -> dict[str, set[str]]:
    known = _known_modules()
    return {name: _imported_modules(path, known) - {name} for name, path in known.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_cycle_finder_sees_a_cycle() -> None:
    graph = {"bot.a": {"bot.b"}, "bot.b": {"bot.c"}, "bot.c": {"bot.a"}, "bot.d": {"bot.a"}}
    assert _cycles(graph) == [["bot.a", "bot.b", "bot.c"]]
    assert _cycles({"bot.a": {"bot.b"}, "bot.b": set()}) == []


def test_graph_reads_module_imports_of_the_bot() -> None:
    graph = _graph()
    assert "bot.common.chat" in graph["bot.features.reading"]
    assert "bot.features.reading" in graph["bot.app"]


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_cycle_inside_a_package(package: str) -> None:
    graph = {name: {m for m in deps if m.split(".")[0] == package}
             for name, deps in _graph().items() if name.split(".")[0] == package}
    assert _cycles(graph) == []


def test_features_import_no_other_feature_and_only_the_root_imports_features() -> None:
    graph = _graph()
    features = {name for name in graph if name.startswith("bot.features.")}
    assert {"bot.features.reading", "bot.features.access", "bot.features.desk", "bot.features.corrections",
            "bot.features.receipts", "bot.features.push"} <= features
    violations = [
        f"{name} imports {dep}"
        for name, deps in graph.items()
        if name.startswith("bot.") and name != "bot.app"
        for dep in sorted(deps & features)
        if dep != name
    ]
    assert violations == []


def test_bot_common_is_below_the_features() -> None:
    graph = _graph()
    violations = [
        f"{name} imports {dep}"
        for name, deps in graph.items()
        if name.startswith("bot.common.")
        for dep in sorted(deps)
        if dep.startswith("bot.features.") or dep == "bot.app"
    ]
    assert violations == []


TESTS = ROOT / "tests"


def _test_module_imports(path: Path) -> set[str]:
    """What PATH imports that is a test module or a conftest (helpers belong in tests/support, fixtures in conftest)."""
    return {name for name in _imports(path) if name.startswith("test_") or name == "conftest"}


def test_no_test_module_imports_another_test_module_and_every_test_sits_in_a_layer_folder() -> None:
    files = sorted(TESTS.rglob("*.py"))
    assert len(files) > 50, "the test tree was not found"
    violations = {str(f.relative_to(TESTS)): sorted(_test_module_imports(f)) for f in files if _test_module_imports(f)}
    assert violations == {}
    outside = [str(f.relative_to(TESTS)) for f in TESTS.rglob("test_*.py")
               if f.relative_to(TESTS).parts[0] not in {"unit", "integration", "e2e"}]
    assert outside == []


def test_the_test_import_check_sees_one(tmp_path: Path) -> None:
    module = tmp_path / "test_x.py"
    module.write_text("from test_bot_e2e import TOKEN\nimport conftest\nfrom support.bot import ChatUser\n")
    assert _test_module_imports(module) == {"test_bot_e2e", "conftest"}
