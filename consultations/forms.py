"""The online consultation request form; the fields both services share are in
`bookings.forms`. Forms only validate."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from bookings.forms import BookingDetailsForm
from core.forms import Form

from .models import ConsultationPurpose


class VideoToolField(forms.ChoiceField):
    """One of the office's active video tools, chosen by its id from the tools the page read
    already (kept by the office's places version): checking the answer asks the database
    nothing (REQ NFR-4). The cleaned value is the tool."""

    def set_tools(self, tools) -> None:
        self.tools = {str(tool.pk): tool for tool in tools}
        self.choices = [(tool.pk, str(tool)) for tool in tools]

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        tool = self.tools.get(value)
        if tool is None:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return tool

    def validate(self, value):
        forms.Field.validate(self, value)  # required; the choice was checked by to_python


class ConsultationRequestForm(BookingDetailsForm):
    """The online consultation request (CON-4, CON-8): also the video tool the user can use."""

    video_tool = VideoToolField(label=_("Video tool you can use"), widget=forms.RadioSelect)
    field_order = ["purpose", "video_tool", "requester_name", "client_number", "phone"]

    def __init__(self, *args, video_tools, **kwargs):
        super().__init__(*args, purposes=list(ConsultationPurpose), **kwargs)
        self.fields["video_tool"].set_tools(video_tools)
        self.fields["companions"].help_text = _(
            "Consultations are held in a private room. Tell the office in advance about "
            "anyone who will be with you (family, a supporter from another agency, an "
            "interpreter, a caregiver)."
        )


class JoinChecklistForm(Form):
    """What the participant confirms before their first join of a consultation (CON-4): each
    point ticked, the video tool's own terms by name (the page links them)."""

    POINTS = ("private_room", "no_recording", "app_ready", "tool_terms_accepted")

    private_room = forms.BooleanField()
    no_recording = forms.BooleanField(
        label=_("I will not record the consultation (video or sound).")
    )
    app_ready = forms.BooleanField()
    tool_terms_accepted = forms.BooleanField()

    def __init__(self, *args, consultation, **kwargs):
        super().__init__(*args, **kwargs)
        tool = consultation.video_tool.name
        self.tool = consultation.video_tool
        self.fields["private_room"].label = (
            _("I am in a private room; only the companions I declared are with me.")
            if consultation.companions
            else _("I am in a private room with nobody else around.")
        )
        self.fields["app_ready"].label = _(
            "I have installed %(tool)s and checked my camera, microphone and connection."
        ) % {"tool": tool}
        self.fields["tool_terms_accepted"].label = _(
            "I have read the terms of use of %(tool)s and accept them."
        ) % {"tool": tool}
        for name in self.POINTS:
            self.fields[name].error_messages["required"] = _("Tick this point to join.")

    def checklist(self) -> dict:
        """The confirmation as the join record stores it."""
        return {
            **{name: True for name in self.POINTS},
            "tool_name": self.tool.name,
            "tool_terms_url": self.tool.terms_url,
        }
