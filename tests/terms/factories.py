from datetime import timedelta

import factory
from django.utils import timezone

from terms.models import Consent, TermsDocument, TermsService, TermsVersion, VersionStatus
from tests.factories import OfficeFactory


class TermsDocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TermsDocument
        django_get_or_create = ["office", "service"]

    office = factory.SubFactory(OfficeFactory)
    service = TermsService.BOOTH
    title = "相談ブース利用規約"


class TermsVersionFactory(factory.django.DjangoModelFactory):
    """A published version in effect since yesterday unless told otherwise."""

    class Meta:
        model = TermsVersion

    document = factory.SubFactory(TermsDocumentFactory)
    number = factory.Sequence(lambda n: n + 1)
    text = factory.LazyAttribute(lambda o: f"## 第{o.number}版\n\n予約は前日までに行います。")
    summary = ""
    status = VersionStatus.PUBLISHED
    effective_from = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    published_at = factory.LazyAttribute(
        lambda o: min(o.effective_from, timezone.now()) if o.status == "published" else None
    )


class ConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Consent

    version = factory.SubFactory(TermsVersionFactory)
    user = factory.SubFactory("tests.factories.UserFactory")
