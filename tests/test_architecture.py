"""The layers of docs/explanation/architecture.md, read from every module's imports.

Dependencies point inward: the pure core imports no service, store adapter, book or
shell and does no I/O; services never import a shell; no package's modules import each
other in a cycle. Imports made only for the type checker (under ``TYPE_CHECKING``) don't
run, so they don't count.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SOURCE / "clientcard"

CONCEPTS = (
    "cards",
    "consent",
    "history",
    "blacklist",
    "promotions",
    "groups",
    "gallery",
    "erasure",
)
"""The concept packages whose modules, services apart, are the pure core."""

SHARED_PURE = (
    "clientcard.errors",
    "clientcard.events",
    "clientcard.clock",
    "clientcard.ids",
    "clientcard.money",
    "clientcard.business",
    "clientcard.kinds",
    "clientcard.fingerprints",
    "clientcard._json",
)
"""What every concept shares, pure too."""

SERVICE_HELPERS = frozenset(
    {"clientcard.consent._refresh", "clientcard.erasure._erase", "clientcard.erasure._records"}
)
"""Private modules of a concept that belong to its services (they run units of work)."""

PURE_MAY_IMPORT_FROM_STORAGE = frozenset(
    {
        "clientcard.storage.records",
        "clientcard.storage.protocol",
        "clientcard.storage.queries",
        "clientcard.storage.blobs",
        "clientcard.storage.visits",
        "clientcard.storage.bulk",
    }
)
"""Value types and protocols of the storage package, which hold no I/O."""

IO_MODULES = frozenset(
    {"sqlite3", "psycopg", "psycopg_pool", "socket", "smtplib", "subprocess", "http", "urllib"}
)

SHELLS = ("clientcard.cli", "examples")


def _module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _all_modules() -> dict[str, Path]:
    return {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


MODULES = _all_modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_imports(module: str, *, top_level_only: bool) -> Iterator[str]:
    """The modules ``module`` imports when it runs (``TYPE_CHECKING`` blocks apart)."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def visit(nodes: list[ast.stmt]) -> Iterator[str]:
        for node in nodes:
            if isinstance(node, ast.If) and _is_type_checking(node):
                yield from visit(node.orelse)
                continue
            if isinstance(node, ast.Import):
                yield from (alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                yield base
                for alias in node.names:
                    candidate = f"{base}.{alias.name}"
                    if candidate in MODULES:
                        yield candidate
            elif not top_level_only or isinstance(node, (ast.If, ast.Try, ast.With)):
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, ast.stmt):
                        yield from visit([child])

    yield from visit(tree.body)


def _is_service(module: str) -> bool:
    last = module.rpartition(".")[2]
    return last == "service" or last.endswith("_service") or module in SERVICE_HELPERS


def _is_pure(module: str) -> bool:
    if module in SHARED_PURE or module.startswith(("clientcard.contact", "clientcard.locale")):
        return True
    parts = module.split(".")
    return len(parts) >= 2 and parts[1] in CONCEPTS and not _is_service(module)


PURE = sorted(module for module in MODULES if _is_pure(module))
SERVICES = sorted(module for module in MODULES if _is_service(module))


def _forbidden_for_pure(imported: str) -> str | None:
    root = imported.split(".", maxsplit=1)[0]
    if root in IO_MODULES:
        return "I/O"
    if not imported.startswith("clientcard"):
        return None
    if imported in ("clientcard.book", "clientcard._core"):
        return "the book and its core"
    if imported in MODULES and _is_service(imported):
        return "a service"
    if imported.startswith(("clientcard.cli", "clientcard.testing")):
        return "a shell or the testing kit"
    if imported.startswith("clientcard.storage.") and imported not in PURE_MAY_IMPORT_FROM_STORAGE:
        return "a store adapter"
    if imported in ("clientcard.exchange", "clientcard.messaging", "clientcard.portal"):
        return "a package of edges"
    return None


class TestLayers:
    def test_the_layers_are_found(self) -> None:
        """The rules below read real modules: each layer has members."""
        assert "clientcard.cards.card" in PURE
        assert "clientcard.consent.service" in SERVICES
        assert "clientcard.cli" in MODULES

    @pytest.mark.parametrize("module", PURE)
    def test_the_pure_core_imports_no_service_store_shell_or_io(self, module: str) -> None:
        """A pure module imports only pure modules and storage's value types."""
        broken = {
            imported: why
            for imported in _runtime_imports(module, top_level_only=False)
            if (why := _forbidden_for_pure(imported)) is not None
        }
        assert broken == {}

    @pytest.mark.parametrize("module", SERVICES)
    def test_services_never_import_a_shell(self, module: str) -> None:
        """A service is called by the shells, never the other way round."""
        imported = set(_runtime_imports(module, top_level_only=False))
        assert {name for name in imported if name.startswith(SHELLS)} == set()


def _cycles(package: str) -> list[list[str]]:
    members = [name for name in MODULES if name == package or name.startswith(package + ".")]
    # A submodule naming its own package (``from clientcard.contact import phone``) runs
    # nothing new: the package was imported before the submodule began. Only imports of
    # modules that are not its ancestors are edges.
    graph = {
        name: {
            imported
            for imported in _runtime_imports(name, top_level_only=True)
            if imported in members and imported != name and not name.startswith(imported + ".")
        }
        for name in members
    }
    return _find_cycles(graph)


def _find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    return found


PACKAGES = sorted(
    name for name, path in MODULES.items() if path.name == "__init__.py" and name != "clientcard"
)


class TestCycles:
    @pytest.mark.parametrize("package", PACKAGES)
    def test_a_package_has_no_import_cycle(self, package: str) -> None:
        """The modules of one package import each other in one direction only."""
        assert _cycles(package) == []


class TestTheRulesThemselves:
    def test_a_service_import_is_refused_in_the_pure_core(self) -> None:
        """The check can fail: a pure module importing a service would be caught."""
        assert _forbidden_for_pure("clientcard.consent.service") == "a service"
        assert _forbidden_for_pure("clientcard.storage.sqlite") == "a store adapter"
        assert _forbidden_for_pure("sqlite3") == "I/O"
        assert _forbidden_for_pure("clientcard.storage.records") is None

    def test_a_cycle_is_found(self) -> None:
        """The cycle search reports a loop, given a graph that has one."""
        graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}}
        assert _find_cycles(graph) == [["a", "b", "c", "a"]]
        assert _find_cycles({"a": {"b"}, "b": set()}) == []
