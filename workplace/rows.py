"""The rows of the day sheet and the call list as HTML, written by Python (REQ STF-1, NFR-4).

A page shows up to a few hundred bookings, each with its state, its forms and links; through
the template engine (a template per booking, ~30 variables each) that was half of the page's
time. These functions write the same markup with `format_html`-style escaping: every value from
the database or a translation goes through `escape`, the wording is the same msgids as the
templates had (so locale/ja needs no change). Each form's CSRF field is left as
`kept.CSRF_PLACEHOLDER`, for `kept.with_csrf` to fill with the request's token: the rows can be
kept across requests (workplace.kept).

What the pages render around the rows stays in their templates (day.html, calls.html).
"""

from __future__ import annotations

import datetime

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import dates

from .entries import Entry
from .kept import CSRF_PLACEHOLDER

# The rows' fixed wording, as literals so that makemessages finds them (the msgids the
# templates had); `RowWriter.label` translates each once a page.
LABELS = {
    "With": gettext_lazy("With"),
    "(name erased)": gettext_lazy("(name erased)"),
    "Terms not accepted yet: start after consent": gettext_lazy(
        "Terms not accepted yet: start after consent"
    ),
    "Needs approval": gettext_lazy("Needs approval"),
    "now": gettext_lazy("now"),
    "Free (published)": gettext_lazy("Free (published)"),
    "None.": gettext_lazy("None."),
    "Slot": gettext_lazy("Slot"),
    "Phone": gettext_lazy("Phone"),
    "Where": gettext_lazy("Where"),
    "State": gettext_lazy("State"),
    "Requested at": gettext_lazy("Requested at"),
    "Phoned at": gettext_lazy("Phoned at"),
}


class RowWriter:
    """What every row of one page shares: the request's CSRF field, whether the user may
    change bookings, where the action forms post, and the labels translated once."""

    def __init__(self, *, can_change: bool, action_url: str):
        self.can_change = can_change
        self.action_url = escape(action_url)
        self._labels: dict[str, str] = {}

    @staticmethod
    def csrf() -> str:
        """Where each form's CSRF field goes: the request's own is put in by `with_csrf`."""
        return CSRF_PLACEHOLDER

    def label(self, text: str) -> str:
        """`{% translate text %}` of one of `LABELS`: translated once a page, escaped."""
        found = self._labels.get(text)
        if found is None:
            found = self._labels[text] = escape(str(LABELS[text]))
        return found

    def _who(self, entry: Entry) -> str:
        """The person's type, the purpose and the companions, as one line."""
        user_type = escape(entry.user_type)
        text = f"{user_type}{' · ' if entry.user_type else ''}{escape(entry.purpose)}"
        if entry.companions:
            text += f" · {self.label('With')} {escape(dates.format_list(entry.companions))}"
        return text

    def _name(self, entry: Entry) -> str:
        name = entry.booking.requester_name
        return escape(name) if name else self.label("(name erased)")

    def _form(self, entry: Entry, actions, back: str, hidden: str, extra: str = "") -> str:
        buttons = "".join(
            f'<button type="submit" name="action" value="{escape(action)}">{escape(label)}'
            f'<span class="wp-hidden"> {hidden}</span></button>'
            for action, label in actions
        )
        return (
            f'<form method="post" action="{self.action_url}">{self.csrf()}\n'
            f'      <input type="hidden" name="kind" value="{escape(entry.kind)}">'
            f'<input type="hidden" name="pk" value="{entry.booking.pk}">'
            f'<input type="hidden" name="back" value="{back}">\n'
            f"{extra}"
            f"      {buttons}\n"
            "    </form>"
        )

    @staticmethod
    def _links(links, hidden: str) -> str:
        return "".join(
            f'<a href="{escape(link.url)}">{escape(link.label)}'
            f'<span class="wp-hidden"> {hidden}</span></a>'
            for link in links
        )

    # --- The day sheet ---------------------------------------------------------------------

    def booking(self, entry: Entry, day: datetime.date) -> str:
        """One booking in a cell of the day sheet: who, the state and what staff may do."""
        booking = entry.booking
        state = escape(entry.state)
        notes = ""
        if booking.joined_at:
            notes += ' <span class="wp-joined">{}</span>'.format(
                escape(_("joined %(time)s") % {"time": dates.format_time(booking.joined_at)})
            )
        checklist_at = getattr(booking, "checklist_at", None)
        if checklist_at:
            notes += ' <span class="wp-checklist">{}</span>'.format(
                escape(
                    _("checklist confirmed %(time)s") % {"time": dates.format_time(checklist_at)}
                )
            )
        if entry.terms_missing:
            notes += (
                ' <strong class="wp-terms">'
                f"{self.label('Terms not accepted yet: start after consent')}</strong>"
            )
        if booking.needs_approval and entry.state == "requested":
            notes += f' <strong class="wp-approval">{self.label("Needs approval")}</strong>'
        html = (
            f'<div class="wp-booking wp-state-{state}">\n'
            f'  <a href="{escape(entry.change_url)}" class="wp-name" lang="ja">'
            f"{self._name(entry)}</a>\n"
            f'  <span class="wp-state">{escape(entry.state_label)}</span>{notes}\n'
            f'  <span class="wp-who">{self._who(entry)}</span>\n'
        )
        if self.can_change and (entry.actions or entry.links):
            hidden = f"{escape(booking.requester_name)} {dates.format_time(booking.starts_at)}"
            html += '  <div class="wp-actions">\n    '
            if entry.actions:
                date = f'      <input type="hidden" name="date" value="{day.isoformat()}">\n'
                html += self._form(entry, entry.actions, "day", hidden, date)
            html += f"\n    {self._links(entry.links, hidden)}\n  </div>\n"
        return html + "</div>"

    def day_rows(self, rows, *, current_slot, day: datetime.date) -> SafeString:
        """The day sheet's body: a row a slot, a cell a booth or counselor."""
        now_row = ' class="wp-now"'
        now_text = f' <span class="wp-now-label">{self.label("now")}</span>'
        offered_class = ' class="wp-offered"'
        free = f'<span class="wp-free">{self.label("Free (published)")}</span>'
        out = []
        for moment, cells in rows:
            time = dates.format_time(moment)
            current = moment == current_slot
            now_class, now_span = (now_row, now_text) if current else ("", "")
            out.append(
                f"    <tr{now_class}>\n"
                f'      <th scope="row" class="wp-time">{time}{now_span}</th>\n'
            )
            for cell in cells:
                parts = [self.booking(entry, day) for entry in cell.entries]
                parts += [
                    f'<p class="wp-also" lang="ja">{escape(entry.place)}：'
                    f"{escape(entry.booking.requester_name)}</p>"
                    for entry in cell.also
                ]
                if cell.offered and not cell.entries and not cell.also:
                    parts.append(free)
                if self.can_change and cell.links:
                    hidden = f'<span lang="ja">{escape(cell.where)}</span> {time}'
                    parts.append(f'<div class="wp-actions">{self._links(cell.links, hidden)}</div>')
                out.append(
                    f"      <td{offered_class if cell.offered else ''}>\n        "
                    + "\n        ".join(parts)
                    + "\n      </td>\n"
                )
            out.append("    </tr>\n")
        return mark_safe("".join(out))

    # --- The call list ---------------------------------------------------------------------

    def call_rows(self, entries: list[Entry]) -> SafeString:
        """The call list's table body: a row a request, its phone and the phone's actions."""
        if not entries:
            return mark_safe(f'    <tr><td colspan="8">{self.label("None.")}</td></tr>\n')
        labels = {
            name: self.label(name)
            for name in ("Slot", "Phone", "Where", "State", "Requested at", "Phoned at")
        }
        approval = f' <strong class="wp-approval">{self.label("Needs approval")}</strong>'
        out = []
        for entry in entries:
            booking = entry.booking
            phone = escape(booking.phone)
            phoned = dates.format_datetime(booking.phoned_at) if booking.phoned_at else "—"
            html = (
                f'    <tr class="wp-state-{escape(entry.state)}">\n'
                f'      <td class="wp-date-cell" data-label="{labels["Slot"]}">'
                f"{escape(dates.format_datetime(booking.starts_at))}</td>\n"
                f'      <th scope="row"><a href="{escape(entry.change_url)}" lang="ja">'
                f"{self._name(entry)}</a>\n"
                f'        <span class="wp-who">{self._who(entry)}</span></th>\n'
                f'      <td class="wp-phone" data-label="{labels["Phone"]}">'
                f'<a href="tel:{phone}">{phone}</a></td>\n'
                f'      <td data-label="{labels["Where"]}" lang="ja" class="wp-place">'
                f"{escape(entry.place)}</td>\n"
                f'      <td class="wp-state-cell" data-label="{labels["State"]}">'
                f"{escape(entry.state_label)}{approval if booking.needs_approval else ''}</td>\n"
                f'      <td class="wp-date-cell" data-label="{labels["Requested at"]}">'
                f"{escape(dates.format_datetime(booking.created_at))}</td>\n"
                f'      <td class="wp-date-cell" data-label="{labels["Phoned at"]}">'
                f"{escape(phoned)}</td>\n"
            )
            if self.can_change:
                hidden = escape(booking.requester_name)
                actions = entry.phone_actions
                form = self._form(entry, actions, "calls", hidden) if actions else ""
                html += (
                    f'      <td><div class="wp-actions">\n        {form}\n'
                    f"        {self._links(entry.links, hidden)}\n      </div></td>\n"
                )
            out.append(html + "    </tr>\n")
        return mark_safe("".join(out))
