"""Pages of a signed-in person's own account. No URL carries a user id: each view works on
`request.user`, so nobody can reach another person's profile."""

from __future__ import annotations

from allauth.account.views import SignupView
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .adapter import SUSPENDED_OFFICE_SESSION_KEY
from .eligibility import booking_block_reason
from .forms import AccountDeleteForm, EmployerSignupForm, ProfileForm, SignupRefused
from .models import Office, UserType
from .security import has_second_factor
from .services import account_delete, password_is_old, user_profile_update


class RefusableSignupView(SignupView):
    """allauth's sign-up flow; a sign-up refused while saving (a job-seeker number another
    sign-up took a moment earlier, REQ REG-9) shows the form again with the field's error."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except SignupRefused:
            return self.form_invalid(form)


class EmployerSignupView(RefusableSignupView):
    """allauth's sign-up flow with the employer's form (REQ REG-1, REG-2)."""

    def get_form_class(self):
        return EmployerSignupForm


signup_job_seeker = RefusableSignupView.as_view()
signup_employer = EmployerSignupView.as_view()


@login_required
def profile(request):
    user = request.user
    context = {
        "profile_user": user,
        "block_reason": booking_block_reason(user) if user.user_type != UserType.STAFF else None,
        "password_is_old": password_is_old(
            user, now=timezone.now(), max_age_days=settings.PASSWORD_REMINDER_DAYS
        ),
        "reminder_days": settings.PASSWORD_REMINDER_DAYS,
        "has_second_factor": has_second_factor(user),
    }
    return render(request, "accounts/profile.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def profile_edit(request):
    user = request.user
    if user.user_type == UserType.STAFF:
        raise Http404
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        try:
            user_profile_update(
                user=user, data={"office": form.cleaned_data["office"], **form.profile_data()}
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Your profile has been saved."))
            return redirect("accounts:profile")
    return render(request, "accounts/profile_edit.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def delete(request):
    user = request.user
    form = AccountDeleteForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        request.user = account_delete(user=user, reason="self")
        logout(request)
        return redirect("accounts:deleted")
    return render(request, "accounts/delete.html", {"form": form})


def deleted(request):
    return render(request, "accounts/deleted.html")


def suspended(request):
    """Whom a suspended user should contact (REQ REG-7, OPS-3)."""
    office_id = request.session.get(SUSPENDED_OFFICE_SESSION_KEY)
    office = Office.objects.filter(pk=office_id).first() if office_id else None
    return render(request, "accounts/suspended.html", {"office": office})
