import datetime

import factory

from booths.models import Booth, Purpose, Reservation
from consultations.calendar import SLOT, TOKYO
from tests.factories import OfficeFactory, UserFactory


class BoothFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Booth

    office = factory.SubFactory(OfficeFactory)
    name = factory.Sequence(lambda n: f"ブース{n}")


class ReservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reservation

    booth = factory.SubFactory(BoothFactory)
    starts_at = datetime.datetime(2026, 11, 18, 10, 0, tzinfo=TOKYO)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + SLOT)
    user = factory.SubFactory(UserFactory, office=factory.SelfAttribute("..booth.office"))
    user_type = factory.LazyAttribute(lambda o: o.user.user_type)
    purpose = Purpose.JOB_CONSULTATION
    requester_name = "山田 太郎"
    phone = "0173-12-3456"
