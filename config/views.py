"""Project-level pages that gather what several apps show (the top page)."""

from django.shortcuts import render

from core.models import Notice
from terms.models import TermsVersion


def home(request):
    notices = Notice.objects.visible()[:10]
    upcoming_terms = (
        TermsVersion.objects.upcoming().with_previous_number().select_related("document__office")
    )
    if request.user.is_authenticated and request.user.office_id:
        upcoming_terms = upcoming_terms.filter(document__office_id=request.user.office_id)
    return render(
        request,
        "home.html",
        {"notices": notices, "upcoming_terms": upcoming_terms.order_by("effective_from")[:10]},
    )
