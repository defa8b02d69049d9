"""Staff erase an account for prohibited acts (REQ REG-10)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import account_erase_by_staff
from booths.models import Reservation, Status
from core.models import OutboxMessage
from tests.auth import login_client, staff_with_mfa
from tests.booths.factories import ReservationFactory
from tests.factories import OfficeFactory, UserFactory

pytestmark = pytest.mark.django_db


def _person_with_a_future_booking(office):
    person = UserFactory(office=office, email="taro@example.jp", last_name="山田")
    ReservationFactory(
        user=person, booth__office=office, starts_at=timezone.now() + timedelta(days=7)
    )
    return person


def test_staff_erasure_is_the_reg5_erasure_recorded_with_reason(office):
    # REQ REG-10
    staff = staff_with_mfa(office=office)
    person = _person_with_a_future_booking(office)
    erased = account_erase_by_staff(
        user=person, by=staff, reason="prohibited_acts", note="職員への暴言"
    )
    assert erased.deleted_at is not None and erased.username == f"deleted-{person.pk}"
    assert (erased.email, erased.last_name) == ("", "")
    assert (erased.erased_by, erased.erasure_reason) == (staff, "prohibited_acts")
    assert erased.erasure_note == "職員への暴言"
    assert Reservation.objects.get(user=person).status == Status.CANCELLED
    mails = OutboxMessage.objects.filter(to=["taro@example.jp"])
    # The booking's cancellation and the erasure notice, both kept for delivery.
    assert mails.count() == 2


def test_only_staff_of_the_persons_office_may_erase(office):
    # REQ REG-10, STF-2
    outsider = staff_with_mfa(office=OfficeFactory(code="noshiro"))
    person = UserFactory(office=office)
    with pytest.raises(ValidationError):
        account_erase_by_staff(user=person, by=outsider, reason="prohibited_acts")
    person.refresh_from_db()
    assert person.deleted_at is None
    superuser = staff_with_mfa(office=OfficeFactory(code="akita"), is_superuser=True)
    account_erase_by_staff(user=person, by=superuser, reason="threats")
    person.refresh_from_db()
    assert person.deleted_at is not None


def test_the_admin_action_asks_for_confirmation_before_erasing(client, office):
    # REQ REG-10: the first post shows the confirmation page; nothing is erased yet.
    staff = staff_with_mfa(office=office, is_superuser=True)
    login_client(client, staff)
    person = UserFactory(office=office)
    url = reverse("admin:accounts_user_changelist")
    selected = {"action": "erase", "_selected_action": [person.pk]}
    page = client.post(url, selected)
    assert page.status_code == 200
    assert "accounts/admin_confirm_action.html" in [t.name for t in page.templates]
    assert page.context["action"] == "erase"
    assert User.objects.get(pk=person.pk).deleted_at is None
    unticked = client.post(url, {**selected, "apply": "1", "reason": "threats", "note": "x"})
    assert unticked.status_code == 200
    assert User.objects.get(pk=person.pk).deleted_at is None
    done = client.post(
        url, {**selected, "apply": "1", "reason": "threats", "note": "脅迫", "confirm": "on"}
    )
    assert done.status_code == 302
    erased = User.objects.get(pk=person.pk)
    assert erased.deleted_at is not None and erased.erased_by == staff
