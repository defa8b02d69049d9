"""Moving through pages with the keyboard alone, checking the focus indicator at every stop.

One helper for every keyboard test (REQ NFR-2, WCAG 2.4.7): an element that takes the focus must
show an outline of at least 2 px or a box shadow, in a colour that can be seen.
"""

from __future__ import annotations

MAX_TABS = 80

# What has the focus, and whether it shows.
FOCUSED_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2
    && !style.outlineColor.endsWith(", 0)") && style.outlineColor !== "transparent";
  const shadow = !!style.boxShadow && style.boxShadow !== "none";
  return {
    tag: el.tagName.toLowerCase(),
    href: el.getAttribute("href") || "",
    name: el.getAttribute("name") || "",
    value: el.value || "",
    type: el.getAttribute("type") || "",
    checked: !!el.checked,
    in_main: !!el.closest("main"),
    label: (el.innerText || el.value || "").trim().slice(0, 60),
    indicator: outline || shadow,
  };
}"""


class Keyboard:
    """Moves the focus with Tab / Shift+Tab and checks the indicator at every stop."""

    def __init__(self, page):
        self.page = page
        self.stops = 0

    def focused(self) -> dict | None:
        return self.page.evaluate(FOCUSED_JS)

    def tab_to(self, wanted, *, backwards: bool = False) -> dict:
        """Press Tab (or Shift+Tab) until `wanted(focused)` holds, or a CSS selector matches."""
        if isinstance(wanted, str):
            selector = wanted
            wanted = lambda here: self.page.evaluate(  # noqa: E731
                "s => document.activeElement.matches(s)", selector
            )
        # A page reached by pressing Enter may still be loading its stylesheet: what a person
        # sees is the styled page, so the focus is judged only once it has loaded.
        self.page.wait_for_load_state("load")
        key = "Shift+Tab" if backwards else "Tab"
        for _ in range(MAX_TABS):
            self.page.keyboard.press(key)
            here = self.focused()
            if here is None:
                continue
            self.stops += 1
            assert here["indicator"], f"no visible focus indicator on {here} at {self.page.url}"
            if wanted(here):
                return here
        raise AssertionError(f"{key} never reached the element on {self.page.url}")

    def follow(self, href: str) -> None:
        """Tab to the link to `href` and press Enter on it."""
        self.tab_to(lambda here: here["href"] == href)
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")
        assert self.page.url.endswith(href), self.page.url

    def tick(self, name: str, value: str, *, backwards: bool = False) -> None:
        """Tab to the radio button or checkbox and press Space on it."""
        self.tab_to(
            lambda here: here["name"] == name and here["value"] == value, backwards=backwards
        )
        self.page.keyboard.press("Space")
        assert self.focused()["checked"], f"Space did not tick {name}={value}"

    def submit_main_form(self) -> None:
        """Tab to the page's own submit button (not the header's) and press Enter on it."""
        self.tab_to(lambda here: here["in_main"] and here["type"] == "submit")
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")
