"""Accessibility check for browser tests: axe-core, failing on serious or critical issues."""

from axe_playwright_python.sync_playwright import Axe

_axe = Axe()
BLOCKING = {"serious", "critical"}


def assert_accessible(page) -> None:
    """Run axe-core (WCAG 2.0/2.1/2.2 A and AA rules) on the current page."""
    results = _axe.run(
        page,
        options={
            "resultTypes": ["violations"],
            "runOnly": {
                "type": "tag",
                "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
            },
        },
    )
    blocking = [v for v in results.response["violations"] if v.get("impact") in BLOCKING]
    report = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in blocking
    )
    assert not blocking, f"axe found serious accessibility problems on {page.url}:\n{report}"
