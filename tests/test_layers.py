"""The apps depend one way: core <- accounts <- terms <- consultations <- booths <- workplace
(ARCHITECTURE.md). Read from the source, so a new module cannot slip past."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def imported_apps(app: str) -> dict[str, set[str]]:
    """{module path: top-level packages it imports}, over every module of `app`."""
    found = {}
    for path in sorted((ROOT / app).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


LAYERS = ["core", "accounts", "terms", "consultations", "booths", "workplace"]


@pytest.mark.parametrize("level", range(len(LAYERS) - 1), ids=LAYERS[:-1])
def test_an_app_never_imports_an_app_above_it(level):
    # Issue 20: each app sees only the apps below it; workplace is the top app.
    app, above = LAYERS[level], set(LAYERS[level + 1 :])
    modules = imported_apps(app)
    assert len(modules) > 5  # the walk found the app's modules
    upward = {path: sorted(names & above) for path, names in modules.items() if names & above}
    assert upward == {}


def test_the_walk_sees_an_upward_import():
    # The check can fail: workplace imports both services.
    modules = imported_apps("workplace")
    assert any({"booths", "consultations"} <= names for names in modules.values())
