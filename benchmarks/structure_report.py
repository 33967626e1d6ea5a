"""Print the package's structure: rooms, the import arrows between them, the largest
modules and the longest functions — the before/after figures of a refactor.

Usage: python benchmarks/structure_report.py [--src src/langgap] [--top 10]
"""

from __future__ import annotations

import argparse
import ast
from collections import Counter
from pathlib import Path


def _room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else "(top)"


def _module_name(path: Path, src: Path) -> str:
    rel = path.relative_to(src.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
        parts.append("__init__")
    return ".".join(parts)


def _imports(tree: ast.Module, module: str) -> set[str]:
    found: set[str] = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("langgap"))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join([*base, node.module] if node.module else base)
            else:
                name = node.module or ""
            if name.startswith("langgap"):
                found.add(name)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--src", type=Path, default=Path("src/langgap"))
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    src: Path = args.src
    arrows: Counter[tuple[str, str]] = Counter()
    sizes: list[tuple[int, str]] = []
    functions: list[tuple[int, str]] = []
    rooms: Counter[str] = Counter()
    dict_any = 0
    for path in sorted(src.rglob("*.py")):
        module = _module_name(path, src)
        text = path.read_text(encoding="utf-8")
        dict_any += text.count("dict[str, Any]")
        tree = ast.parse(text)
        lines = len(text.splitlines())
        sizes.append((lines, module))
        rooms[_room(module)] += lines
        for target in _imports(tree, module):
            source_room, target_room = _room(module), _room(target + ".x")
            if source_room != target_room:
                arrows[(source_room, target_room)] += 1
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno:
                length = node.end_lineno - node.lineno + 1
                functions.append((length, f"{module}.{node.name}"))
    print("rooms (lines of code):")
    for room, lines in sorted(rooms.items()):
        print(f"  {room:<12} {lines:>6}")
    print("\nimport arrows between rooms (room -> room: import statements):")
    for (source, target), count in sorted(arrows.items()):
        print(f"  {source:<12} -> {target:<12} {count:>4}")
    print(f"\nlargest modules (top {args.top}, lines):")
    for lines, module in sorted(sizes, reverse=True)[: args.top]:
        print(f"  {lines:>5}  {module}")
    print(f"\nlongest functions (top {args.top}, lines):")
    for length, name in sorted(functions, reverse=True)[: args.top]:
        print(f"  {length:>5}  {name}")
    print(f"\n'dict[str, Any]' occurrences: {dict_any}")


if __name__ == "__main__":
    main()
