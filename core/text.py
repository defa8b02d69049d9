"""The character rule (REQ CHR-1 … CHR-3) as pure functions.

Accepted: JIS X 0201 (half-width alphanumerics, symbols and kana) and JIS X 0208 (full-width
kana, alphanumerics and symbols, level 1 and 2 kanji), plus tab and line breaks in long texts.
Python's `shift_jis` codec encodes exactly these two sets (no vendor extensions, unlike
`cp932`), so it is the membership test: the 191 one-byte and 6,879 two-byte characters it
decodes, plus ¥ and ‾, which it encodes as the JIS X 0201 Roman forms of \\ and ~. Control
characters other than tab and line breaks are rejected although the codec knows them.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

# Characters Windows (cp932) or other systems type for a JIS character: mapped silently (CHR-3).
LOOKALIKES = {
    "\uff5e": "\u301c",  # ～ FULLWIDTH TILDE -> 〜 WAVE DASH
    "\uff0d": "\u2212",  # － FULLWIDTH HYPHEN-MINUS -> − MINUS SIGN
    "\u2225": "\u2016",  # ∥ PARALLEL TO -> ‖ DOUBLE VERTICAL LINE
    "\uffe0": "\u00a2",  # ￠ -> ¢
    "\uffe1": "\u00a3",  # ￡ -> £
    "\uffe2": "\u00ac",  # ￢ -> ¬
    "\u2014": "\u2015",  # — EM DASH -> ― HORIZONTAL BAR (JIS 1-29)
    "\u00a0": " ",  # no-break space -> space
}

# Suggestions for common characters outside JIS level 1/2 that NFKC does not resolve (CHR-2).
SUGGESTIONS = {
    "髙": "高",
    "﨑": "崎",
    "𠮷": "吉",
    "德": "徳",
    "栁": "柳",
    "濵": "濱",
    "凞": "煕",
    "彅": "薙",
}

ALLOWED_CONTROLS = {"\n", "\r", "\t"}


def normalise_jis_text(value: str) -> str:
    """Replace the usual look-alikes by their JIS forms; everything else is kept as typed."""
    return "".join(LOOKALIKES.get(ch, ch) for ch in value)


def is_jis_char(ch: str) -> bool:
    if ch in ALLOWED_CONTROLS:
        return True
    if unicodedata.category(ch) == "Cc":
        return False
    try:
        ch.encode("shift_jis")
    except UnicodeEncodeError:
        return False
    return True


def find_non_jis(value: str) -> list[str]:
    """The distinct characters of `value` outside JIS X 0201/0208, in order of appearance."""
    seen: list[str] = []
    for ch in value:
        if not is_jis_char(ch) and ch not in seen:
            seen.append(ch)
    return seen


def is_jis_text(value: str) -> bool:
    return not find_non_jis(value)


def suggestion_for(ch: str) -> str | None:
    """What to type instead of a rejected character, where one is known."""
    if ch in SUGGESTIONS:
        return SUGGESTIONS[ch]
    folded = unicodedata.normalize("NFKC", ch)
    if folded != ch and folded and is_jis_text(folded):
        return folded
    return None


def describe(ch: str) -> str:
    """A readable name for a character in an error message: the character and its code point."""
    if unicodedata.category(ch) in {"Cc", "Cf", "Zs"}:
        return f"U+{ord(ch):04X}"
    if (get_language() or "ja").split("-")[0] == "ja":
        return f"「{ch}」(U+{ord(ch):04X})"
    return f"“{ch}” (U+{ord(ch):04X})"


def validate_jis_text(value: str) -> None:
    """Raise a ValidationError naming each rejected character with a suggestion (CHR-1, CHR-2)."""
    if not value or not isinstance(value, str):
        return
    rejected = find_non_jis(normalise_jis_text(value))
    if not rejected:
        return
    parts = []
    for ch in rejected:
        suggestion = suggestion_for(ch)
        if suggestion:
            parts.append(
                _("%(char)s (type “%(suggestion)s” instead)")
                % {"char": describe(ch), "suggestion": suggestion}
            )
        else:
            parts.append(describe(ch))
    message = ngettext(
        "This character cannot be used: %(chars)s. Use characters of JIS level 1 and 2 only.",
        "These characters cannot be used: %(chars)s. Use characters of JIS level 1 and 2 only.",
        len(rejected),
    ) % {"chars": _(", ").join(parts)}
    raise ValidationError(message, code="non_jis")
