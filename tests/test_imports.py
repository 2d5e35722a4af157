"""The package's import graph: no cycle, and no module uses another one's private names.

Every ``import`` / ``from ... import`` statement of ``w2gm/*.py`` and
``w2gm/evaluation/*.py`` counts, at module level and inside functions alike.
Importing ``w2gm.a.b`` also counts as importing the package ``w2gm.a`` (its
``__init__`` runs first), except from a module inside ``w2gm.a`` (the package
is then already being initialised); so ``w2gm`` itself only counts where it
is imported by name.  The compiled
extension modules ``_vocab``, ``_train_inner`` (and its AVX2 build ``_train_inner_avx2``) and
``_sampling`` are private
by name only and may be imported.
"""

import ast
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "w2gm"
EXTENSIONS = {"w2gm._vocab", "w2gm._train_inner", "w2gm._train_inner_avx2", "w2gm._sampling"}


def package_modules():
    """``{dotted name: path}`` of the Python modules of the package (not the extensions)."""
    modules = {}
    for sub in ("", "evaluation"):
        directory = os.path.join(ROOT, PACKAGE, sub)
        for name in sorted(os.listdir(directory)):
            if name.endswith(".py"):
                parts = [PACKAGE] + ([sub] if sub else []) + ([] if name == "__init__.py" else [name[:-3]])
                modules[".".join(parts)] = os.path.join(directory, name)
    return modules


def resolve(node, module, is_package):
    """Absolute name of the module of an ``ImportFrom`` node (relative imports resolved)."""
    if not node.level:
        return node.module
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module, path, known):
    """``(targets, private)``: the package modules `module` imports, and private names it takes."""
    tree = ast.parse(open(path, encoding="utf-8").read(), path)
    is_package = path.endswith("__init__.py")
    targets, private = set(), []
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                targets.add(alias.name)
                aliases[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom):
            source = resolve(node, module, is_package)
            targets.add(source)
            for alias in node.names:
                full = f"{source}.{alias.name}"
                if full in known or full in EXTENSIONS:
                    targets.add(full)
                    aliases[alias.asname or alias.name] = full
                elif alias.name.startswith("_") and source.startswith(PACKAGE) and source not in EXTENSIONS:
                    private.append(f"from {source} import {alias.name}")
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name) and aliases.get(node.value.id) in known):
            private.append(f"{aliases[node.value.id]}.{node.attr}")
    # importing w2gm.a.b runs w2gm.a first, unless w2gm.a is a package that contains `module`
    # (then it is already being initialised when `module` runs)
    own = module.split(".")
    own_packages = {".".join(own[:i]) for i in range(1, len(own) + (1 if is_package else 0))}
    closed = set()
    for target in targets:
        parts = target.split(".")
        closed.update(".".join(parts[:i]) for i in range(1, len(parts)))
        closed.add(target)
    return {t for t in closed if t in known and t != module and t not in own_packages}, private


def import_graph():
    known = package_modules()
    graph, private = {}, {}
    for module, path in known.items():
        graph[module], private[module] = imports_of(module, path, known)
    return graph, private


def find_cycle(graph):
    """One import cycle as a list of modules, or None (depth-first search)."""
    state = {}
    stack = []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle():
    graph, _ = import_graph()
    assert {"w2gm.similarity", "w2gm.keyed_mixtures", "w2gm.evaluation", "w2gm.evaluation.scws"} <= set(graph)
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph))


def test_cycle_finder_finds_cycles():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("module", ["w2gm.keyed_mixtures", "w2gm.cli", "w2gm.evaluation.word_pairs",
                                    "w2gm.evaluation.entailment", "w2gm.evaluation.scws"])
def test_similarity_measures_come_from_the_public_similarity_module(module):
    graph, _ = import_graph()
    assert "w2gm.similarity" in graph[module]


def test_no_private_names_across_modules():
    _, private = import_graph()
    assert {m: names for m, names in private.items() if names} == {}


def test_evaluation_does_not_depend_on_the_query_object():
    graph, _ = import_graph()
    assert "w2gm.evaluation.word_pairs" in graph["w2gm.keyed_mixtures"]
    for module in ("w2gm.evaluation", "w2gm.evaluation.datasets", "w2gm.evaluation.word_pairs",
                   "w2gm.evaluation.entailment", "w2gm.evaluation.scws"):
        assert not {"w2gm.keyed_mixtures", "w2gm.word2gm"} & graph[module], module
