"""What a person reads on the booth pages and in the booking mails: the check page names each
answer as the form does, a radio group says what to choose, one subject style, the .ics in the
person's language (REQ NFR-1, NFR-2, NTF-1)."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from bookings.forms import BookingDetailsForm
from core.outbox import outbox_deliver_due
from tests.checkpage import fill_and_check

pytestmark = pytest.mark.django_db


def _request_url(booth):
    return reverse(
        "booths:request", kwargs={"booth_id": booth.pk, "day": "2026-11-18", "hhmm": "1000"}
    )


def _terms(html: str) -> list[str]:
    return re.findall(r"<dt>([^<]+)</dt>", html)


def _labels(html: str) -> set[str]:
    labels = re.findall(r"<(?:label|legend)[^>]*>\s*([^<]+?)\s*<", html)
    return {" ".join(label.split()).rstrip(":：") for label in labels}


def test_the_check_page_names_each_answer_as_the_form_does(
    frozen, client, seeker, booth, request_data
):
    # REQ NFR-1: "番号", "電話" and "同伴者" on the check page were "求職番号", "連絡先電話番号"
    # and "同席する方" on the form.
    client.force_login(seeker)
    form_labels = _labels(client.get(_request_url(booth)).content.decode())
    check = fill_and_check(client, _request_url(booth), request_data)
    terms = _terms(check.html)
    for answer in ("求職番号", "連絡先電話番号", "同席する方"):
        assert answer in terms
        assert answer in form_labels
    for old in ("番号", "電話", "同伴者"):
        assert old not in terms


def test_an_employer_reads_the_establishments_words_on_the_check_page(
    frozen, client, employer, booth, request_data
):
    # REQ NFR-1
    client.force_login(employer)
    check = fill_and_check(client, _request_url(booth), {**request_data, "purpose": "interview"})
    labels = BookingDetailsForm.labels_for(employer.user_type)
    assert str(labels["requester_name"]) in _terms(check.html)
    assert "事業所名" in _terms(check.html)


def test_a_radio_group_left_empty_says_what_to_choose(frozen, client, seeker, booth, request_data):
    # REQ NFR-1, NFR-2: not just "このフィールドは必須です。"
    client.force_login(seeker)
    html = client.post(_request_url(booth), {**request_data, "purpose": ""}).content.decode()
    assert "このフィールドは必須です。" not in html
    assert "「利用目的」を一つ選んでください。" in html


def test_booking_mail_subjects_and_the_ics_speak_japanese(
    frozen, client, seeker, booth, request_data
):
    # REQ NTF-1, NFR-1: subjects 【office】…, never […]; the .ics has no English COMMENT.
    client.force_login(seeker)
    fill_and_check(client, _request_url(booth), request_data).send(client)
    outbox_deliver_due()
    message = mail.outbox[0]
    assert message.subject.startswith(f"【{booth.office.name}】")
    assert "[" not in message.subject
    _name, ics, _type = message.attachments[0]
    ics_text = ics.decode() if isinstance(ics, bytes) else ics
    comments = [line for line in ics_text.splitlines() if line.startswith("COMMENT")]
    assert comments == ["COMMENT:日本標準時（UTC+9、夏時間なし）"]
