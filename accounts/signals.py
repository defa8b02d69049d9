"""Signals other apps connect to. accounts never imports the apps above it (booths, …), so it
announces what happens to an account and they act on their own rows."""

from django.dispatch import Signal

# Sent inside the transaction of `account_delete`, before any personal data is erased.
# Arguments: user (the User, still intact), now (datetime), reason ("self" or "dormant").
# Receivers cancel the user's future bookings through their own services and erase the personal
# data their rows hold (names, phones, notes), keeping only what anonymised statistics need.
# An exception rolls the whole deletion back.
account_deleting = Signal()
