"""Numbers people type: job-seeker and establishment numbers, postal codes, phones (REQ REG-2).

Pure functions. Japanese keyboards often type full-width digits and one of several dashes; all
of them are accepted and the value is stored in one canonical, half-width form.
"""

from __future__ import annotations

import re
import unicodedata

# Everything a Japanese IME or a Windows keyboard produces for "a hyphen between digits".
DASHES = "-‐‑‒–—―−－ーｰ─━"

JOBSEEKER_NUMBER = (5, 8)  # NNNNN-NNNNNNNN
ESTABLISHMENT_NUMBER = (4, 6, 1)  # NNNN-NNNNNN-N
POSTAL_CODE = (3, 4)  # NNN-NNNN


def half_width(value: str) -> str:
    """Full-width digits and dashes to ASCII; spaces removed."""
    folded = unicodedata.normalize("NFKC", value)
    folded = "".join("-" if ch in DASHES else ch for ch in folded)
    return re.sub(r"\s+", "", folded)


def _grouped(value: str, groups: tuple[int, ...]) -> str | None:
    """`value` in the form of `groups` digits joined by hyphens, or None when it doesn't fit.

    Hyphens may be left out entirely; when present they must sit where the format has them.
    """
    value = half_width(value)
    pattern = "-".join(rf"\d{{{size}}}" for size in groups)
    digits = value.replace("-", "")
    if "-" in value and not re.fullmatch(pattern, value):
        return None
    if not re.fullmatch(rf"\d{{{sum(groups)}}}", digits):
        return None
    parts, start = [], 0
    for size in groups:
        parts.append(digits[start : start + size])
        start += size
    return "-".join(parts)


def normalise_jobseeker_number(value: str) -> str | None:
    return _grouped(value, JOBSEEKER_NUMBER)


def normalise_establishment_number(value: str) -> str | None:
    return _grouped(value, ESTABLISHMENT_NUMBER)


def normalise_postal_code(value: str) -> str | None:
    return _grouped(value, POSTAL_CODE)


def normalise_phone(value: str) -> str | None:
    """A Japanese phone number: 10 or 11 digits starting with 0, hyphens kept where typed."""
    value = half_width(value).replace("(", "-").replace(")", "-").strip("-")
    value = re.sub(r"-{2,}", "-", value)
    if not re.fullmatch(r"[\d-]+", value):
        return None
    digits = value.replace("-", "")
    if not re.fullmatch(r"0\d{9,10}", digits):
        return None
    return value


KANA = re.compile(r"[\u3041-\u3096\u309d\u309e\u30a1-\u30fa\u30fc-\u30fe\u3000 ・]+")


def normalise_kana(value: str) -> str | None:
    """A name in kana (hiragana or katakana, half-width katakana made full-width)."""
    value = unicodedata.normalize("NFKC", value).strip()
    value = re.sub(r"\s+", "\u3000", value)
    return value if KANA.fullmatch(value) else None


def katakana(value: str) -> str:
    """Hiragana turned into katakana; everything else as it is."""
    return "".join(chr(ord(ch) + 0x60) if "\u3041" <= ch <= "\u3096" else ch for ch in value)


def hiragana(value: str) -> str:
    """Katakana turned into hiragana; everything else as it is."""
    return "".join(chr(ord(ch) - 0x60) if "\u30a1" <= ch <= "\u30f6" else ch for ch in value)
