"""Users and the offices they belong to (管轄)."""

import datetime

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Office(models.Model):
    """A Hello Work office with its own calendar, booths, counselors and terms (REQ OFF-1)."""

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=20, unique=True)
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    address = models.CharField(_("address"), max_length=200)
    phone = models.CharField(_("phone"), max_length=20)
    email = models.EmailField(_("e-mail"), blank=True)
    court = models.CharField(
        _("court of jurisdiction"),
        max_length=100,
        help_text=_("The district court named in the office's terms of use."),
    )
    opens_at = models.TimeField(_("opens at"), default=datetime.time(9, 0))
    closes_at = models.TimeField(_("closes at"), default=datetime.time(17, 0))
    booking_cutoff_time = models.TimeField(
        _("booking cut-off time on the previous business day"), default=datetime.time(17, 0)
    )
    noshow_limit = models.PositiveSmallIntegerField(
        _("no-contact cancellations before approval is needed"), default=2
    )
    noshow_window_months = models.PositiveSmallIntegerField(
        _("months counted for no-contact cancellations"), default=6
    )
    offers_online_consultations = models.BooleanField(
        _("offers online consultations from home"), default=False
    )
    offers_booths = models.BooleanField(_("offers consultation booths"), default=False)

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__lt=models.F("closes_at")),
                name="accounts_office_opens_before_closing",
            ),
            models.CheckConstraint(
                condition=Q(noshow_limit__gte=1) & Q(noshow_window_months__gte=1),
                name="accounts_office_noshow_rule_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class UserType(models.TextChoices):
    JOB_SEEKER = "job_seeker", _("Job seeker")
    EMPLOYER = "employer", _("Employer HR staff")
    STAFF = "staff", _("Office staff")


class UserManager(DjangoUserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("user_type", UserType.STAFF)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in: job seeker, employer HR staff, or office staff.

    `username` is the login ID. Profiles for job seekers and employers hang off this model.
    """

    user_type = models.CharField(
        _("user type"), max_length=20, choices=UserType.choices, default=UserType.JOB_SEEKER
    )
    office = models.ForeignKey(
        Office,
        verbose_name=_("office"),
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
        help_text=_("The office this person belongs to (管轄)."),
    )
    # Profile (REQ REG-2). Blank for staff; forms of each user type make their fields required.
    name_kana = models.CharField(_("name in kana"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=8, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    jobseeker_number = models.CharField(
        _("job-seeker number"), max_length=14, blank=True, help_text=_("NNNNN-NNNNNNNN")
    )
    establishment_name = models.CharField(_("establishment name"), max_length=200, blank=True)
    establishment_number = models.CharField(
        _("establishment number"), max_length=13, blank=True, help_text=_("NNNN-NNNNNN-N")
    )

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_staff=False) | Q(user_type="staff"),
                name="accounts_user_staff_flag_matches_type",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    def get_absolute_url(self) -> str:
        return reverse("home")
