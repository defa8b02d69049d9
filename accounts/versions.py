"""The data versions kept on accounts' rows, as targets of `core.versioning` (REQ NFR-4).

- OFFICE, `Office.availability_version`: an office's bookings of either service, booths,
  closures, counselors' availability, video tools and consultation joins (what its month and
  day grids and its staff pages show);
- PERSON, `User.booking_facts_version`: a person's bookings of either service and e-mail
  addresses (whether they may book, their no-contact cancellations);
- RIGHTS, `User.rights_version`: a person's groups, own permissions, their groups' permissions
  and their second-factor authenticators (what they may do, `accounts.rights`);
- PLACES, `Office.places_version`: an office's booths, closures, counselors' published times
  (patterns, exceptions), video tools and their default links, not its bookings (what
  outlives a booking: a booth's row, the closed days, who publishes a slot, the send's video
  tool and default link);
- PEOPLE, `Office.people_version`: consents to the office's terms, and the names and standing
  of its people (what the day sheet shows of them beside their bookings);
- GATE, `Office.gate_version`: the office's terms versions and the notices that reach its
  people, its own and national ones (what the consent and maintenance gates read).

Migrations of this app and the apps above it name these when they install the triggers that
raise them, so core never names a table of accounts.
"""

from core.versioning import Target

from .models import Office, User

OFFICE: Target = (Office._meta.db_table, "availability_version")
PERSON: Target = (User._meta.db_table, "booking_facts_version")
GATE: Target = (Office._meta.db_table, "gate_version")
PEOPLE: Target = (Office._meta.db_table, "people_version")
PLACES: Target = (Office._meta.db_table, "places_version")
RIGHTS: Target = (User._meta.db_table, "rights_version")
