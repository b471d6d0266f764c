"""The package's import graph, read from the source (AST, every import statement, also those inside functions):
no module circles, no circles between areas, and every arrow points down the layers of DESIGN.md.

Layers, top to bottom (an area's ``cli.py`` is the area's piece of the ``lexsign`` command, so it sits with
``lexsign_hf/cli.py`` on the top floor):

5. ``cli.py`` and every ``<area>/cli.py``
4. the commands: ``hub``, ``bench``, ``agp``, ``mcp``, ``finetune``, ``synth``, ``train``, ``convert``
3. ``mllm``, ``models``
2. ``data``
1. ``metrics``, ``pose`` and the utilities ``preflight``, ``card_templates``, ``fingerprint``, ``model_cards``,
   ``cli_options`` (the commands' argument parser)
0. the package root (its version)

Besides: ``models`` imports only ``models`` (it is copied next to the weights), ``pose`` and ``metrics`` import
nothing else of the package, ``mllm`` knows nothing of HALI, and the utilities import only each other.
Names a package exports lazily (``_EXPORTS`` strings for importlib, also the root's model classes) are not
import statements and so not arrows: they load only when asked for.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "lexsign_hf"

FLOORS = {
    "cli": 5,
    **dict.fromkeys(("hub", "bench", "agp", "mcp", "finetune", "synth", "train", "convert"), 4),
    **dict.fromkeys(("mllm", "models"), 3),
    "data": 2,
    **dict.fromkeys(
        ("metrics", "pose", "preflight", "card_templates", "fingerprint", "model_cards", "cli_options"), 1
    ),
    "": 0,
}
UTILITIES = frozenset({"preflight", "card_templates", "fingerprint", "model_cards", "cli_options"})
# area -> the only areas it may import (itself and the package root always allowed)
CLOSED = {
    "models": frozenset(),
    "pose": frozenset(),
    "metrics": frozenset(),
    "mllm": frozenset(area for area, floor in FLOORS.items() if floor <= 2),
    **{name: UTILITIES for name in UTILITIES},
}


@cache
def modules() -> dict[str, tuple[Path, bool]]:
    """Dotted name -> (file, is a package) for every module of the package."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _resolve(name: str) -> str | None:
    """The module `name` denotes (a name inside a module resolves to that module)."""
    known = modules()
    while name not in known and "." in name:
        name = name.rsplit(".", 1)[0]
    return name if name in known else None


@cache
def edges() -> dict[str, frozenset[str]]:
    """Module -> the package modules it imports."""
    graph = {}
    for name, (path, is_package) in modules().items():
        package = name if is_package else name.rsplit(".", 1)[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                for alias in node.names:  # `from . import x`: the submodule x when there is one
                    targets.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules() else base)
        resolved = {_resolve(target) for target in targets if target.split(".")[0] == PACKAGE.name}
        graph[name] = frozenset(resolved - {None, name})
    return graph


def area(module: str) -> str:
    """The room a module lives in: ``cli`` for any command-line module, else its top-level area."""
    parts = module.split(".")[1:]
    if parts and parts[-1] == "cli":
        return "cli"
    return parts[0] if parts else ""


def cycles(graph: dict[str, frozenset[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
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
    return sorted(found)


def area_graph() -> dict[str, frozenset[str]]:
    rooms = defaultdict(set)
    for source, targets in edges().items():
        rooms[area(source)].update(area(target) for target in targets if area(target) != area(source))
    return {room: frozenset(targets) for room, targets in rooms.items()}


def test_every_area_has_a_floor():
    assert {area(module) for module in modules()} <= set(FLOORS)


def test_the_graph_is_read_from_the_source():  # the reader sees relative, absolute and in-function imports
    graph = edges()
    assert "lexsign_hf.models.hali.modeling_hali" in graph["lexsign_hf.models.hali"]
    assert "lexsign_hf.synth.hand" in graph["lexsign_hf.synth.body"]
    assert "lexsign_hf.train.zsslr" in graph["lexsign_hf.train.cli"]  # imported inside run_train_command
    assert "lexsign_hf" in graph["lexsign_hf.cli"]
    assert cycles({"a": frozenset("b"), "b": frozenset("a"), "c": frozenset("a")}) == [["a", "b"]]


def test_no_module_circles():
    assert cycles(edges()) == []


def test_no_circles_between_areas():
    assert cycles(area_graph()) == []


def test_no_arrow_points_up():
    upward = sorted(
        f"{source} -> {target}"
        for source, targets in edges().items()
        for target in targets
        if FLOORS[area(target)] > FLOORS[area(source)]
    )
    assert upward == []


def test_closed_areas_import_only_what_they_may():
    crossing = sorted(
        f"{source} -> {target}"
        for source, targets in edges().items()
        if area(source) in CLOSED
        for target in targets
        if area(target) not in CLOSED[area(source)] | {area(source), ""}
    )
    assert crossing == []


def test_nothing_imports_the_entry_point():
    assert sorted(source for source, targets in edges().items() if "lexsign_hf.cli" in targets) == []
