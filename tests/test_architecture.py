"""The package's shape: no import cycle among admodes' modules, and no private name imported across them.

The imports are read from the source with `ast` (every import statement, also those inside functions:
a lazy import is still a cycle of the design), so the test needs no import of admodes itself.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "admodes"

def module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports(name):
    """(imported module, imported names) for every import of an admodes module in module ``name``."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, ()) for alias in node.names if alias.name.split(".")[0] == "admodes"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "admodes":
                continue
            names = tuple(alias.name for alias in node.names)
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            found += [(m, ()) for m in submodules]
            rest = tuple(n for n in names if f"{target}.{n}" not in MODULES)
            if rest or not submodules:
                found.append((target, rest))
    return found


def graph():
    """module -> the admodes modules it imports (the top package, a facade of re-exports, left out)."""
    return {name: {m for m, _ in imports(name) if m in MODULES and m != "admodes" and m != name} for name in MODULES}


def cycles(edges):
    """The strongly connected components of more than one module (Tarjan's algorithm, iteratively)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], [0]
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter[0]
                    counter[0] += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


def test_the_cycle_finder_finds_a_cycle_and_only_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_imports_are_read_from_relative_and_lazy_imports():
    edges = graph()
    assert "admodes.reverse.tape" in edges["admodes.reverse.tensor"]
    assert "admodes.transforms.batched" in edges["admodes.transforms.forward_mode"]


def test_no_import_cycle_among_admodes_modules():
    found = [sorted(c) for c in cycles(graph())]
    assert not found, f"import cycles: {found}"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_private_name_is_imported_from_another_module(name):
    private = [(m, n) for m, names in imports(name) for n in names if n.startswith("_") and not n.startswith("__")]
    assert not private, f"{name} imports private names: {private}"
