"""Numbers as Japanese users type them (REQ REG-2)."""

import pytest

from accounts.numbers import (
    normalise_establishment_number,
    normalise_jobseeker_number,
    normalise_kana,
    normalise_phone,
    normalise_postal_code,
)


@pytest.mark.parametrize(
    "typed",
    [
        "02010-12345678",
        "０２０１０－１２３４５６７８",
        "0201012345678",
        "02010ー12345678",
        "02010−12345678",
    ],
)
def test_jobseeker_numbers_in_any_width_are_normalised(typed):
    # REQ REG-2
    assert normalise_jobseeker_number(typed) == "02010-12345678"


@pytest.mark.parametrize("typed", ["0201-012345678", "02010-1234567", "abcde-12345678", ""])
def test_malformed_jobseeker_numbers_are_refused(typed):
    # REQ REG-2
    assert normalise_jobseeker_number(typed) is None


@pytest.mark.parametrize("typed", ["0101-123456-7", "０１０１－１２３４５６－７", "01011234567"])
def test_establishment_numbers_are_normalised(typed):
    # REQ REG-2
    assert normalise_establishment_number(typed) == "0101-123456-7"


def test_malformed_establishment_numbers_are_refused():
    # REQ REG-2: the employer's establishment number is checked where it is typed
    assert normalise_establishment_number("0101-1234567") is None
    assert normalise_establishment_number("010112345678") is None


@pytest.mark.parametrize("typed", ["037-0012", "０３７－００１２", "0370012", "〒037-0012"[1:]])
def test_postal_codes_are_normalised(typed):
    # REQ REG-2
    assert normalise_postal_code(typed) == "037-0012"


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("0173-34-5678", "0173-34-5678"),
        ("０９０－１２３４－５６７８", "090-1234-5678"),
        ("(0173)34-5678", "0173-34-5678"),
        ("0173345678", "0173345678"),
    ],
)
def test_phones_are_normalised(typed, stored):
    # REQ REG-2
    assert normalise_phone(typed) == stored


@pytest.mark.parametrize("typed", ["173-34-5678", "0173-34", "0173-34-5678-9999", "電話"])
def test_malformed_phones_are_refused(typed):
    # REQ REG-2
    assert normalise_phone(typed) is None


def test_kana_in_half_or_full_width_becomes_full_width():
    # REQ REG-2, CHR-1: the name in kana is stored one way
    assert normalise_kana("ﾔﾏﾀﾞ ﾊﾅｺ") == "ヤマダ　ハナコ"
    assert normalise_kana("やまだ　はなこ") == "やまだ　はなこ"
    assert normalise_kana("山田") is None
