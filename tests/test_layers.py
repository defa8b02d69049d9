"""The apps depend one way: core <- accounts <- terms <- bookings <- {consultations, booths} <-
workplace (ARCHITECTURE.md). Read from the source, so a new module, URL name or template path
cannot slip past."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each app and the apps it may use: those below it. The two services are siblings.
BELOW = {
    "core": set(),
    "accounts": {"core"},
    "terms": {"core", "accounts"},
    "bookings": {"core", "accounts", "terms"},
    "consultations": {"core", "accounts", "terms", "bookings"},
    "booths": {"core", "accounts", "terms", "bookings"},
    "workplace": {"core", "accounts", "terms", "bookings", "consultations", "booths"},
}
APPS = set(BELOW)


def imported_apps(app: str) -> dict[str, set[str]]:
    """{module path: project apps it imports}, over every module of `app`."""
    found = {}
    for path in sorted((ROOT / app).rglob("*.py")):
        names = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names & APPS
    return found


# "consultations:detail" in reverse()/{% url %}, "booths/day.html" in a template or Python.
URL_NAME = re.compile(r"""["'](\w+):[\w-]+["']""")
TEMPLATE_PATH = re.compile(r"""["'](\w+)/[\w/.-]+\.(?:html|txt)["']""")


def named_apps(app: str) -> dict[str, set[str]]:
    """{file: apps whose URL names or template paths it names}, over code and templates."""
    found = {}
    for path in sorted((ROOT / app).rglob("*")):
        if path.suffix not in (".py", ".html", ".txt") or "migrations" in path.parts:
            continue
        text = path.read_text()
        names = {m for m in URL_NAME.findall(text) + TEMPLATE_PATH.findall(text)} & APPS
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize("app", sorted(APPS))
def test_an_app_imports_only_the_apps_below_it(app):
    # Issue 20: each app sees only the apps below it; the services never see each other.
    modules = imported_apps(app)
    assert len(modules) > 5  # the walk found the app's modules
    allowed = BELOW[app] | {app}
    wrong = {path: sorted(names - allowed) for path, names in modules.items() if names - allowed}
    assert wrong == {}


@pytest.mark.parametrize("app", sorted(APPS))
def test_an_app_names_no_url_or_template_of_an_app_above_or_beside_it(app):
    allowed = BELOW[app] | {app, "admin", "account", "mfa", "django", "allauth", "includes"}
    found = named_apps(app)
    wrong = {path: sorted(names - allowed) for path, names in found.items() if names - allowed}
    assert wrong == {}


def test_the_walk_sees_an_upward_import():
    # The checks can fail: workplace imports both services and names their pages.
    assert any(
        {"booths", "consultations"} <= names for names in imported_apps("workplace").values()
    )
    assert any("booths" in names for names in named_apps("workplace").values())
