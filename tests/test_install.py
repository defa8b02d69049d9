"""What a production install carries, and what a developer's adds (issue 19, NFR-5)."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST_TOOLS = {"pytest", "playwright", "hypothesis", "ruff", "factory-boy", "aiosmtpd"}


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked(lock: str) -> set[str]:
    text = (ROOT / lock).read_text()
    return {_normalised(name) for name in re.findall(r"^([A-Za-z0-9_.-]+)==", text, re.M)}


def _requirement_names(requirements: list) -> set[str]:
    return {
        _normalised(re.match(r"[A-Za-z0-9_.-]+", item).group())
        for item in requirements
        if isinstance(item, str)
    }


def test_the_production_lock_carries_no_test_tools_and_no_embedded_server():
    # REQ NFR-5: a production install carries no test tools
    production = _locked("requirements.lock")
    assert not TEST_TOOLS & production
    assert "pgserver" not in production
    assert "pytest-django" not in production


def test_each_lock_pins_every_package_its_groups_name_with_hashes():
    # REQ NFR-5: locked, hash-checked installs for production and for developers
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    runtime = _requirement_names(project["project"]["dependencies"])
    groups = project["dependency-groups"]
    dev = _requirement_names(groups["dev"]) | _requirement_names(groups["local"])
    assert runtime <= _locked("requirements.lock")
    assert runtime | dev <= _locked("requirements-dev.lock")
    assert dev >= TEST_TOOLS
    for lock in ("requirements.lock", "requirements-dev.lock"):
        pins = re.findall(
            r"^[A-Za-z0-9_.-]+==\S+ \\\n\s+--hash=sha256:", (ROOT / lock).read_text(), re.M
        )
        assert len(pins) == len(_locked(lock)), f"{lock}: a pin without a hash"
