"""Users and the offices they belong to (管轄); the offices' news and the records of who used
whose personal data (REQ OPS-1, LOG-1)."""

import datetime
import re
import unicodedata

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Concat, Replace
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.append_only import AppendOnlyModel, AppendOnlyQuerySet
from core.audit import audit_track
from core.dates import format_datetime

from . import numbers


@audit_track(  # REQ STF-2
    exclude=["availability_version", "gate_version", "places_version", "people_version"]
)
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
    # A person may hold only this many active future bookings of each service; staff booking
    # for a caller may go beyond it (REQ NFR-3: one account cannot take every slot).
    max_active_booth_reservations = models.PositiveSmallIntegerField(
        _("active booth reservations per person"), default=2
    )
    max_active_online_consultations = models.PositiveSmallIntegerField(
        _("active online consultations per person"), default=2
    )
    # Earlier-slot alerts (REQ ALR-1): not a flood, at most this many alert mails a person a day.
    max_alert_mails_per_day = models.PositiveSmallIntegerField(
        _("earlier-slot alert mails per person a day"), default=5
    )
    # Raised by database triggers whenever a booking, booth or closure of the office changes,
    # and never lowered: pages key what they keep of the office's data by it (core.versioning).
    availability_version = models.PositiveBigIntegerField(
        _("availability data version"), default=0, editable=False
    )
    # Raised by database triggers whenever a booth or closure of the office changes (not its
    # bookings), never lowered: what pages keep of the office's places and closed days is
    # keyed by it, so it outlives the bookings made meanwhile (core.versioning).
    places_version = models.PositiveBigIntegerField(
        _("booths and closures version"), default=0, editable=False
    )
    # Raised by database triggers whenever a terms version of the office or a notice that
    # reaches its people (its own or a national one) changes, never lowered: the consent and
    # maintenance gates key what they keep by it (terms.gate, core.maintenance).
    gate_version = models.PositiveBigIntegerField(
        _("terms and notices version"), default=0, editable=False
    )
    # Raised by database triggers whenever a consent to the office's terms changes, or the name
    # or standing (active, staff, superuser, office) of one of its people does; never lowered:
    # the staff pages key the people they show by it (workplace.kept).
    people_version = models.PositiveBigIntegerField(
        _("consents and staff names version"), default=0, editable=False
    )

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


class JobseekerNumberStatus(models.TextChoices):
    NUMBER = "number", _("I have a job-seeker number")
    MY_PAGE = "my_page", _("I registered through the online My Page")
    ABOUT_TO_REGISTER = "about_to_register", _("I am about to register")


class EstablishmentNumberStatus(models.TextChoices):
    NUMBER = "number", _("The establishment has a number")
    ABOUT_TO_REGISTER = "about_to_register", _("The establishment is about to register")


class SuspensionReason(models.TextChoices):
    PROHIBITED_ACTS = "prohibited_acts", _("Prohibited acts under the terms of use")
    THREATS = "threats", _("Threats or harassment")
    NON_JOB_USE = "non_job_use", _("Use for purposes other than finding work or staff")
    RESIDENCE_DATA = "residence_data", _("Residence status missing or expired")
    OTHER = "other", _("Other reason")


JOBSEEKER_NUMBER_CONSTRAINT = "accounts_user_one_active_jobseeker_number"


class UserQuerySet(models.QuerySet):
    def not_deleted(self):
        return self.filter(deleted_at__isnull=True)

    def customers(self):
        """Job seekers and employers: the people the dormancy rule applies to."""
        return (
            self.not_deleted()
            .filter(is_staff=False, is_superuser=False)
            .exclude(user_type=UserType.STAFF)
        )

    def holding_jobseeker_number(self, number: str):
        """The active job-seeker account the constraint gives `number` to (REQ REG-9)."""
        return self.not_deleted().filter(user_type=UserType.JOB_SEEKER, jobseeker_number=number)

    def bookable_by(self, staff):
        """The people `staff` may book for on the phone (REQ STF-1, STF-2): job seekers and
        employers of the staff member's own office, never another office's; a superuser
        without an office reaches every office."""
        people = self.customers().filter(is_active=True)
        if staff.office_id is not None:
            return people.filter(office_id=staff.office_id)
        return people if staff.is_superuser else people.none()

    def matching_caller(self, text: str):
        """People whose name, name in kana (hiragana or katakana, spaces ignored), job-seeker
        or establishment number, phone number or login ID matches what staff typed while the
        person is on the phone (REQ STF-1). Names and kana match in part; numbers, phones and
        login IDs whole."""
        text = unicodedata.normalize("NFKC", text or "").strip()
        if not text:
            return self.none()
        compact = re.sub(r"\s+", "", text)
        condition = Q(username__iexact=text)
        for field, number in (
            ("jobseeker_number", numbers.normalise_jobseeker_number(text)),
            ("establishment_number", numbers.normalise_establishment_number(text)),
        ):
            if number:
                condition |= Q(**{field: number})
        digits = numbers.half_width(text).replace("-", "")
        if re.fullmatch(r"0\d{9,10}", digits):
            condition |= Q(phone_digits=digits)
        if not compact.replace("-", "").isdigit():
            condition |= (
                Q(full_name__icontains=compact)
                | Q(establishment_name__icontains=compact)
                | Q(kana_compact__contains=numbers.katakana(compact))
                | Q(kana_compact__contains=numbers.hiragana(compact))
            )
        return self.annotate(
            phone_digits=Replace("phone", Value("-"), Value("")),
            full_name=Concat("last_name", "first_name"),
            kana_compact=Replace(
                Replace("name_kana", Value("\u3000"), Value("")), Value(" "), Value("")
            ),
        ).filter(condition)

    def counselors(self, office_id: int | None = None):
        """The people who counsel at an office (STF-1): its active staff, never a superuser, who
        administers the system and is nobody's counselor."""
        counselors = self.filter(is_staff=True, is_active=True, is_superuser=False).exclude(
            office=None
        )
        if office_id is not None:
            counselors = counselors.filter(office_id=office_id)
        return counselors.order_by("office", "last_name", "first_name", "pk")

    def last_active_before(self, moment):
        return self.filter(
            Q(last_activity_at__lt=moment)
            | Q(last_activity_at__isnull=True, date_joined__lt=moment)
        )


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        extra_fields.setdefault("user_type", UserType.STAFF)
        return super().create_superuser(username, email, password, **extra_fields)


# Never the password hash; not the bookkeeping every request or job writes (activity, dormancy
# warning, the facts version): each would be an event per page view.
@audit_track(  # REQ STF-2
    exclude=[
        "password",
        "last_login",
        "last_activity_at",
        "dormancy_warned_at",
        "booking_facts_version",
        "rights_version",
    ],
    indexes=["office"],
)
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

    jobseeker_number_status = models.CharField(
        _("job-seeker number"),
        max_length=20,
        choices=JobseekerNumberStatus.choices,
        blank=True,
    )
    establishment_number_status = models.CharField(
        _("establishment number"),
        max_length=20,
        choices=EstablishmentNumberStatus.choices,
        blank=True,
    )
    # Foreign nationals other than special permanent residents (REQ REG-3).
    is_foreign_national = models.BooleanField(
        _("foreign national (not a special permanent resident)"), default=False
    )
    residence_status = models.CharField(_("residence status (在留資格)"), max_length=50, blank=True)
    period_of_stay_until = models.DateField(
        _("period of stay ends on (在留期間)"), null=True, blank=True
    )
    # Suspension by staff (REQ REG-7).
    suspended_at = models.DateTimeField(_("suspended at"), null=True, blank=True)
    suspension_reason = models.CharField(
        _("reason for suspension"), max_length=30, choices=SuspensionReason.choices, blank=True
    )
    suspension_note = models.TextField(_("note on the suspension"), blank=True)
    suspended_by = models.ForeignKey(
        "self",
        verbose_name=_("suspended by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Lifecycle (REQ REG-4, REG-5, REG-6).
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    last_activity_at = models.DateTimeField(_("last activity"), null=True, blank=True)
    dormancy_warned_at = models.DateTimeField(_("warned of dormancy at"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    # Erasure by staff (REQ REG-10); empty when the person deleted the account or it was
    # purged. Kept after the erasure: it names the staff member and the rule, not the person.
    erased_by = models.ForeignKey(
        "self",
        verbose_name=_("erased by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    erasure_reason = models.CharField(
        _("reason for the erasure"), max_length=30, choices=SuspensionReason.choices, blank=True
    )
    erasure_note = models.TextField(_("note on the erasure"), blank=True)

    objects = UserManager()

    # Raised by database triggers whenever the person's bookings or e-mail addresses change,
    # and never lowered: pages key what they keep of the person's booking facts by it
    # (core.versioning, bookings/pagefacts.py).
    booking_facts_version = models.PositiveBigIntegerField(
        _("booking facts version"), default=0, editable=False
    )
    # Raised by database triggers whenever the person's groups, own permissions, their groups'
    # permissions or their second-factor authenticators change, and never lowered: what they
    # may do is kept under it (accounts.rights).
    rights_version = models.PositiveBigIntegerField(_("rights version"), default=0, editable=False)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_staff=False) | Q(user_type="staff"),
                name="accounts_user_staff_flag_matches_type",
            ),
            models.CheckConstraint(
                condition=Q(suspended_at__isnull=True) | ~Q(suspension_reason=""),
                name="accounts_user_suspension_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(jobseeker_number="")
                | Q(jobseeker_number_status=JobseekerNumberStatus.NUMBER),
                name="accounts_user_jobseeker_number_matches_status",
            ),
            models.CheckConstraint(
                condition=Q(establishment_number="")
                | Q(establishment_number_status=EstablishmentNumberStatus.NUMBER),
                name="accounts_user_establishment_number_matches_status",
            ),
            # One job-seeker number, one active account (REQ REG-9): a suspended person
            # cannot start again under a new e-mail. Employers' establishment numbers repeat
            # on purpose: an establishment keeps several HR accounts.
            models.UniqueConstraint(
                fields=["jobseeker_number"],
                condition=Q(user_type="job_seeker", deleted_at__isnull=True)
                & ~Q(jobseeker_number=""),
                name=JOBSEEKER_NUMBER_CONSTRAINT,
            ),
        ]

    def __str__(self) -> str:
        """The person as staff pick and read them (STF-1): 漢字 and かな, the login ID only for
        an account without a name."""
        return self.name_with_kana

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile")

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def display_name(self) -> str:
        """Family name first, as Japanese names are written; an employer without a contact name
        by the establishment; the login ID only for an account with neither."""
        return (
            f"{self.last_name} {self.first_name}".strip()
            or self.establishment_name
            or self.username
        )

    @property
    def name_with_kana(self) -> str:
        """山田 太郎（やまだ たろう）: the name with its reading, so staff can say it."""
        kana = self.name_kana.strip()
        return f"{self.display_name}（{kana}）" if kana else self.display_name

    def get_short_name(self) -> str:
        return self.display_name

    def residence_data_problem(self, today: datetime.date) -> str | None:
        """What is wrong with a foreign national's residence data, or None (REQ REG-3)."""
        if not self.is_foreign_national:
            return None
        if not self.residence_status or self.period_of_stay_until is None:
            return "missing"
        if self.period_of_stay_until < today:
            return "expired"
        return None


class JobseekerNumberMove(models.Model):
    """Staff gave a job-seeker number to another account, with the reason (REQ REG-9).

    The number itself is not repeated here: it is on the receiving account, and erased with it.
    """

    at = models.DateTimeField(_("time"), default=timezone.now)
    moved_by = models.ForeignKey(
        User, verbose_name=_("moved by"), on_delete=models.PROTECT, related_name="+"
    )
    from_user = models.ForeignKey(
        User, verbose_name=_("from account"), on_delete=models.PROTECT, related_name="+"
    )
    to_user = models.ForeignKey(
        User, verbose_name=_("to account"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))

    class Meta:
        verbose_name = _("job-seeker number move")
        verbose_name_plural = _("job-seeker number moves")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{format_datetime(self.at)} {self.from_user} → {self.to_user}"


class SignInEvent(models.TextChoices):
    SIGNED_IN = "signed_in", _("Signed in")
    FAILED = "failed", _("Failed sign-in")
    SIGNED_OUT = "signed_out", _("Signed out")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET = "password_reset", _("Password reset by e-mail")


class SignInRecordQuerySet(models.QuerySet):
    def for_staff(self, staff):
        if staff.is_superuser:
            return self
        return self.filter(user__office_id=staff.office_id)


class SignInRecord(models.Model):
    """Sign-ins and related events with terminal identification (REQ LOG-1).

    Never shown to users or published; staff with the view permission read them in the admin.
    """

    user = models.ForeignKey(
        User,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="signin_records",
    )
    event = models.CharField(_("event"), max_length=20, choices=SignInEvent.choices)
    at = models.DateTimeField(_("time"), db_index=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    # Lets deletion end the account's sessions; never shown, not even in the admin.
    session_key = models.CharField(max_length=40, blank=True, editable=False)

    objects = SignInRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("sign-in record")
        verbose_name_plural = _("sign-in records")
        ordering = ["-at"]
        indexes = [models.Index(fields=["user", "-at"], name="accounts_signin_user_at")]

    def __str__(self) -> str:
        return f"{self.get_event_display()} {format_datetime(self.at)}"


# --- Office data: news and access records ------------------------------------------------


class NoticeQuerySet(models.QuerySet):
    def visible(self, now=None):
        now = now or timezone.now()
        return self.filter(published_at__lte=now).filter(
            Q(hidden_after__isnull=True) | Q(hidden_after__gt=now)
        )

    def maintenance_in_progress(self, now=None):
        now = now or timezone.now()
        return self.filter(maintenance_starts_at__lte=now, maintenance_ends_at__gt=now)

    def for_office(self, office_id: int | None):
        """National notices and, for someone of an office, that office's own (REQ OPS-1)."""
        national = Q(office__isnull=True)
        return self.filter(national if office_id is None else national | Q(office_id=office_id))


# The trail keeps the office on each event (`pgh_office`), so staff see their own office's
# notices in the audit list (REQ STF-2).
@audit_track(office_model="accounts.Office", office_sql="NEW.office_id")
class Notice(models.Model):
    """News (お知らせ) for the top page; a planned maintenance carries its start and end."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True)
    published_at = models.DateTimeField(_("published at"), default=timezone.now)
    hidden_after = models.DateTimeField(_("hidden after"), null=True, blank=True)
    maintenance_starts_at = models.DateTimeField(_("maintenance starts"), null=True, blank=True)
    maintenance_ends_at = models.DateTimeField(_("maintenance ends"), null=True, blank=True)
    # The office the notice is for, or empty for a national one (REQ OPS-1, OPS-2). An
    # office's news go with it.
    office = models.ForeignKey(
        Office,
        verbose_name=_("office"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notices",
    )

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-published_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(maintenance_starts_at__isnull=True, maintenance_ends_at__isnull=True)
                    | Q(maintenance_ends_at__gt=models.F("maintenance_starts_at"))
                ),
                name="accounts_notice_maintenance_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_maintenance(self) -> bool:
        return self.maintenance_starts_at is not None


class AccessKind(models.TextChoices):
    BOOKING = "booking", _("Booking")
    CANCELLATION = "cancellation", _("Cancellation")
    JOIN = "join", _("Joined an online consultation")
    ADMIN_VIEW = "admin_view", _("Staff opened the person's record")
    ADMIN_LIST = "admin_list", _("Staff opened a list of people's data")
    ADMIN_SEARCH = "admin_search", _("Staff searched people's data")
    DAY_SHEET = "day_sheet", _("Day sheet")
    CALL_LIST = "call_list", _("Call list")
    EXPORT = "export", _("Export")
    CALLER_SEARCH = "caller_search", _("Staff searched for a caller")


class AccessRecordQuerySet(AppendOnlyQuerySet):
    def for_staff(self, user):
        """Superusers see every office; other staff their own office's records."""
        if user.is_superuser:
            return self
        if not user.office_id:
            return self.none()
        return self.filter(office_id=user.office_id)

    def about(self, person):
        """The records of `person`'s data: their own (`subject`) and the pages of several
        people that named them (`subjects`, found through its GIN index)."""
        person_id = getattr(person, "pk", person)
        return self.filter(Q(subject_id=person_id) | Q(subjects__contains=[person_id]))


class AccessRecord(AppendOnlyModel):
    """One use or view of one person's data (`subject`), or one staff page showing several
    people's (`subjects`): REQ LOG-1, written by `accounts.access`.

    Append-only: a trigger refuses UPDATE and DELETE, raw SQL included, except under
    `pgtrigger.ignore` in the retention purge and the erasure of a deleted account. The
    people and the office are protected rather than set to NULL: Django would set them with
    an UPDATE the trigger refuses, and a record must not lose whose data it was before its
    retention ends. Accounts are erased by anonymising the row (REQ REG-5), never deleted.
    """

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Looked up by the (subject, at) index below: a second index on the subject alone was one
    # more to write for each of the ~50 records a staff page leaves (REQ NFR-4).
    subject = models.ForeignKey(
        User,
        verbose_name=_("whose data"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
    )
    # The subject's office (the actor's for a page of several people); the index below
    # serves it.
    office = models.ForeignKey(
        Office,
        verbose_name=_("office"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        db_index=False,
        related_name="+",
    )
    # A staff page of several people (day sheet, call list, a caller search) leaves one record
    # naming everyone it showed here, with `subject` empty: one row, one index entry each and
    # two foreign-key checks a page instead of ~50 rows with three checks each (REQ LOG-1,
    # NFR-4). Ids, not foreign keys: the trigger `accounts_user_named_by_access_record`
    # refuses to delete a person a page record names, as PROTECT does for `subject`.
    subjects = ArrayField(
        models.BigIntegerField(),
        verbose_name=_("whose data (a page of several people)"),
        null=True,
        blank=True,
    )
    kind = models.CharField(_("what"), max_length=20, choices=AccessKind.choices)
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    path = models.CharField(_("page"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    # A search's terms as a keyed hash (`accounts.access.search_hash`), never in the clear:
    # the record tells that someone searched, and an auditor who types the same terms finds
    # it, but the table alone tells nobody what was searched (REQ LOG-1, LOG-2).
    search_hash = models.CharField(_("search (keyed hash)"), max_length=64, blank=True)

    objects = AccessRecordQuerySet.as_manager()

    class Meta(AppendOnlyModel.Meta):
        verbose_name = _("access record")
        verbose_name_plural = _("access records")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["office", "at"], name="accounts_access_office_idx"),
            models.Index(fields=["subject", "at"], name="accounts_access_subject_idx"),
            # Who was named by a page: `subjects @> ARRAY[id]`, only the page records (a strict
            # operator implies the IS NOT NULL, so the planner uses the partial index). Fast
            # update: an insert goes to the pending list, merged by vacuum.
            GinIndex(
                fields=["subjects"],
                condition=Q(subjects__isnull=False),
                fastupdate=True,
                name="accounts_access_subjects_idx",
            ),
            # Only searches: an auditor looks up who searched for given terms.
            models.Index(
                fields=["search_hash"],
                condition=~Q(search_hash=""),
                name="accounts_access_search_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{format_datetime(self.at)} {self.get_kind_display()}"
