"""Accessibility check for browser tests (REQ NFR-1, NFR-2).

`assert_accessible(page)` runs axe-core (WCAG 2.0/2.1/2.2 A and AA rules and best practices) and
fails on a violation of ANY impact (minor and moderate included). It checks the page as it is,
then the same page at 360 px, then the same address fetched again in the other language (Japanese
and English) at both widths, so every page a browser test visits is checked four ways. In English,
Japanese text must sit inside an element marked `lang="ja"` (WCAG 3.1.2), and no 「」 or 〜 may
stand in English text.

The other-language copy is a fresh GET of the same address in a second browser context with the
same session, so a page reached by POST (a form with errors) is checked in its own
language only, and its address once more as a blank form in the other language.
"""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

_axe = Axe()
PHONE = {"width": 360, "height": 740}
LANGUAGE_COOKIE = "django_language"

_AXE_OPTIONS = {
    "resultTypes": ["violations"],
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
}

# Text in an English page that is Japanese data (office names, addresses, terms text: Japanese
# characters and no Latin letters) or carries Japanese brackets or wave dashes, whose nearest
# `lang` is not Japanese. An English sentence naming a Japanese term, "Residence status
# (在留資格)", is English text and passes.
_UNMARKED_JAPANESE_JS = r"""
() => {
  const japanese = /[\u3000-\u303f\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]/;
  const latin = /[A-Za-z]/;
  const punctuation = /[「」『』〜～]/;
  const isData = (text) => (japanese.test(text) && !latin.test(text)) || punctuation.test(text);
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.trim();
    if (!text || !isData(text)) continue;
    const parent = node.parentElement;
    if (!parent || parent.closest("script, style, template")) continue;
    const marked = parent.closest("[lang]");
    if (marked && marked.getAttribute("lang").toLowerCase().startsWith("ja")) continue;
    found.push(parent.tagName.toLowerCase() + ": " + text.slice(0, 60));
  }
  for (const element of document.querySelectorAll("[title], [aria-label], input[placeholder], img[alt]")) {
    for (const attr of ["title", "aria-label", "placeholder", "alt"]) {
      const value = element.getAttribute(attr);
      if (!value || !isData(value)) continue;
      const marked = element.closest("[lang]");
      if (marked && marked.getAttribute("lang").toLowerCase().startsWith("ja")) continue;
      found.push(element.tagName.toLowerCase() + "[" + attr + "]: " + value.slice(0, 60));
    }
  }
  return found;
}
"""


def _violations(page) -> list[str]:
    results = _axe.run(page, options=_AXE_OPTIONS)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + ", ".join(str(node["target"]) for node in v["nodes"][:5])
        for v in results.response["violations"]
    ]


def axe_problems(page) -> list[str]:
    """axe's violations of any impact on the page as it is now (its current width)."""
    return _violations(page)


def _check_here(page, where: str) -> list[str]:
    """axe at the current size and at 360 px; in English also the unmarked Japanese check."""
    problems = [f"[{where}, {page.viewport_size['width']}px] {p}" for p in _violations(page)]
    size = page.viewport_size
    if size["width"] != PHONE["width"]:
        page.set_viewport_size(PHONE)
        try:
            problems += [f"[{where}, 360px] {p}" for p in _violations(page)]
        finally:
            page.set_viewport_size(size)
    # The stock admin cannot mark each cell of a list; its Japanese data is checked on the
    # public pages only.
    if "/admin/" not in page.url and page.evaluate(
        "document.documentElement.lang"
    ).lower().startswith("en"):
        problems += [
            f"[{where}] Japanese text not marked lang=ja in an English page: {text}"
            for text in page.evaluate(_UNMARKED_JAPANESE_JS)
        ]
    return problems


def _other_language(page) -> str:
    return "ja" if page.evaluate("document.documentElement.lang").lower().startswith("en") else "en"


def _check_other_language(page) -> list[str]:
    """The same address in a separate browser context with the same session cookie.

    The other language comes from the browser's Accept-Language; the language cookie is left
    out, and the test's own context is never touched.
    """
    language = _other_language(page)
    state = page.context.storage_state()
    state["cookies"] = [c for c in state["cookies"] if c["name"] != LANGUAGE_COOKIE]
    context = page.context.browser.new_context(
        storage_state=state,
        locale="en-GB" if language == "en" else "ja-JP",
        timezone_id="Asia/Tokyo",
        viewport=page.viewport_size,
    )
    try:
        other = context.new_page()
        other.goto(page.url)
        return _check_here(other, language)
    finally:
        context.close()


def assert_accessible(page, *, other_language: bool = True) -> None:
    """No axe violation of any impact on this page, at its width and 360 px, in ja and en."""
    where = page.evaluate("document.documentElement.lang") or "?"
    problems = _check_here(page, where)
    if other_language:
        problems += _check_other_language(page)
    report = "\n".join(problems)
    assert not problems, f"accessibility problems on {page.url}:\n{report}"
