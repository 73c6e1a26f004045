"""No import cycles between the project's modules, and no function-level imports to dodge them
(issue 9, point 5).

The graph has an edge for every import of one project module by another, at module level or
inside a function. Two kinds of function-level import are the rule, not a dodge, and are left
out: an app's ``AppConfig.ready`` (Django's way to connect signals), and a task module's task
bodies (``community/tasks.py``: tasks import what they run inside the body; code that enqueues
imports the task at its top as ``<name>_task``).

Importing ``a.b.c`` runs ``a/b/__init__.py`` first, so an import of a package's submodule is
also an edge to the package: a cycle through a package's ``__init__`` is a cycle.

``PENDING`` lists the function-level imports still to go. The test fails if one is added, and
also if one in the list is gone, so the list only shrinks.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("community", "events", "home", "forums", "resources")
# Function-level on purpose, not to dodge a cycle: only seed_demo reads the sample events' copy,
# so a web process never loads it (and a broken edit of the copy cannot stop the site).
DELIBERATE = {("events.apps", "events.demo")}
PENDING: set[tuple[str, str]] = set()


def project_modules() -> dict[str, Path]:
    modules = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = path
    return modules


def _targets(module, path, node, modules):
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        if node.level:
            package = module.split(".")
            if path.name != "__init__.py":
                package = package[:-1]
            package = package[: len(package) - node.level + 1]
            base = ".".join([*package, *([node.module] if node.module else [])])
        else:
            base = node.module or ""
        # "from . import views" names a module; "from .models import X" one of its members.
        names = [
            f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
            for alias in node.names
        ]
    found = set()
    for name in names:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        # The packages on the way run first: "events.models.pages" runs events/models/__init__.
        while name:
            if name in modules and name != module and not module.startswith(f"{name}."):
                found.add(name)
            name = name.rpartition(".")[0]
    return found


def imports(modules):
    """{module: {(imported, "top" | "function" | "allowed")}}."""
    graph = {}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges = set()
        for node in tree.body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges |= {(t, "top") for t in _targets(module, path, node, modules)}
        for parent in ast.walk(tree):
            if not isinstance(parent, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            allowed = module.endswith(".tasks") or (
                module.endswith(".apps") and parent.name == "ready"
            )
            for node in ast.walk(parent):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    kind = "allowed" if allowed else "function"
                    edges |= {(t, kind) for t in _targets(module, path, node, modules)}
        graph[module] = edges
    return graph


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle in a directed graph, as a path that starts and ends at the same module."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycle_between_project_modules():
    graph = imports(project_modules())
    edges = {
        module: {
            t for t, kind in found if kind != "allowed" and (module, t) not in PENDING | DELIBERATE
        }
        for module, found in graph.items()
    }
    assert find_cycle(edges) is None


def test_function_level_imports_are_only_the_pending_ones():
    graph = imports(project_modules())
    function_level = {
        (m, t) for m, found in graph.items() for t, kind in found if kind == "function"
    }
    function_level -= DELIBERATE
    assert function_level - PENDING == set(), "move these imports to the module's top"
    assert PENDING - function_level == set(), "gone: take them off PENDING"


def test_the_detector_finds_a_cycle_and_reads_this_project():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None
    graph = imports(project_modules())
    # Known edges, so the parser really reads the project's imports.
    assert ("events.records", "top") in graph["events.services"]
    assert ("events.services", "top") in graph["events.models.pages"]
    assert ("events.tasks", "top") in graph["events.notifications"]
    assert ("events.emails", "allowed") in graph["events.tasks"]
