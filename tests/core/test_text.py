"""The character rule, exhaustively: every JIS X 0201/0208 character in, everything else out."""

import contextlib
import unicodedata

import pytest
from django import forms
from django.core.exceptions import ValidationError

from core.forms import Form
from core.text import (
    LOOKALIKES,
    find_non_jis,
    is_jis_char,
    is_jis_text,
    normalise_jis_text,
    suggestion_for,
    validate_jis_text,
)


def _decoded_shift_jis() -> set[str]:
    """Every character a valid Shift_JIS byte sequence decodes to: JIS X 0201 + JIS X 0208."""
    chars = set()
    for byte in range(0x100):
        with contextlib.suppress(UnicodeDecodeError):
            chars.add(bytes([byte]).decode("shift_jis"))
    lead_bytes = [*range(0x81, 0xA0), *range(0xE0, 0xF0)]
    for lead in lead_bytes:
        for trail in range(0x40, 0x100):
            try:
                text = bytes([lead, trail]).decode("shift_jis")
            except UnicodeDecodeError:
                continue
            if len(text) == 1:
                chars.add(text)
    return chars


JIS_X_0201_EXTRA = {"¥", "‾"}  # JIS X 0201 Roman's yen sign and overline
ACCEPTED = {
    ch for ch in _decoded_shift_jis() | JIS_X_0201_EXTRA if unicodedata.category(ch) != "Cc"
} | {"\t", "\n", "\r"}


def test_the_accepted_set_has_the_sizes_of_the_two_standards():
    # REQ CHR-1: 6,879 characters of JIS X 0208; JIS X 0201: 95 printable Roman (incl. space)
    # + ¥ and ‾ as the codec's extra Roman forms, and 63 half-width katakana.
    two_byte = {ch for ch in ACCEPTED if len(ch.encode("shift_jis")) == 2}
    one_byte = ACCEPTED - two_byte - {"\t", "\n", "\r"}
    assert len(two_byte) == 6879
    assert len(one_byte) == 95 + 2 + 63


def test_every_jis_x_0201_and_0208_character_is_accepted():
    # REQ CHR-1
    rejected = [ch for ch in ACCEPTED if not is_jis_char(ch)]
    assert rejected == []
    assert is_jis_text("".join(sorted(ACCEPTED)))


def test_every_other_code_point_is_rejected():
    # REQ CHR-1: walks all of Unicode; nothing outside the two sets slips through.
    accepted_elsewhere = [
        chr(cp)
        for cp in range(0x110000)
        if not 0xD800 <= cp <= 0xDFFF and chr(cp) not in ACCEPTED and is_jis_char(chr(cp))
    ]
    assert accepted_elsewhere == []


@pytest.mark.parametrize(
    "char",
    ["①", "②", "⑳", "㈱", "㈲", "Ⅰ", "Ⅻ", "ⅰ", "№", "℡", "㍻", "㌔", "㎝"],
)
def test_machine_dependent_characters_are_rejected(char):
    # REQ CHR-1: NEC and IBM extensions of cp932
    assert not is_jis_char(char)


@pytest.mark.parametrize("char", ["髙", "﨑", "𠮷", "德", "栁", "濵", "凞", "彅", "鷗", "剝"])
def test_kanji_outside_level_1_and_2_are_rejected(char):
    # REQ CHR-1
    assert not is_jis_char(char)


@pytest.mark.parametrize("char", ["😀", "👍", "🍣", "❤", "☺\ufe0f", "\u200d", "\U0001f1ef"])
def test_emoji_and_their_joiners_are_rejected(char):
    # REQ CHR-1
    assert find_non_jis(char)


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\u200b", "\ufeff"])
def test_control_and_invisible_characters_are_rejected(char):
    # REQ CHR-1
    assert not is_jis_char(char)


def test_tab_and_line_breaks_are_allowed_in_long_texts():
    # REQ CHR-1
    assert is_jis_text("一行目\r\n二行目\tタブ")


@pytest.mark.parametrize(
    "typed, jis",
    [("～", "〜"), ("－", "−"), ("∥", "‖"), ("￠", "¢"), ("￡", "£"), ("￢", "¬")],
)
def test_windows_lookalikes_are_mapped_silently_to_jis(typed, jis):
    # REQ CHR-3
    assert not is_jis_char(typed)
    assert is_jis_char(jis)
    assert normalise_jis_text(f"9時{typed}17時") == f"9時{jis}17時"
    validate_jis_text(f"9時{typed}17時")  # no error


def test_every_lookalike_maps_to_an_accepted_character():
    # REQ CHR-3
    assert all(is_jis_char(target) for target in LOOKALIKES.values())


@pytest.mark.parametrize(
    "char, suggestion",
    [
        ("髙", "高"),
        ("﨑", "崎"),
        ("𠮷", "吉"),
        ("①", "1"),
        ("⑫", "12"),
        ("Ⅳ", "IV"),
        ("㈱", "(株)"),
    ],
)
def test_known_replacements_are_suggested(char, suggestion):
    # REQ CHR-2
    assert suggestion_for(char) == suggestion


def test_no_suggestion_is_invented_for_emoji():
    # REQ CHR-2
    assert suggestion_for("😀") is None


def test_the_error_names_each_rejected_character_once_with_its_suggestion():
    # REQ CHR-2
    with pytest.raises(ValidationError) as error:
        validate_jis_text("髙橋①㈱😀髙")
    message = error.value.messages[0]
    for char in ["髙", "①", "㈱", "😀"]:
        assert f"「{char}」" in message
    assert message.count("「髙」") == 1
    assert "代わりに「高」" in message and "代わりに「1」" in message
    assert "U+1F600" in message


def test_invisible_characters_are_named_by_code_point():
    # REQ CHR-2: a zero-width space would be invisible in the message
    with pytest.raises(ValidationError) as error:
        validate_jis_text("山田\u200b")
    assert "U+200B" in error.value.messages[0]


class _Sample(Form):
    name = forms.CharField()
    note = forms.CharField(widget=forms.Textarea, required=False)


@pytest.mark.parametrize("value", ["𠮷野家", "髙島屋", "①番", "㈱試験", "よろしく😀"])
def test_a_form_rejects_the_character_and_names_it(value):
    # REQ CHR-1, CHR-2
    form = _Sample(data={"name": value})
    assert not form.is_valid()
    rejected = find_non_jis(normalise_jis_text(value))
    assert all(ch in form.errors["name"][0] for ch in rejected)


def test_a_form_accepts_windows_input_and_returns_the_jis_form():
    # REQ CHR-3
    form = _Sample(data={"name": "9：00～17：00", "note": "Ａ－Ｂ ∥ ￠￡￢"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["name"] == "9：00〜17：00"
    assert form.cleaned_data["note"] == "Ａ−Ｂ ‖ ¢£¬"
