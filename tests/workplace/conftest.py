# The booth fixtures the workplace tests share with the booth tests.
from tests.booths.conftest import booth, frozen, other_office, seeker  # noqa: F401

# The workplace pages' own fixtures, for the tests beside test_workplace.py.
from tests.workplace.test_workplace import me, staff_client, zoom  # noqa: F401
