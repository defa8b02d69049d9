import datetime

import factory

from bookings.calendar import SLOT, TOKYO
from consultations.models import Consultation, ConsultationPurpose, VideoTool, VideoToolKind
from tests.booths.factories import create_with_hold
from tests.factories import OfficeFactory, StaffFactory, UserFactory


class VideoToolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VideoTool

    office = factory.SubFactory(OfficeFactory)
    kind = VideoToolKind.ZOOM
    name = factory.Sequence(lambda n: f"Zoom {n}")
    allowed_hosts = "zoom.us"
    terms_url = "https://zoom.us/terms"


class ConsultationFactory(factory.django.DjangoModelFactory):
    """A booked (confirmed) online consultation, stored as the services store it (CON-7)."""

    class Meta:
        model = Consultation

    office = factory.SubFactory(OfficeFactory)
    counselor = factory.SubFactory(StaffFactory, office=factory.SelfAttribute("..office"))
    video_tool = factory.SubFactory(VideoToolFactory, office=factory.SelfAttribute("..office"))
    starts_at = datetime.datetime(2026, 11, 18, 10, 0, tzinfo=TOKYO)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + SLOT)
    user = factory.SubFactory(UserFactory, office=factory.SelfAttribute("..office"))
    user_type = factory.LazyAttribute(lambda o: o.user.user_type)
    purpose = ConsultationPurpose.JOB_CONSULTATION
    requester_name = "山田 太郎"
    phone = "0184-12-3456"
    status = "confirmed"
    confirmed_at = factory.LazyAttribute(lambda o: o.starts_at - datetime.timedelta(days=2))

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return create_with_hold(super()._create, model_class, *args, **kwargs)
