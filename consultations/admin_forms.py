"""Forms of the counselors' admin for online consultations (REQ CON-1, CON-2, CON-6, STF-1).

They only validate. Rules that depend on what is stored (a booking the change would uncover, a
withdrawn slot a booking holds) are tried inside a savepoint that is always rolled back, so the
error shows next to the form and the database keeps nothing of a refused change.
"""

from __future__ import annotations

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from bookings import calendar
from bookings.availability import closures_for
from bookings.forms import CallerFormMixin, StaffSlotForm, UsernameField
from core.forms import Form, ModelForm

from . import services
from .models import (
    AvailabilityException,
    AvailabilityPattern,
    ConsultationPurpose,
    CounselorVideoDefault,
    ExceptionKind,
    OnlineApproval,
    VideoTool,
)
from .video import MAX_URL_LENGTH, join_url_problem

# A host name as people type it in the list of allowed hosts: labels of letters, digits and
# hyphens separated by dots (no scheme, path, port or user-info).
HOST_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")
NO_OFFICE = _("This staff member has no office; set their office first.")


class MeetingLinkField(forms.URLField):
    """A meeting link, checked only by `join_url_problem` (REQ CON-2): Django's URL validator
    would answer "Enter a valid URL." before the clearer reasons of the rule."""

    default_validators = []

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_URL_LENGTH)
        kwargs.setdefault("assume_scheme", "https")
        super().__init__(**kwargs)

    def to_python(self, value):
        # Taken as typed: adding a scheme would hide a missing https:// from the rule.
        return forms.CharField.to_python(self, value)


class _Rollback(Exception):
    pass


def tried(change) -> str | None:
    """Run `change()` in a savepoint, always roll it back, and return the problem it reports
    (a string, or a ValidationError's messages), or None."""
    problem = None
    try:
        with transaction.atomic():
            try:
                problem = change()
            except ValidationError as error:
                problem = " ".join(error.messages)
            raise _Rollback
    except _Rollback:
        pass
    return problem


class StaffFormMixin:
    """Admin forms get the staff member (`staff`) from the admin's `get_form`."""

    staff = None


class VideoToolAdminForm(ModelForm):
    terms_url = forms.URLField(
        label=VideoTool._meta.get_field("terms_url").verbose_name,
        help_text=VideoTool._meta.get_field("terms_url").help_text,
        max_length=200,
        required=False,
        assume_scheme="https",
    )

    class Meta:
        model = VideoTool
        fields = ["office", "name", "kind", "allowed_hosts", "terms_url", "is_active"]

    def clean_allowed_hosts(self):
        hosts = []
        for line in self.cleaned_data["allowed_hosts"].splitlines():
            host = line.strip().lower().rstrip(".")
            if not host:
                continue
            labels = host.split(".")
            if len(labels) < 2 or any(
                not label or not set(label) <= HOST_LABEL_CHARS or label.startswith("-")
                for label in labels
            ):
                raise ValidationError(
                    _("Write host names only, one per line, such as zoom.us (not %(value)s).")
                    % {"value": line.strip()[:100]}
                )
            hosts.append(host)
        if not hosts:
            raise ValidationError(_("Enter at least one host name."))
        return "\n".join(hosts)

    def clean_terms_url(self):
        url = self.cleaned_data["terms_url"]
        if url and not url.startswith("https://"):
            raise ValidationError(_("The link must start with https://."))
        return url

    def clean(self):
        cleaned = super().clean()
        # REQ CON-4: people accept the tool's own terms by name, with a link, before joining
        # (a malformed address has its own error already).
        missing = not cleaned.get("terms_url") and "terms_url" not in self.errors
        if cleaned.get("is_active") and missing:
            self.add_error(
                "terms_url",
                _(
                    "People accept the tool's own terms before joining: enter the address of "
                    "its terms of use to offer it."
                ),
            )
        return cleaned


class CounselorVideoDefaultAdminForm(StaffFormMixin, ModelForm):
    join_url = MeetingLinkField(label=_("Meeting link"))

    class Meta:
        model = CounselorVideoDefault
        fields = ["counselor", "video_tool", "join_url"]

    def clean(self):
        cleaned = super().clean()
        counselor, tool, url = (cleaned.get(k) for k in ("counselor", "video_tool", "join_url"))
        if counselor and tool and counselor.office_id != tool.office_id:
            self.add_error("video_tool", _("Choose a video tool of the counselor's office."))
        elif tool and url:
            problem = join_url_problem(url, tool.host_list())
            if problem:
                self.add_error("join_url", problem)
        return cleaned


def _on_office_grid(office, value: datetime.time, *, is_end: bool) -> bool:
    if value.second or value.microsecond or value.minute not in (0, 30):
        return False
    if is_end:
        return office.opens_at < value <= office.closes_at
    return office.opens_at <= value < office.closes_at


class AvailabilityPatternAdminForm(StaffFormMixin, ModelForm):
    """A weekly pattern on the office grid; refused if it would uncover a booking (CON-1)."""

    class Meta:
        model = AvailabilityPattern
        fields = ["counselor", "weekday", "starts_at", "ends_at", "valid_from", "valid_until"]

    def clean(self):
        cleaned = super().clean()
        counselor = cleaned.get("counselor")
        if counselor is None:
            return cleaned
        if counselor.office is None:
            self.add_error("counselor", NO_OFFICE)
            return cleaned
        office = counselor.office
        hours = calendar.format_time_range(office.opens_at, office.closes_at)
        for name, is_end in (("starts_at", False), ("ends_at", True)):
            value = cleaned.get(name)
            if value is not None and not _on_office_grid(office, value, is_end=is_end):
                self.add_error(
                    name,
                    _("Use a time on the hour or half hour within business hours (%(hours)s).")
                    % {"hours": hours},
                )
        start, end = cleaned.get("starts_at"), cleaned.get("ends_at")
        if start and end and start >= end and "ends_at" not in self.errors:
            self.add_error("ends_at", _("The end must be after the start."))
        valid_from, valid_until = cleaned.get("valid_from"), cleaned.get("valid_until")
        if valid_from and valid_until and valid_until < valid_from:
            self.add_error("valid_until", _("The period must end on or after its first day."))
        return cleaned

    def _post_clean(self):
        counselors = {self.instance.counselor} if self.instance.pk else set()
        super()._post_clean()
        if self.errors:
            return
        counselors.add(self.instance.counselor)
        self.instance.office_id = self.instance.counselor.office_id
        problem = tried_save(self.instance, counselors)
        if problem:
            self.add_error(None, problem)


def tried_save(instance, counselors) -> str | None:
    """Save `instance` on trial: the first future booking of `counselors` it would leave
    uncovered (CON-1), or None. Nothing of the trial stays, the instance is as it was."""
    adding = instance._state.adding

    def change():
        instance.save()
        for counselor in counselors:
            problem = services.availability_unbooked_problem(counselor=counselor)
            if problem:
                return problem
        return None

    try:
        return tried(change)
    finally:
        if adding:
            instance.pk = None
            instance._state.adding = True


class AvailabilityExceptionAdminForm(StaffFormMixin, ModelForm):
    """One extra or withdrawn slot of the office calendar (CON-1). Withdrawing a slot a booking
    holds is refused the way `availability_withdraw_slot` refuses it."""

    starts_at = forms.SplitDateTimeField(
        label=_("Slot starts at"),
        widget=forms.SplitDateTimeWidget(
            date_attrs={"type": "date"}, time_attrs={"type": "time", "step": 1800}
        ),
    )

    class Meta:
        model = AvailabilityException
        fields = ["counselor", "starts_at", "kind"]

    def clean(self):
        cleaned = super().clean()
        counselor, starts_at = cleaned.get("counselor"), cleaned.get("starts_at")
        if counselor is not None and counselor.office is None:
            self.add_error("counselor", NO_OFFICE)
            return cleaned
        if counselor is None or starts_at is None:
            return cleaned
        starts_at = calendar.local(starts_at)
        day = starts_at.date()
        office = counselor.office
        reason = calendar.slot_refusal_reason(
            starts_at,
            opens_at=office.opens_at,
            closes_at=office.closes_at,
            closures=closures_for(office.pk, day, day),
        )
        if reason is None and starts_at <= timezone.now():
            reason = _("Choose a slot in the future.")
        if reason:
            self.add_error("starts_at", reason)
        return cleaned

    def _post_clean(self):
        old = None
        if self.instance.pk:
            old = AvailabilityException.objects.filter(pk=self.instance.pk).first()
        super()._post_clean()
        if self.errors:
            return
        exception = self.instance
        exception.office_id = exception.counselor.office_id
        counselors = {exception.counselor} | ({old.counselor} if old else set())
        if exception.kind == ExceptionKind.WITHDRAWN:
            withdrawn = tried(lambda: self._withdraw(old))
            if withdrawn:
                self.add_error("starts_at", withdrawn)
                return
        problem = tried_save(exception, counselors)
        if problem:
            self.add_error("starts_at", problem)

    def _withdraw(self, old) -> None:
        if old is not None:
            old.delete()
        services.availability_withdraw_slot(
            counselor=self.instance.counselor, starts_at=self.instance.starts_at, staff=self.staff
        )


class OnlineApprovalAdminForm(StaffFormMixin, ModelForm):
    """The office approves one person by their login ID (CON-6)."""

    username = UsernameField(required=False)

    class Meta:
        model = OnlineApproval
        fields = ["note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["username"]
        else:
            self.fields["username"].required = True
            self.order_fields(["username", "note"])

    def clean_username(self):
        users = User.objects.filter(username=self.cleaned_data["username"], is_staff=False)
        if not self.staff.is_superuser:
            users = users.filter(office_id=self.staff.office_id)
        user = users.first()
        if user is None:
            raise ValidationError(_("No user of this office has this login ID."))
        if OnlineApproval.objects.filter(user=user).exists():
            raise ValidationError(_("This person is already approved."))
        self.instance.user = user
        return user.username


# --- Consultation form pages (STF-1, CON-2) -----------------------------------------------------


class VideoToolField(forms.ModelChoiceField):
    """The video tool, chosen by staff: no tool is picked for them (REQ STF-1). Radio buttons
    with none checked, so a forgotten choice is an error next to the field, never the first
    tool of the list."""

    widget = forms.RadioSelect(attrs={"class": "radiolist"})

    def __init__(self, **kwargs):
        super().__init__(
            queryset=VideoTool.objects.none(),
            label=_("Video tool"),
            empty_label=None,
            error_messages={
                "required": _("Choose the video tool the person will use."),
                "invalid_choice": _("Choose one of this office's video tools."),
            },
            **kwargs,
        )


class MeetingLinkForm(Form):
    """Staff set the meeting link (CON-2); the service checks it against the tool's hosts."""

    video_tool = VideoToolField()
    join_url = MeetingLinkField(
        label=_("Meeting link"),
        required=False,
        help_text=_("https:// on a host the office allows for the tool. Leave empty to remove."),
    )

    def __init__(self, *args, video_tools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["video_tool"].queryset = video_tools


class CounselorSlotForm(StaffSlotForm):
    """Staff choose a counselor of the office and a slot (move a consultation)."""

    counselor = forms.ModelChoiceField(label=_("Counselor"), queryset=None, empty_label=None)
    field_order = ["counselor", "date", "time"]

    def __init__(self, *args, counselors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counselor"].queryset = counselors


class ConsultationForCallerForm(CallerFormMixin, CounselorSlotForm):
    """Staff book an online consultation for someone on the phone (STF-1)."""

    purpose = forms.ChoiceField(label=_("Purpose"), choices=ConsultationPurpose.choices)
    video_tool = VideoToolField()
    field_order = ["caller_query", "caller", "counselor", "date", "time", "purpose", "video_tool"]

    def __init__(self, *args, video_tools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["video_tool"].queryset = video_tools
