"""Signals other apps connect to. accounts never imports the apps above it (booths, …), so it
announces what happens to an account and they act on their own rows."""

from django.dispatch import Signal

# Sent inside the transaction of `account_delete`, before any personal data is erased.
# Arguments: user (the User, still intact), now (datetime), reason ("self": the person deleted
# their account; "dormant": the dormancy purge, REQ REG-6; "staff": staff erased it for
# prohibited acts, REQ REG-10). Receivers cancel the user's future
# bookings through their own services, recording `reason` as the cause, and may queue mails to
# the user about it (they are kept and delivered; older mail to the user is erased). They erase
# the personal data their rows hold (names, phones, notes), keeping only what anonymised
# statistics need. An exception rolls the whole deletion back.
account_deleting = Signal()
