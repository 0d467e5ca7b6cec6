"""The house's rules, checked on the source: no import circle, no lower layer importing an upper one, and the
command line free of maths and decoding."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "dreamreel"
# top to bottom; a module may import its own layer or those below it
LAYERS = [("cli", "studio", "__main__"), ("cluster",), ("jobs",), ("pipelines",), ("recipe", "settings"),
          ("core", "motion", "io"), ("models",), ("errors", "home")]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(name: str, path: Path, known: dict) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            found |= {module} | {f"{module}.{alias.name}" for alias in node.names}
    return {m for m in found if m in known and m != name and not known[m].name == "__init__.py"}


def layer(name: str):
    parts = name.split(".")
    return RANK.get(parts[1]) if len(parts) > 1 else None


GRAPH = {name: imports(name, path, modules()) for name, path in modules().items() if path.name != "__init__.py"}


def test_every_module_has_a_layer():
    assert not [name for name in GRAPH if layer(name) is None]


def test_no_lower_layer_imports_an_upper_one():
    upward = [f"{a} imports {b}" for a, deps in GRAPH.items() for b in deps if layer(b) < layer(a)]
    assert not upward


def test_no_import_circle():
    state: dict[str, int] = {}

    def visit(name, stack):
        state[name] = 1
        for dep in sorted(GRAPH.get(name, ())):
            if state.get(dep) == 1:
                pytest.fail("import circle: " + " -> ".join(stack[stack.index(dep):] + [dep]))
            if dep not in state:
                visit(dep, stack + [dep])
        state[name] = 2

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])


@pytest.mark.parametrize("path", sorted((PACKAGE / "cli").glob("*.py")), ids=lambda p: p.name)
def test_the_command_line_holds_no_maths_and_no_decoding(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
             for alias in getattr(node, "names", []) if isinstance(node, ast.Import)}
    names |= {(node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
              and not node.level}
    assert not names & {"jax", "numpy", "cv2", "imageio", "PIL", "optax", "flax"}
