"""Demo data for booths, and the reaction to an account being deleted (REQ REG-5)."""

import pytest

from accounts.signals import account_deleting
from booths.demo import load
from booths.models import Booth, Reservation, Status
from tests.booths.conftest import NOW, SLOT_AT
from tests.booths.factories import ReservationFactory

pytestmark = pytest.mark.django_db


def test_demo_step_is_idempotent():
    from accounts.demo import load as load_accounts

    load_accounts()
    load()
    load()
    assert Booth.objects.filter(office__code="goshogawara").count() == 2
    assert Reservation.objects.filter(user__username="seeker").count() == 2
    assert Reservation.objects.filter(user__username="employer").count() == 1


def test_account_deletion_signal_cancels_future_reservations(frozen, seeker, booth):
    # REQ REG-5
    reservation = ReservationFactory(booth=booth, user=seeker, starts_at=SLOT_AT)
    account_deleting.send(sender=type(seeker), user=seeker, now=NOW, reason="self")
    reservation.refresh_from_db()
    assert reservation.status == Status.CANCELLED
    assert reservation.phone == ""
