"""The online consultation request form; the fields both services share are in
`bookings.forms`. Forms only validate."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from bookings.forms import BookingDetailsForm

from .models import ConsultationPurpose


class ConsultationRequestForm(BookingDetailsForm):
    """The online consultation request (CON-4, CON-8): also the video tool the user can use."""

    video_tool = forms.ModelChoiceField(
        label=_("Video tool you can use"), queryset=None, widget=forms.RadioSelect, empty_label=None
    )
    field_order = ["purpose", "video_tool", "requester_name", "client_number", "phone"]

    def __init__(self, *args, video_tools, **kwargs):
        super().__init__(*args, purposes=list(ConsultationPurpose), **kwargs)
        self.fields["video_tool"].queryset = video_tools
        self.fields["companions"].help_text = _(
            "Consultations are held in a private room. Tell the office in advance about "
            "anyone who will be with you (family, a supporter from another agency, an "
            "interpreter, a caregiver)."
        )
