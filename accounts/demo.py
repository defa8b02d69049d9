"""Demo offices and people. The texts are invented for the demo."""

import datetime

from core.demo import register

from .models import Office, User, UserType

DEMO_PASSWORD = "demo-pass-2026"

OFFICES = [
    {
        "code": "honjo",
        "name": "ハローワーク本荘（デモ）",
        "postal_code": "015-0000",
        "address": "秋田県由利本荘市デモ町1-1",
        "phone": "0184-00-0000",
        "email": "honjo@example.jp",
        "court": "秋田地方裁判所",
        "offers_online_consultations": True,
        "offers_booths": False,
    },
    {
        "code": "goshogawara",
        "name": "五所川原公共職業安定所（デモ）",
        "postal_code": "037-0000",
        "address": "青森県五所川原市デモ通り2-2",
        "phone": "0173-00-0000",
        "email": "goshogawara@example.jp",
        "court": "青森地方裁判所",
        "offers_online_consultations": False,
        "offers_booths": True,
    },
]


def _user(username: str, **fields) -> User:
    user, created = User.objects.get_or_create(username=username, defaults=fields)
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    _verified_email(user)
    return user


def _verified_email(user: User) -> None:
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )


@register("accounts")
def load() -> list[str]:
    offices = {}
    for data in OFFICES:
        code = data["code"]
        offices[code], _ = Office.objects.update_or_create(
            code=code,
            defaults={**data, "opens_at": datetime.time(9), "closes_at": datetime.time(17)},
        )
    _user(
        "admin",
        email="admin@example.jp",
        user_type=UserType.STAFF,
        is_staff=True,
        is_superuser=True,
        first_name="管理者",
        office=offices["honjo"],
    )
    _user(
        "counselor-honjo",
        email="counselor-honjo@example.jp",
        user_type=UserType.STAFF,
        is_staff=True,
        last_name="本荘",
        first_name="相談員",
        office=offices["honjo"],
    )
    _user(
        "counselor-goshogawara",
        email="counselor-goshogawara@example.jp",
        user_type=UserType.STAFF,
        is_staff=True,
        last_name="五所川原",
        first_name="相談員",
        office=offices["goshogawara"],
    )
    _user(
        "seeker",
        email="seeker@example.jp",
        user_type=UserType.JOB_SEEKER,
        last_name="山田",
        first_name="花子",
        office=offices["goshogawara"],
    )
    _user(
        "employer",
        email="employer@example.jp",
        user_type=UserType.EMPLOYER,
        last_name="佐藤",
        first_name="一郎",
        office=offices["goshogawara"],
    )
    return [
        f"Demo logins (password for all: {DEMO_PASSWORD})",
        "  job seeker:  seeker",
        "  employer:    employer",
        "  counselors:  counselor-honjo, counselor-goshogawara  (admin: /admin/)",
        "  admin:       admin",
    ]
