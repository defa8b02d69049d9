"""factory_boy factories for the models every app uses."""

import factory
from allauth.account.models import EmailAddress

from accounts.models import (
    EstablishmentNumberStatus,
    JobseekerNumberStatus,
    Office,
    User,
    UserType,
)

DEFAULT_PASSWORD = "correct-horse-battery-9"


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"office{n}")
    name = factory.Sequence(lambda n: f"ハローワーク試験{n}")
    address = "秋田県試験市1-2-3"
    phone = "0184-22-3333"
    email = factory.LazyAttribute(lambda o: f"{o.code}@example.jp")
    court = "秋田地方裁判所"
    offers_online_consultations = True
    offers_booths = True


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.jp")
    last_name = "山田"
    first_name = "太郎"
    name_kana = "ヤマダ　タロウ"
    postal_code = "015-0001"
    address = "秋田県由利本荘市試験町1-1"
    phone = "0184-00-1234"
    jobseeker_number_status = JobseekerNumberStatus.MY_PAGE
    user_type = UserType.JOB_SEEKER
    office = factory.SubFactory(OfficeFactory)

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or DEFAULT_PASSWORD)
        if create:
            obj.save()

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class EmployerFactory(UserFactory):
    username = factory.Sequence(lambda n: f"employer{n}")
    user_type = UserType.EMPLOYER
    last_name = "佐藤"
    first_name = "一郎"
    name_kana = "サトウ　イチロウ"
    jobseeker_number_status = ""
    establishment_name = "株式会社試験"
    establishment_number_status = EstablishmentNumberStatus.NUMBER
    establishment_number = "0101-123456-7"


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    user_type = UserType.STAFF
    is_staff = True
    name_kana = ""
    postal_code = ""
    address = ""
    phone = ""
    jobseeker_number_status = ""
