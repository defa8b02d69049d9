"""Periodic work and mail on procrastinate (REQ NFR-6, NTF-2): schedules, locks, the mail
task deferred in the booking's transaction, the sweep, one SMTP connection a batch, retries."""

import asyncio
import datetime
import io
import socket
import threading

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.mail import EmailMessage
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from procrastinate import exceptions as procrastinate_errors
from procrastinate import sql
from procrastinate.contrib.django import app
from procrastinate.contrib.django.models import ProcrastinateJob
from procrastinate.jobs import Job

from accounts.roles import ensure_counselor_group
from bookings import tasks as consultation_tasks
from core.models import OutboxMessage, OutboxStatus
from core.outbox import outbox_enqueue
from core.tasks import MAIL_QUEUE, deliver_mail, retry_stalled_jobs
from tests.auth import login_client, staff_with_mfa
from tests.booths.conftest import NOW
from tests.booths.factories import BoothFactory
from tests.booths.test_services import _request
from tests.core.test_outbox import _free_port
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _message(n: int = 0) -> EmailMessage:
    return EmailMessage(subject=f"予約 {n}", body="本文", to=[f"p{n}@example.jp"])


def _jobs(task_name: str):
    return ProcrastinateJob.objects.filter(task_name=task_name)


# --- Schedules and locks ---------------------------------------------------------------------


def _schedule(task_name: str):
    (periodic,) = [
        p for (name, _id), p in app.periodic_registry.periodic_tasks.items() if name == task_name
    ]
    return periodic


@pytest.mark.parametrize(
    ("task_name", "cron"),
    [
        ("bookings_record_no_shows", "* * * * *"),
        ("deliver_mail", "* * * * *"),
        ("bookings_send_reminders", "0 * * * *"),
        ("announce_terms_changes", "5 * * * *"),
        ("accounts_dormancy", "30 18 * * *"),
        ("accounts_signin_records_purge", "50 18 * * *"),
        ("outbox_purge_sent", "10 18 * * *"),
        ("access_records_purge", "20 18 * * *"),
        ("retry_stalled_jobs", "* * * * *"),
    ],
)
def test_each_job_has_its_own_schedule_a_lock_and_retries(task_name, cron):
    # REQ NFR-6: each job on its own schedule (no-shows and mail every minute, reminders
    # hourly, purges daily); one run at a time (lock), one waiting at most (queueing lock),
    # retried on failure.
    periodic = _schedule(task_name)
    assert periodic.cron == cron
    assert periodic.task.lock == task_name
    assert periodic.configure_kwargs["queueing_lock"] == task_name
    assert periodic.task.retry_strategy is not None


def test_mail_runs_on_its_own_queue_and_the_other_jobs_do_not():
    # REQ NFR-6, NTF-2: a hung mail server holds the mail worker only.
    assert deliver_mail.queue == MAIL_QUEUE
    others = {p.task.queue for p in app.periodic_registry.periodic_tasks.values()} - {MAIL_QUEUE}
    assert others == {"default"}


def _fetch(queues):
    """What a worker's fetch does (procrastinate's own query), on the test's connection."""
    row = app.connector.execute_query_one(
        query=sql.queries["fetch_job"], queues=queues, worker_id=None
    )
    return None if row["id"] is None else Job.from_row(row)


def _in_own_thread(func):
    """Worker code runs an event loop of its own: in a thread of its own, whatever the test
    runner's main thread holds (Playwright keeps a loop running there)."""
    outcome = {}

    def target():
        try:
            outcome["value"] = func()
        except BaseException as error:  # re-raised in the test
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout=120)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def test_a_running_job_keeps_a_second_run_from_starting_on_any_worker():
    # REQ NFR-6: never twice at once; the lock is checked by the database when a worker
    # fetches a job, so it holds across machines.
    task = consultation_tasks.bookings_record_no_shows
    task.configure(queueing_lock=task.name).defer(timestamp=1)
    # One waiting run at most (a savepoint: the refused insert aborts its transaction).
    with pytest.raises(procrastinate_errors.AlreadyEnqueued), transaction.atomic():
        task.configure(queueing_lock=task.name).defer(timestamp=2)
    running = _fetch(["default"])
    assert running.task_name == task.name
    queued = task.configure(queueing_lock=task.name).defer(timestamp=3)  # the next slot
    assert _fetch(["default"]) is None  # is not handed out while the first runs
    app.connector.execute_query(
        query=sql.queries["finish_job"], job_id=running.id, status="succeeded", delete_job=False
    )
    assert _fetch(["default"]).id == queued


# --- Mail ------------------------------------------------------------------------------------


@pytest.fixture
def seeker_and_booth(office):
    return UserFactory(office=office), BoothFactory(office=office)


def test_a_booking_defers_its_mail_in_its_own_transaction(seeker_and_booth):
    # REQ NTF-2: the task row commits with the booking and its message, or not at all.
    seeker, booth = seeker_and_booth
    with time_machine.travel(NOW, tick=False), pytest.raises(RuntimeError), transaction.atomic():
        _request(seeker, booth)
        assert _jobs("deliver_mail").count() == 1
        raise RuntimeError("the booking failed after its mail was queued")
    assert OutboxMessage.objects.count() == 0
    assert _jobs("deliver_mail").count() == 0
    with time_machine.travel(NOW, tick=False):
        _request(seeker, booth)
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count() == 1
    (job,) = _jobs("deliver_mail")
    assert (job.queue_name, job.status, job.queueing_lock) == (MAIL_QUEUE, "todo", None)


def test_one_delivery_is_deferred_per_transaction_and_a_rolled_back_savepoint_takes_it_back():
    # REQ NTF-2: an announcement's many messages go in one batch; a savepoint that rolls back
    # takes its task with it, and the next message defers another.
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            outbox_enqueue(message=_message(1))
            raise RuntimeError
        assert _jobs("deliver_mail").count() == 0
        for n in range(3):
            outbox_enqueue(message=_message(n))
    assert _jobs("deliver_mail").count() == 1
    assert OutboxMessage.objects.count() == 3


def test_the_database_defers_the_same_job_the_task_would_and_only_for_pending_mail():
    # REQ NTF-2: the trigger (migration core 0010) defers what `deliver_mail` itself defers:
    # its queue, name, lock and priority; a message stored already sent defers nothing.
    expected = deliver_mail.configure().job
    with transaction.atomic():
        OutboxMessage.objects.create(
            subject="s",
            body="b",
            to=["a@example.jp"],
            status=OutboxStatus.SENT,
            sent_at=timezone.now(),
        )
        assert _jobs("deliver_mail").count() == 0
        OutboxMessage.objects.create(subject="s", body="b", to=["a@example.jp"])
    (job,) = _jobs("deliver_mail")
    assert (job.queue_name, job.task_name, job.lock, job.priority, job.args) == (
        expected.queue,
        expected.task_name,
        expected.lock,
        expected.priority,
        expected.task_kwargs,
    )
    assert job.queueing_lock is None and expected.queueing_lock is None


def test_the_sweep_sends_mail_that_no_task_was_deferred_for():
    # REQ NTF-2: a message whose task was lost goes out on the schedule's next run.
    OutboxMessage.objects.create(subject="迷子", body="b", to=["a@example.jp"])
    _jobs("deliver_mail").delete()
    assert deliver_mail(timestamp=1) == "sent=1 retry=0 given_up=0"
    assert [m.subject for m in mail.outbox] == ["迷子"]
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT


class _SessionCounter:
    def __init__(self):
        self.sessions = 0
        self.messages = []

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


def test_a_batch_sends_over_one_smtp_connection():
    # REQ NTF-2, NFR-6: one connection a batch, not one a message.
    port = _free_port()
    counter = _SessionCounter()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_USE_TLS=False,
            EMAIL_TIMEOUT=5,
        ):
            for n in range(5):
                outbox_enqueue(message=_message(n))
            assert deliver_mail() == "sent=5 retry=0 given_up=0"
    finally:
        controller.stop()
    assert len(counter.messages) == 5
    assert counter.sessions == 1


def _hung_server() -> tuple[socket.socket, int]:
    """Accepts connections (the kernel's backlog) and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    return server, server.getsockname()[1]


def test_a_hung_mail_server_costs_one_timeout_per_batch_and_loses_nothing():
    # REQ NTF-2, NFR-6: the first timeout ends the batch; the rest wait for the next run.
    server, port = _hung_server()
    try:
        for n in range(3):
            outbox_enqueue(message=_message(n))
        started = timezone.now()
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_USE_TLS=False,
            EMAIL_TIMEOUT=1,
        ):
            assert deliver_mail() == "sent=0 retry=1 given_up=0"
        assert timezone.now() - started < datetime.timedelta(seconds=3)
    finally:
        server.close()
    attempts = sorted(OutboxMessage.objects.values_list("attempts", flat=True))
    assert attempts == [0, 0, 1]
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count() == 3


# --- Failures, retries, stalled workers -------------------------------------------------------


def _run_worker(queues):
    # The worker runs tasks in pool threads, each with its own Django connection: closed after
    # each task (as CONN_MAX_AGE 0 does), so none outlives the test database.
    settings_dict = connections.settings[DEFAULT_DB_ALIAS]
    max_age = settings_dict["CONN_MAX_AGE"]
    settings_dict["CONN_MAX_AGE"] = 0
    try:
        with app.replace_connector(app.connector.get_worker_connector()):
            _in_own_thread(
                lambda: app.run_worker(
                    queues=queues, wait=False, install_signal_handlers=False, listen_notify=False
                )
            )
    finally:
        settings_dict["CONN_MAX_AGE"] = max_age


@pytest.mark.django_db(transaction=True)
def test_a_failing_job_is_retried_later_with_back_off(monkeypatch):
    # REQ NFR-6: retried; a failure is not lost, procrastinate runs the job again later.
    def broken(*, now):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(consultation_tasks, "record_overdue_no_shows", broken)
    task = consultation_tasks.bookings_record_no_shows
    task.configure(queueing_lock=task.name).defer(timestamp=1)
    before = timezone.now()
    _run_worker(["default"])
    (job,) = _jobs(task.name)
    assert (job.status, job.attempts) == ("todo", 1)
    assert job.scheduled_at > before + datetime.timedelta(seconds=5)
    monkeypatch.undo()


@pytest.mark.django_db(transaction=True)
def test_a_job_of_a_worker_that_died_is_run_again():
    # REQ NFR-6: a worker killed mid-job leaves it "doing"; without a heartbeat it
    # is stalled, and retry_stalled_jobs hands it out again.
    task = consultation_tasks.bookings_send_reminders
    task.configure(queueing_lock=task.name).defer(timestamp=1)
    stalled = _fetch(["default"])  # taken by a "worker" that never reports back (no id)
    assert _jobs(task.name).get().status == "doing"

    async def retry_as_a_worker():
        async with app.open_async():
            return await retry_stalled_jobs.func(timestamp=1)

    with app.replace_connector(app.connector.get_worker_connector()):
        assert _in_own_thread(lambda: asyncio.run(retry_as_a_worker())) == "retried=1"
    job = _jobs(task.name).get(pk=stalled.id)
    assert job.status == "todo"


# --- The admin: job lag and failures, superusers only ----------------------------------------


def test_superusers_see_waiting_and_failed_jobs_in_the_admin_and_counselors_do_not(client, office):
    # REQ NFR-6, REG-8: procrastinate's job list inside this project's admin site
    # (second factor required); the list says how long a job has waited and what failed.
    consultation_tasks.bookings_send_reminders.configure(
        queueing_lock="bookings_send_reminders"
    ).defer(timestamp=1)
    url = reverse("admin:procrastinate_procrastinatejob_changelist")
    counselor = staff_with_mfa(office=office)
    counselor.groups.add(ensure_counselor_group())
    login_client(client, counselor)
    assert client.get(url).status_code == 403
    assert "procrastinate" not in client.get(reverse("admin:index")).content.decode()

    login_client(client, staff_with_mfa(office=office, is_superuser=True))
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "bookings_send_reminders" in html and "Todo" in html
    assert "ago" in html  # when it was deferred: the lag
    (job,) = ProcrastinateJob.objects.all()
    assert (
        client.get(
            reverse("admin:procrastinate_procrastinatejob_change", args=[job.pk])
        ).status_code
        == 200
    )
    failed = client.get(url, {"status": "failed"})
    assert failed.status_code == 200


def test_queueing_given_up_mail_again_defers_its_delivery():
    # REQ NTF-2: `manage.py outbox_requeue` (and the admin action) sends at once.
    OutboxMessage.objects.create(
        subject="s", body="b", to=["a@example.jp"], status=OutboxStatus.FAILED, attempts=20
    )
    out = io.StringIO()
    call_command("outbox_requeue", stdout=out)
    assert out.getvalue().strip() == "requeued=1"
    assert _jobs("deliver_mail").count() == 1
    assert deliver_mail() == "sent=1 retry=0 given_up=0"
