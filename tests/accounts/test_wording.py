"""The sign-in page and the account mails in plain Japanese (REQ NFR-1, NTF-1)."""

import re

import pytest

from core.models import OutboxMessage
from tests.accounts.flows import job_seeker_data
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_login_page_names_the_id_field_and_offers_the_password_link_once(client):
    # REQ NFR-1: the field was labelled just "ログイン"; "パスワードをお忘れの方" came twice.
    html = client.get("/accounts/login/").content.decode()
    label = re.search(r'<label for="id_login">\s*([^<]+?)\s*<', html).group(1)
    assert label == "ログインIDまたはメールアドレス"
    assert html.count("パスワードをお忘れの方") == 1


def test_the_header_greets_a_person_by_name_not_by_login_id(client, office):
    # REQ NFR-1, STF-1: "yamada.taro さんがログイン中"
    user = UserFactory(office=office, username="yamada.taro", last_name="山田", first_name="太郎")
    client.force_login(user)
    html = client.get("/").content.decode()
    assert "山田 太郎" in html
    assert "yamada.taro" not in html


def test_the_verification_mail_names_the_site_its_validity_and_the_office(client, office, settings):
    # REQ NTF-1: "こんにちは、ハローワーク オンライン相談 です!" and "127.0.0.1:8421", and
    # neither the link's validity nor the office.
    settings.SITE_URL = "http://127.0.0.1:8421"
    client.post("/accounts/signup/", job_seeker_data(office))
    message = OutboxMessage.objects.get(to=["hanako@example.jp"])
    body = message.body
    assert "こんにちは" not in body and "です!" not in body
    lines_with_host = [line for line in body.splitlines() if "127.0.0.1:8421" in line]
    assert all(line.startswith("http://127.0.0.1:8421/") for line in lines_with_host)
    assert f"{settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS}日間" in body
    assert office.name in body and office.phone in body
    assert message.subject.startswith(f"【{settings.SITE_NAME}】")
