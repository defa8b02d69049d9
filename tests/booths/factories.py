import datetime

import factory

from bookings.calendar import SLOT, TOKYO
from bookings.models import ACTIVE_STATUSES, CounselorHold, PersonHold, Status
from booths.models import Booth, Purpose, Reservation
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

    class Params:
        # Confirmed by staff's phone call two days before (BTH-5).
        confirmed = factory.Trait(
            status=Status.CONFIRMED,
            phoned_at=factory.LazyAttribute(lambda o: o.starts_at - datetime.timedelta(days=2)),
            confirmed_at=factory.LazyAttribute(lambda o: o.starts_at - datetime.timedelta(days=2)),
        )

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return create_with_hold(super()._create, model_class, *args, **kwargs)


def create_with_hold(create, model_class, *args, **kwargs):
    """Stored as the services store it: an active booking holds its counselor (REQ CON-7) and
    its person (REQ CON-10); the database refuses the row otherwise."""
    status = kwargs.get("status", Status.REQUESTED)
    holder = model_class._meta.label_lower
    if kwargs.get("counselor") is not None and status in ACTIVE_STATUSES:
        kwargs["counselor_hold"] = CounselorHold.objects.create(
            counselor=kwargs["counselor"], starts_at=kwargs["starts_at"], holder=holder
        )
    if kwargs.get("user") is not None and status in ACTIVE_STATUSES:
        kwargs["person_hold"] = PersonHold.objects.create(
            user=kwargs["user"], starts_at=kwargs["starts_at"], holder=holder
        )
    return create(model_class, *args, **kwargs)
