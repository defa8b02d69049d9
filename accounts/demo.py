"""Demo offices and people. The texts are invented for the demo."""

import datetime

from core.demo import register

from .models import EstablishmentNumberStatus, JobseekerNumberStatus, Office, User, UserType
from .roles import ensure_counselor_group

DEMO_PASSWORD = "demo-pass-2026"
# The admin requires a second factor (REQ REG-8). Demo staff come with an authenticator app
# enrolled on this published secret, so anyone can sign in to the demo admin: add it to an
# authenticator app (or compute codes with `oathtool --totp -b SECRET`). Demo only.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPDEMOHELLOWORK234"

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


def _enrol_totp(user: User) -> None:
    from allauth.mfa.models import Authenticator

    from .security import totp_enrol

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        totp_enrol(user, DEMO_TOTP_SECRET)


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
    counselors = ensure_counselor_group()
    admin = _user(
        "admin",
        email="admin@example.jp",
        user_type=UserType.STAFF,
        is_staff=True,
        is_superuser=True,
        first_name="管理者",
        office=offices["honjo"],
    )
    _enrol_totp(admin)
    for username, last_name, office in (
        ("counselor-honjo", "本荘", offices["honjo"]),
        ("counselor-goshogawara", "五所川原", offices["goshogawara"]),
    ):
        counselor = _user(
            username,
            email=f"{username}@example.jp",
            user_type=UserType.STAFF,
            is_staff=True,
            last_name=last_name,
            first_name="相談員",
            office=office,
        )
        counselor.groups.add(counselors)
        _enrol_totp(counselor)
    _user(
        "seeker",
        email="seeker@example.jp",
        user_type=UserType.JOB_SEEKER,
        last_name="山田",
        first_name="花子",
        name_kana="ヤマダ ハナコ",
        postal_code="037-0001",
        address="青森県五所川原市デモ町3-4",
        phone="0173-00-1234",
        jobseeker_number="02030-12345678",
        jobseeker_number_status=JobseekerNumberStatus.NUMBER,
        office=offices["goshogawara"],
    )
    _user(
        "employer",
        email="employer@example.jp",
        user_type=UserType.EMPLOYER,
        last_name="佐藤",
        first_name="一郎",
        name_kana="サトウ イチロウ",
        phone="0173-00-5678",
        establishment_name="株式会社デモ製作所",
        establishment_number="0203-123456-7",
        establishment_number_status=EstablishmentNumberStatus.NUMBER,
        office=offices["goshogawara"],
    )
    return [
        f"Demo logins (password for all: {DEMO_PASSWORD})",
        "  job seeker:  seeker",
        "  employer:    employer",
        "  counselors:  counselor-honjo, counselor-goshogawara  (admin: /admin/)",
        "  admin:       admin",
        f"The admin asks for an authenticator code: add the secret {DEMO_TOTP_SECRET}",
        "  to an authenticator app (demo only), or enrol your own after signing in.",
    ]
