from datetime import timedelta

import pytest
from django.utils import timezone

from tests.terms.factories import TermsDocumentFactory, TermsVersionFactory


@pytest.fixture
def booth_terms(office):
    return TermsDocumentFactory(office=office)


@pytest.fixture
def v1(booth_terms):
    return TermsVersionFactory(
        document=booth_terms,
        number=1,
        text="## 予約\n\n予約は前日17時までです。\n\nキャンセルは電話で連絡します。",
        effective_from=timezone.now() - timedelta(days=30),
    )


@pytest.fixture
def v2(v1):
    return TermsVersionFactory(
        document=v1.document,
        number=2,
        text="## 予約\n\n予約は前日17時までです。\n\nキャンセルはサイトからもできます。",
        summary="キャンセルの方法を追加しました。",
        effective_from=timezone.now() - timedelta(hours=1),
    )
