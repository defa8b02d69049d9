"""The apps depend one way: core <- accounts <- terms <- bookings <- {consultations, booths} <-
workplace (ARCHITECTURE.md). Read from the source, so a new module, URL name or template path
cannot slip past. These prove the design's layering (ARCHITECTURE.md, "Apps"), which no
numbered requirement states, so they carry no `# REQ` tag."""

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


# "accounts_office" in SQL or a setting, `import_string` to reach a module by its dotted name:
# both let core use an app above it without an import the walk above would see.
TABLE_OF_AN_APP = re.compile(r"\b(" + "|".join(sorted(APPS)) + r")_[a-z]\w*")


def upward_reaches(app: str, root: Path = ROOT) -> dict[str, list[str]]:
    """{module: tables of apps above `app` it names, and any `import_string`}, migrations
    aside (they are history: their SQL names the tables as they were)."""
    above = APPS - BELOW[app] - {app}
    found = {}
    for path in sorted((root / app).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        text = path.read_text()
        hits = [m.group(0) for m in TABLE_OF_AN_APP.finditer(text) if m.group(1) in above]
        hits += ["import_string"] * text.count("import_string")
        if hits:
            found[str(path.relative_to(root))] = hits
    return found


def test_core_names_no_table_of_an_app_above_it_nor_imports_by_string():
    # Issue 20: core keeps infrastructure only; no table name in a string, no import_string
    # to reach upward (the version targets are declared in accounts.versions).
    assert len(list((ROOT / "core").rglob("*.py"))) > 5  # the walk found core's modules
    assert upward_reaches("core") == {}


def test_the_string_walk_sees_a_table_name_and_import_string(tmp_path):
    # The check can fail: what core held before issue 20 is seen; its own tables are not.
    (tmp_path / "core" / "migrations").mkdir(parents=True)
    (tmp_path / "core" / "versioning.py").write_text(
        'OFFICE = ("accounts_office", "availability_version")\nCACHE = "core_outboxmessage"\n'
    )
    (tmp_path / "core" / "access.py").write_text(
        "from django.utils.module_loading import import_string\n"
    )
    (tmp_path / "core" / "migrations" / "0001_initial.py").write_text('T = "accounts_user"\n')
    assert upward_reaches("core", root=tmp_path) == {
        "core/access.py": ["import_string"],
        "core/versioning.py": ["accounts_office"],
    }
