"""Steps a new user takes, shared by the account tests."""

import re

from django.core import mail

from core.outbox import outbox_deliver_due
from tests.factories import DEFAULT_PASSWORD

LINK = re.compile(r"https?://[^\s]+/accounts/confirm-email/[^\s]+/")


def job_seeker_data(office, **overrides) -> dict:
    data = {
        "office": office.pk,
        "username": "hanako",
        "email": "hanako@example.jp",
        "password1": DEFAULT_PASSWORD,
        "password2": DEFAULT_PASSWORD,
        "last_name": "山田",
        "first_name": "花子",
        "name_kana": "ヤマダ　ハナコ",
        "postal_code": "０３７－００１２",
        "address": "青森県五所川原市試験町１－２",
        "phone": "０１７３－３４－５６７８",
        "jobseeker_number_status": "number",
        "jobseeker_number": "０２０１０－１２３４５６７８",
        "accept_terms": "on",
    }
    data.update(overrides)
    return data


def employer_data(office, **overrides) -> dict:
    data = {
        "office": office.pk,
        "username": "hr-sato",
        "email": "hr@example.co.jp",
        "password1": DEFAULT_PASSWORD,
        "password2": DEFAULT_PASSWORD,
        "establishment_name": "株式会社五所川原試験",
        "establishment_number_status": "number",
        "establishment_number": "０２０１－１２３４５６－７",
        "last_name": "佐藤",
        "first_name": "一郎",
        "name_kana": "サトウ　イチロウ",
        "postal_code": "0370012",
        "address": "青森県五所川原市試験町3-4",
        "phone": "0173-34-0000",
        "accept_terms": "on",
    }
    data.update(overrides)
    return data


def delivered_link() -> str:
    """Deliver the outbox and return the verification link of the last mail."""
    outbox_deliver_due()
    for message in reversed(mail.outbox):
        match = LINK.search(message.body)
        if match:
            return match.group(0)
    raise AssertionError("no verification link in the delivered mail")
