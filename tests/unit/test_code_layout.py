"""The layout issue 8 promised, checked: one key vocabulary, mirrored in the docs;
no import cycle in the package or in the local stack (``local/``); no fakes and no
file over ~400 lines in the package."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "chalicelib"
LOCAL = ROOT / "local"


def _table_rows(text: str) -> list[list[str]]:
    """The rows of the key table (the first pipe table whose header starts with item)."""
    lines = text.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("| item | pk | sk"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        if set(line) <= {"|", "-", " "}:
            continue
        rows.append([cell.strip().replace("`", "") for cell in line.strip("|").split("|")])
    return rows


def test_architecture_doc_mirrors_the_key_vocabulary_row_for_row() -> None:
    keys = (PACKAGE / "adapters" / "dynamodb" / "keys.py").read_text()
    doc = (ROOT / "docs" / "architecture.md").read_text()
    assert _table_rows(doc) == _table_rows(keys)
    assert len(_table_rows(keys)) > 20


# the vocabulary (keys.py, with the whole table) and its contact-center half
KEY_MODULES = {"keys.py", "keys_contact_center.py"}


def test_keys_are_built_only_in_the_key_module() -> None:
    key_literal = re.compile(r'f"[A-Z]{2,}#|"[A-Z]{2,}#"')
    offenders = [
        f"{path.name}:{n}"
        for path in (PACKAGE / "adapters" / "dynamodb").glob("*.py")
        if path.name not in KEY_MODULES
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if key_literal.search(line)
    ]
    assert offenders == []


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function; ``from a import
    b`` counts as importing ``a`` and, when it is a module, ``a.b``."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_cycles(*folders: Path) -> list[list[str]]:
    """The import cycles among the modules under ``folders`` (each as a path of names)."""
    modules = {_module(p): p for folder in folders for p in folder.rglob("*.py")}
    graph = {
        name: {m for m in _imports(path) if m in modules and m != name}
        for name, path in modules.items()
    }
    visiting: list[str] = []
    done: set[str] = set()
    cycles: list[list[str]] = []

    def visit(name: str) -> None:
        if name in done:
            return
        if name in visiting:
            cycles.append([*visiting[visiting.index(name) :], name])
            return
        visiting.append(name)
        for dependency in sorted(graph[name]):
            visit(dependency)
        visiting.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)
    return cycles


def test_no_import_cycle_in_the_package() -> None:
    assert import_cycles(PACKAGE) == []


def test_no_import_cycle_in_the_local_stack() -> None:
    """Imports inside functions count: a cycle there still ties the modules together."""
    assert import_cycles(LOCAL) == []


def test_the_cycle_check_sees_imports_inside_functions(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def f():\n    from b import g\n")
    (tmp_path / "b.py").write_text("import a\n")
    assert _imports(tmp_path / "a.py") == {"b", "b.g"}
    assert _imports(tmp_path / "b.py") == {"a"}


def test_the_package_holds_no_fakes_and_no_oversized_file() -> None:
    fakes = [
        p.name
        for p in PACKAGE.rglob("*.py")
        if re.search(r"^class (InMemory|Memory|Fake)", p.read_text(), re.M)
    ]
    assert fakes == []
    oversized = [
        f"{p.relative_to(ROOT)} ({n} lines)"
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text().splitlines())) > 450
    ]
    assert oversized == []


def test_no_code_branches_on_an_error_messages_text() -> None:
    """Errors are told apart by their code (``conditional_failed`` for DynamoDB's
    conditions), never by searching the text of their message."""
    found = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in PACKAGE.rglob("*.py")
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"\bin str\((exc|error|err|e)\)", line)
    ]
    assert found == []


def test_no_upward_import_from_the_domain_or_the_services() -> None:
    """The domain and the services never reach up to the adapters, the API or the
    composition root (imports inside functions count): they are given their adapters."""
    upward = ("chalicelib.adapters", "chalicelib.api", "chalicelib.bootstrap")
    offenders = [
        f"{_module(path)} imports {name}"
        for layer in ("domain", "services")
        for path in (PACKAGE / layer).rglob("*.py")
        for name in sorted(_imports(path))
        if name.startswith(upward)
    ]
    assert offenders == []


def test_the_composition_root_wires_nothing_after_construction() -> None:
    """Every dependency is given at construction: no ``built.attribute = other`` in
    the composition root (an attribute set afterwards hides a cycle)."""
    offenders = [
        f"{path.name}:{node.lineno}"
        for path in (PACKAGE / "bootstrap.py", PACKAGE / "bootstrap_adapters.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Attribute)
    ]
    assert offenders == []
