"""Public terms pages (no sign-in) and the re-consent page of the gate."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from core.http import safe_local_path

from .forms import CompareForm, ReconsentForm
from .models import TermsDocument, TermsService, TermsVersion
from .rendering import compare_texts
from .services import consent_needed, consent_record, last_accepted_version


def _document(office_code: str, service: str) -> TermsDocument:
    return get_object_or_404(
        TermsDocument.objects.select_related("office"), office__code=office_code, service=service
    )


def index(request):
    documents = TermsDocument.objects.select_related("office").order_by("office__code", "service")
    return render(request, "terms/index.html", {"documents": documents})


def current(request, office_code: str, service: str):
    document = _document(office_code, service)
    version = TermsVersion.objects.current_for(office=document.office, service=service)
    upcoming = document.versions.upcoming().order_by("effective_from").first()
    return render(
        request,
        "terms/version.html",
        {"document": document, "version": version, "upcoming": upcoming, "is_current": True},
    )


def versions(request, office_code: str, service: str):
    document = _document(office_code, service)
    return render(
        request,
        "terms/versions.html",
        {"document": document, "versions": document.versions.published().order_by("-number")},
    )


def version(request, office_code: str, service: str, number: int):
    document = _document(office_code, service)
    shown = get_object_or_404(document.versions.published(), number=number)
    current_version = TermsVersion.objects.current_for(office=document.office, service=service)
    return render(
        request,
        "terms/version.html",
        {
            "document": document,
            "version": shown,
            "is_current": current_version is not None and current_version.pk == shown.pk,
            "is_upcoming": not shown.is_in_effect(),
        },
    )


def compare(request, office_code: str, service: str):
    document = _document(office_code, service)
    published = document.versions.published()
    numbers = list(published.order_by("number").values_list("number", flat=True))
    if len(numbers) < 2:
        raise Http404("nothing to compare")
    data = request.GET if "old" in request.GET else {"old": numbers[-2], "new": numbers[-1]}
    form = CompareForm(data)
    context = {"document": document, "form": form, "numbers": numbers}
    if form.is_valid():
        old = get_object_or_404(published, number=form.cleaned_data["old"])
        new = get_object_or_404(published, number=form.cleaned_data["new"])
        context.update(old=old, new=new, diff=compare_texts(old.text, new.text))
    return render(request, "terms/compare.html", context)


def _safe_next(request) -> str:
    """Where to go after accepting: a local path only, decided before anything is saved."""
    return safe_local_path(request.POST.get("next") or request.GET.get("next"))


@login_required
@require_http_methods(["GET", "POST"])
def reconsent(request, service: str):
    """Show the terms now in effect and what changed; accept → back to the task (TRM-4)."""
    if service not in TermsService.values:
        raise Http404("unknown service")
    next_url = _safe_next(request)
    needed = consent_needed(user=request.user, service=service)
    if needed is None:
        return HttpResponseRedirect(next_url)
    previous = last_accepted_version(user=request.user, document=needed.document)
    form = ReconsentForm(request.POST if request.POST.get("decision") == "accept" else None)
    if request.method == "POST":
        if request.POST.get("decision") == "decline":
            return render(
                request,
                "terms/declined.html",
                {"version": needed, "office": needed.document.office},
            )
        if form.is_valid():
            consent_record(user=request.user, version=needed, request=request)
            return HttpResponseRedirect(next_url)
    return render(
        request,
        "terms/reconsent.html",
        {
            "form": form,
            "version": needed,
            "previous": previous,
            "diff": compare_texts(previous.text, needed.text) if previous else None,
            "next_url": next_url,
        },
    )
