# The booth fixtures the workplace tests share with the booth tests.
from tests.booths.conftest import booth, frozen, other_office, seeker  # noqa: F401
