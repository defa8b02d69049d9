"""The shared booking life is tested through either service: booth reservations are the
simplest bookings, so the booth fixtures serve here (online ones come from their factories)."""

from tests.booths.conftest import (  # noqa: F401  (fixtures)
    booth,
    employer,
    frozen,
    other_office,
    seeker,
    staff,
)
from tests.consultations.conftest import counselor, zoom  # noqa: F401  (fixtures)
