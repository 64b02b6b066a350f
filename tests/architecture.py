"""The dependency order of govdesk's apps (ADR 1), checked from the source with ``ast``.

Pure functions over module sources, so ``tests/test_architecture.py`` can run them on the real
tree and on small synthetic sources alike. Nothing here imports govdesk.
"""

from __future__ import annotations

import ast
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

ROOT_PACKAGE = "govdesk"
SRC = Path(__file__).resolve().parent.parent / "src"

#: The tier of the package itself and its top-level modules, above every app.
PROJECT = "project"
PROJECT_MODULES = frozenset({"settings", "urls", "cli", "wsgi", "__main__"})

#: Highest first. An app may import its own modules and any app in a lower tier; never one in a
#: higher tier, nor another app of its own tier.
TIERS: tuple[tuple[str, ...], ...] = (
    (PROJECT,),
    ("demo",),
    ("portal", "workbench", "api"),  # the interface layers
    ("presentation",),  # what the interface layers share; it knows none of them
    ("ratings",),  # 好差评: a poor rating opens a friction
    ("frictions",),  # the friction log: it reads what the platform records below it
    ("certificates",),
    ("applications",),
    ("forms",),
    ("catalog", "accounts"),
    ("people",),
    ("audit",),
    ("organisations",),
    # documents was to sit between applications and forms, but the code says otherwise: it
    # imports no govdesk module at all ("pure: no database, no Django settings needed to
    # import"), and applications and certificates import it (inside functions, as the Typst
    # renderer is heavy). Just above common, any app may use it and it may use nothing but common.
    ("documents",),
    ("common",),
)

TIER_OF: dict[str, int] = {app: rank for rank, apps in enumerate(TIERS) for app in apps}


@dataclass(frozen=True)
class Module:
    name: str  # govdesk.accounts.services
    path: str  # as shown in messages: src/govdesk/accounts/services.py
    source: str
    is_package: bool = False  # an __init__.py (relative imports resolve from the package)


@dataclass(frozen=True)
class Import:
    path: str
    line: int
    importer: str  # module name
    imported: str  # module name, the most specific known one
    function_level: bool  # inside a def: runs when called, not when the module is imported
    # Under ``if TYPE_CHECKING:``: only the type checker reads it, it never runs, so it creates
    # no dependency at run time and is exempt from the order and from the cycle checks.
    type_only: bool

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def app_of(module: str) -> str:
    """``<app>`` for a module of ``govdesk.<app>``; ``project`` for the package itself and its
    top-level modules. A name TIERS does not know comes back as it is, to be reported."""
    parts = module.split(".")
    if len(parts) < 2 or (parts[1] in PROJECT_MODULES and len(parts) == 2):
        return PROJECT
    return parts[1]


def load_modules(src: Path = SRC) -> list[Module]:
    """Every module of the govdesk package under ``src``, migrations left out."""
    modules = []
    for file in sorted((src / ROOT_PACKAGE).rglob("*.py")):
        rel = file.relative_to(src)
        if "migrations" in rel.parts:
            continue
        parts = list(rel.with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        modules.append(
            Module(
                name=".".join(parts),
                path=str(file.relative_to(src.parent)),
                source=file.read_text(encoding="utf-8"),
                is_package=is_package,
            )
        )
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(
    node: ast.AST, *, in_function: bool, type_only: bool
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    """Every import statement below ``node``, with whether it sits in a def and whether it is
    type-only (in the body of ``if TYPE_CHECKING:``; its ``else`` runs and is not exempt)."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, in_function, type_only
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
            yield from _walk(child, in_function=True, type_only=type_only)
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield from _walk_one(stmt, in_function=in_function, type_only=True)
            for stmt in child.orelse:
                yield from _walk_one(stmt, in_function=in_function, type_only=type_only)
        else:
            yield from _walk(child, in_function=in_function, type_only=type_only)


def _walk_one(
    stmt: ast.stmt, *, in_function: bool, type_only: bool
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    if isinstance(stmt, ast.Import | ast.ImportFrom):
        yield stmt, in_function, type_only
    else:
        yield from _walk(stmt, in_function=in_function, type_only=type_only)


def _absolute(module: Module, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    package = module.name.split(".")
    if not module.is_package:
        package.pop()
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _known(name: str, known: frozenset[str]) -> str:
    """The longest prefix of ``name`` that is a module we have (``govdesk.x.models.Thing`` →
    ``govdesk.x.models``); ``name`` itself when none is."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return name


def collect_imports(modules: Sequence[Module]) -> list[Import]:
    """Every import of a govdesk module by these modules.

    ``from govdesk.x import y`` counts as an import of ``govdesk.x.y`` when that is a module,
    else of ``govdesk.x``. The parent packages an import runs on the way are not counted: their
    ``__init__`` files hold docstrings, and counting them would make every import look like one
    of ``govdesk``.
    """
    known = frozenset(m.name for m in modules)
    found: dict[Import, None] = {}  # in order, each once (``from x import a, b`` is one import)
    for module in modules:
        tree = ast.parse(module.source, filename=module.path)
        for node, in_function, type_only in _walk(tree, in_function=False, type_only=False):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _absolute(module, node)
                targets = [
                    _known(f"{base}.{alias.name}", known) if alias.name != "*" else base
                    for alias in node.names
                ]
            for target in targets:
                if target != ROOT_PACKAGE and not target.startswith(ROOT_PACKAGE + "."):
                    continue
                imp = Import(
                    path=module.path,
                    line=node.lineno,
                    importer=module.name,
                    imported=_known(target, known),
                    function_level=in_function,
                    type_only=type_only,
                )
                found[imp] = None
    return list(found)


def layer_violations(
    imports: Iterable[Import], allowed: frozenset[tuple[str, str]] = frozenset()
) -> list[str]:
    """One line per import against the order of TIERS, unless (path, imported module) is in
    ``allowed``. Type-only imports never run, so they are exempt."""
    problems = []
    for imp in imports:
        if imp.type_only or (imp.path, imp.imported) in allowed:
            continue
        importer, imported = app_of(imp.importer), app_of(imp.imported)
        if importer == imported:
            continue
        for app in (importer, imported):
            if app not in TIER_OF:
                problems.append(
                    f"{imp.where}: {importer} → {imported} ({imp.imported}): "
                    f"app {app!r} has no tier; add it to TIERS (or PROJECT_MODULES)"
                )
                break
        else:
            if TIER_OF[importer] == TIER_OF[imported]:
                why = "same tier"
            elif TIER_OF[importer] > TIER_OF[imported]:
                why = "imports a higher tier"
            else:
                continue
            problems.append(f"{imp.where}: {importer} → {imported} ({imp.imported}): {why}")
    return problems


def _cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """One shortest cycle per strongly connected component of more than one node, as
    ``[a, b, …, a]``; deterministic (nodes sorted)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:  # Tarjan's; recursion is as deep as the graph is large (~150)
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            components.append(component)

    for node in sorted(set(edges) | {n for targets in edges.values() for n in targets}):
        if node not in index:
            visit(node)

    cycles = []
    for component in components:
        if len(component) < 2:
            continue
        start = min(component)
        # Breadth-first from start back to start, inside the component.
        came_from: dict[str, str] = {}
        queue = deque([start])
        while queue:
            node = queue.popleft()
            for nxt in sorted(edges.get(node, set()) & component):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    cycles.append([*reversed(path), start])
                    queue.clear()
                    break
                if nxt not in came_from:
                    came_from[nxt] = node
                    queue.append(nxt)
    return sorted(cycles)


def _describe(cycle: list[str], witness: Mapping[tuple[str, str], Import]) -> str:
    steps = [f"    {a} → {b}  ({witness[a, b].where})" for a, b in pairwise(cycle)]
    return " → ".join(cycle) + "\n" + "\n".join(steps)


def app_cycles(imports: Iterable[Import]) -> list[str]:
    """Cycles between apps, counting every import that runs (module or function level)."""
    edges: dict[str, set[str]] = defaultdict(set)
    witness: dict[tuple[str, str], Import] = {}
    for imp in imports:
        a, b = app_of(imp.importer), app_of(imp.imported)
        if imp.type_only or a == b:
            continue
        edges[a].add(b)
        witness.setdefault((a, b), imp)
    return [_describe(cycle, witness) for cycle in _cycles(edges)]


def module_cycles(imports: Iterable[Import]) -> list[str]:
    """Cycles between modules through module-level imports only: an import inside a function is
    the usual way to break a cycle, and runs after both modules are loaded."""
    edges: dict[str, set[str]] = defaultdict(set)
    witness: dict[tuple[str, str], Import] = {}
    for imp in imports:
        if imp.type_only or imp.function_level or imp.importer == imp.imported:
            continue
        edges[imp.importer].add(imp.imported)
        witness.setdefault((imp.importer, imp.imported), imp)
    return [_describe(cycle, witness) for cycle in _cycles(edges)]


def unknown_apps(modules: Iterable[Module]) -> list[str]:
    """Packages under govdesk that TIERS does not place."""
    return sorted(
        {
            f"{m.path}: app {app_of(m.name)!r} has no tier; add it to TIERS (or PROJECT_MODULES)"
            for m in modules
            if app_of(m.name) not in TIER_OF
        }
    )
