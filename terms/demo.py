"""Demo terms, written for the demo (not taken from any real office's terms)."""

from datetime import timedelta

from django.utils import timezone

from accounts.models import Office, User
from core.demo import register

from .models import Consent, TermsDocument, TermsService, TermsVersion, VersionStatus

ONLINE_V1 = """## この規約について

この規約は、デモ用のオンライン職業相談サービスを使うときの約束ごとをまとめたものです。

## 使える方

- 当所で求職の登録をしている方、または登録の手続き中の方
- カメラ付きのパソコンやスマートフォンを用意できる方

## 相談のしかた

1. サイトで相談の日時を予約します（1回30分）。
2. 開始10分前から、予約ページに接続用のリンクが表示されます。
3. 相談は周りに人のいない場所で受けてください。同席者がいる場合は予約時にお知らせください。

## してはいけないこと

- 相談の録画や録音
- 他人のIDでの利用や、事実と異なる登録
- 就職の相談以外の目的での利用

## 記録について

サービスの運用のため、接続の日時や端末の情報を記録します。記録は公開しません。
"""

BOOTH_V1 = """## この規約について

この規約は、デモ用の相談ブース（ハローワーク内のオンライン相談用の個室）を使うときの約束ごとをまとめたものです。

## 使える方

- 求職の登録をしている方、または登録しようとしている方
- 事業所の登録をしている、または登録を予定している事業所の人事担当の方

## 予約

- 平日の9時から17時まで、1回30分です。
- 前の開庁日の17時までに予約してください。当所から電話で日時を確認します。
- キャンセルは電話でご連絡ください。連絡なく開始から10分を過ぎた場合はキャンセルとして扱います。

## 空いていればすぐに使えます

規約に同意済みの方は、ブースが空いていれば予約なしで30分使えます。

## 記録について

ブースの利用時間帯を記録します。記録は公開しません。
"""

BOOTH_V2 = (
    BOOTH_V1.replace(
        "- キャンセルは電話でご連絡ください。",
        "- キャンセルは電話またはこのサイトの「予約の確認」からできます。",
    )
    + """
## 同席者

通訳や介助の方などが同席する場合は、予約のときにお知らせください。
"""
)


def _document(office, service, title, versions):
    document, _ = TermsDocument.objects.update_or_create(
        office=office, service=service, defaults={"title": title}
    )
    now = timezone.now()
    for number, (text, summary, effective_from) in enumerate(versions, start=1):
        if not document.versions.filter(number=number).exists():
            TermsVersion.objects.create(
                document=document,
                number=number,
                text=text,
                summary=summary,
                status=VersionStatus.PUBLISHED,
                published_at=min(now, effective_from),
                effective_from=effective_from,
            )
    return document


@register("terms")
def load() -> list[str]:
    now = timezone.now()
    offices = {
        office.code: office for office in Office.objects.filter(code__in=["honjo", "goshogawara"])
    }
    lines = []
    if "honjo" in offices:
        _document(
            offices["honjo"],
            TermsService.ONLINE,
            "オンライン職業相談 利用規約（デモ）",
            [(ONLINE_V1, "", now - timedelta(days=365))],
        )
    if "goshogawara" in offices:
        document = _document(
            offices["goshogawara"],
            TermsService.BOOTH,
            "相談ブース 利用規約（デモ）",
            [
                (BOOTH_V1, "", now - timedelta(days=365)),
                (
                    BOOTH_V2,
                    "オンラインでのキャンセルと、同席者の申し出について追記しました。",
                    now + timedelta(days=14),
                ),
            ],
        )
        first = document.versions.get(number=1)
        for user in User.objects.filter(username__in=["seeker", "employer"]):
            if not Consent.objects.filter(user=user, version=first).exists():
                Consent.objects.create(user=user, version=first)
        lines.append("Terms: booth terms v2 of 五所川原 takes effect in 14 days (announced).")
    return lines
