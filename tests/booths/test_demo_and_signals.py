"""Demo data for booths, and the reaction to an account being deleted (REQ REG-5)."""

import pytest

from accounts.signals import account_deleting
from booths.demo import load
from booths.models import Booth, Reservation, Status
from tests.booths.conftest import NOW, SLOT_AT, tokyo
from tests.booths.factories import ReservationFactory

pytestmark = pytest.mark.django_db


def test_demo_step_is_idempotent():
    # REQ NFR-5: `make run` may be run again
    from accounts.demo import load as load_accounts

    load_accounts()
    load()
    load()
    assert Booth.objects.filter(office__code="goshogawara").count() == 2
    assert Reservation.objects.filter(user__username="seeker").count() == 2
    assert Reservation.objects.filter(user__username="employer").count() == 1


def test_account_deletion_signal_cancels_future_reservations(frozen, seeker, booth):
    # REQ REG-5: every personal field is erased from the rows kept for the statistics
    personal = {
        "requester_name": "山田 太郎",
        "client_number": "02010-12345678",
        "note": "車椅子で伺います",
        "phone": "0173-11-2222",
        "companions": ["interpreter"],
    }
    future = ReservationFactory(booth=booth, user=seeker, starts_at=SLOT_AT, **personal)
    past = ReservationFactory(
        booth=booth,
        user=seeker,
        starts_at=tokyo(2026, 11, 2, 10),
        status=Status.COMPLETED,
        **personal,
    )
    account_deleting.send(sender=type(seeker), user=seeker, now=NOW, reason="self")
    future.refresh_from_db()
    assert future.status == Status.CANCELLED
    for kept in (future, past):
        kept.refresh_from_db()
        assert {name: getattr(kept, name) for name in personal} == {
            "requester_name": "",
            "client_number": "",
            "note": "",
            "phone": "",
            "companions": [],
        }
        assert kept.user_type == "job_seeker"
