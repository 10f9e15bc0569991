"""Every page, API endpoint and admin page, as every role, against objects owned by someone else.

Roles, in column order: A anonymous, T the teacher who owns the records, U another teacher
(not in the programme), O an organiser of the owning unit, X an organiser of another unit,
B the bureau, S a superuser. A URL name without a row here fails the test.
"""

import datetime

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from attendance.services import checkin_record
from certificates.models import Certificate, CertificateJob
from certificates.services import certificate_issue, completion_rule_set, job_create
from courses.services import enrolment_create
from exams.models import Attempt
from exams.services import attempt_start, attempt_submit, quiz_create
from tests.exams.conftest import make_bank
from tests.factories import make_bureau, make_organiser, make_programme, make_teacher, make_unit

ROLES = "ATUOXBS"

# name: (path kwargs key, "A T U O X B S" expected GET statuses)
PAGES = {
    "home": (None, "302 200 200 302 302 302 302"),
    "healthz": (None, "200 200 200 200 200 200 200"),
    "favicon": (None, "301 301 301 301 301 301 301"),
    "accounts:logout_confirm": (None, "302 200 200 200 200 200 200"),
    "accounts:login": (None, "200 302 302 302 302 302 302"),
    "accounts:logout": (None, "405 405 405 405 405 405 405"),
    "accounts:first_login": (None, "200 200 200 200 200 200 200"),
    "accounts:set_password": (None, "302 200 200 200 200 200 200"),
    "accounts:own_details": (None, "302 200 200 403 403 403 403"),
    "courses:catalogue": (None, "302 200 200 200 200 200 200"),
    "courses:programme_detail": ("code", "302 200 404 200 404 200 200"),
    "courses:enrol": ("code", "302 405 405 405 405 405 405"),
    "courses:cancel": ("code", "302 405 405 405 405 405 405"),
    "courses:manage_list": (None, "302 403 403 200 200 200 200"),
    "courses:manage_detail": ("code", "302 403 403 200 404 200 200"),
    "courses:programme_create": (None, "302 403 403 200 200 403 403"),
    "courses:programme_edit": ("code", "302 403 404 200 404 403 200"),
    "courses:programme_copy": ("code", "302 403 404 200 404 403 200"),
    "courses:programme_close": ("code", "302 405 405 405 405 405 405"),
    "courses:session_create": ("code", "302 403 404 200 404 403 200"),
    "courses:session_edit": ("code+session", "302 403 404 200 404 403 200"),
    "courses:session_delete": ("code+session", "302 403 404 200 404 403 200"),
    "courses:roster_template": (None, "302 403 403 200 200 200 200"),
    "courses:roster_upload": ("code", "302 403 404 200 404 403 200"),
    "courses:roster_confirm": ("code", "302 405 405 405 405 405 405"),
    "courses:roster_cancel": ("code", "302 405 405 405 405 405 405"),
    "courses:roster_errors": ("code+token", "302 403 404 404 404 403 404"),
    "courses:roster_export": ("code", "302 403 404 200 404 200 200"),
    "attendance:scan": ("bad_token", "400 400 400 400 400 400 400"),
    "attendance:complete": (None, "302 400 400 400 400 400 400"),
    "attendance:code": (None, "302 200 200 200 200 200 200"),
    "attendance:session": ("session", "302 403 404 200 404 200 200"),
    # The study pages are for online sessions only: this (on-site) session has none, whoever asks.
    "attendance:study": ("session", "302 404 404 404 404 404 404"),
    "attendance:study_material": ("session", "302 404 404 404 404 404 404"),
    "attendance:projector": ("session", "302 403 404 200 404 403 200"),
    "attendance:live": ("session", "302 403 404 200 404 403 200"),
    "attendance:sheet": ("session", "302 403 404 200 404 403 200"),
    "attendance:sheet_pdf": ("session", "302 403 404 200 404 403 200"),
    "attendance:rule": ("session", "302 403 404 200 404 403 200"),
    "attendance:session_export": ("session", "302 403 404 200 404 200 200"),
    "attendance:programme": ("code", "302 403 404 200 404 200 200"),
    "attendance:programme_export": ("code", "302 403 404 200 404 200 200"),
    "exams:list": (None, "302 200 200 302 302 302 302"),
    # The bank holds the answer keys: staff read it, teachers never.
    "exams:bank": (None, "302 403 403 200 200 200 200"),
    "exams:bank_export": (None, "302 403 403 200 200 200 200"),
    "exams:quiz": ("quiz", "302 200 404 302 302 302 302"),
    "exams:start": ("quiz", "302 405 405 405 405 405 405"),
    "exams:results": ("quiz", "302 403 403 200 404 200 200"),
    "exams:results_export": ("quiz", "302 403 403 200 404 200 200"),
    "exams:attempt": ("attempt", "302 302 404 404 404 404 404"),
    "exams:answer": ("attempt", "302 405 405 405 405 405 405"),
    "exams:submit": ("attempt", "302 405 405 405 405 405 405"),
    "exams:result": ("attempt", "302 200 404 404 404 404 404"),
    "exams:programme": ("code", "302 403 403 200 404 200 200"),
    "exams:quiz_create": ("code", "302 403 404 200 404 403 200"),
    "exams:quiz_edit": ("quiz", "302 403 404 200 404 403 200"),
    "exams:quiz_delete": ("quiz", "302 403 404 200 404 403 200"),
    "exams:quiz_withdraw": ("quiz", "302 405 405 405 405 405 405"),
    "certificates:mine": (None, "302 200 200 302 302 302 302"),
    "certificates:pdf": ("certificate", "302 200 404 200 404 403 200"),
    "certificates:revoke": ("certificate", "302 405 405 405 405 405 405"),
    "certificates:programme": ("code", "302 403 404 200 404 200 200"),
    "certificates:job_create": ("code", "302 405 405 405 405 405 405"),
    "certificates:rule": ("code", "302 403 404 200 404 403 200"),
    "certificates:style": ("code", "302 403 404 200 404 403 200"),
    "certificates:job": ("job", "302 404 404 200 404 404 200"),
    "certificates:job_download": ("job", "302 404 404 200 404 404 200"),
    "certificates:ledger_export": (None, "302 403 403 200 200 200 200"),
    "reports:dashboard": (None, "302 403 403 200 200 200 200"),
    "reports:dashboard_export": (None, "302 403 403 200 200 200 200"),
    "certificates:verify_code": ("verification", "200 200 200 200 200 200 200"),
    "certificates:verify": (None, "200 200 200 200 200 200 200"),
    # The API (DRF answers 403 to anonymous callers: session auth comes first).
    "api-root": (None, "403 200 200 200 200 200 200"),
    "api_token": (None, "405 405 405 405 405 405 405"),
    "schema": (None, "200 200 200 200 200 200 200"),
    "api_docs": (None, "200 200 200 200 200 200 200"),
    "public_verify": ("verification", "200 200 200 200 200 200 200"),
    "report_summary": ("?year", "403 403 403 200 200 200 200"),
    "programme-list": (None, "403 200 200 200 200 200 200"),
    "programme-detail": ("code", "403 200 404 200 404 200 200"),
    "roster-preview": ("code", "403 405 405 405 405 405 405"),
    "roster-commit": ("code", "403 405 405 405 405 405 405"),
    "session-list": (None, "403 200 200 200 200 200 200"),
    "session-detail": ("pk:session", "403 200 404 200 404 200 200"),
    "enrolment-list": (None, "403 200 200 200 200 200 200"),
    "enrolment-detail": ("pk:enrolment", "403 200 404 200 404 200 200"),
    "enrolment-cancel": ("pk:enrolment", "403 405 405 405 405 405 405"),
    "teacher-list": (None, "403 200 200 200 200 200 200"),
    "teacher-detail": ("pk:teacher", "403 200 404 200 404 200 200"),
    "checkin-list": (None, "403 200 200 200 200 200 200"),
    "checkin-code": (None, "403 405 405 405 405 405 405"),
    "checkin-mark": (None, "403 405 405 405 405 405 405"),
    "checkin-scan": (None, "403 405 405 405 405 405 405"),
    "checkin-detail": ("pk:checkin", "403 200 404 200 404 200 200"),
    "attendance-programme": ("code", "403 403 403 200 404 200 200"),
    "attendance-session": ("session_id", "403 403 403 200 404 200 200"),
    "quiz-list": (None, "403 200 200 200 200 200 200"),
    "quiz-detail": ("pk:quiz", "403 200 404 200 404 200 200"),
    "quiz-results": ("pk:quiz", "403 403 403 200 404 200 200"),
    "quiz-start": ("pk:quiz", "403 405 405 405 405 405 405"),
    "attempt-list": (None, "403 200 200 200 200 200 200"),
    "attempt-detail": ("pk:attempt", "403 200 404 200 404 200 200"),
    "attempt-answer": ("pk:attempt", "403 405 405 405 405 405 405"),
    "attempt-submit": ("pk:attempt", "403 405 405 405 405 405 405"),
    "certificate-list": (None, "403 200 200 200 200 200 200"),
    "certificate-credit-hours": (None, "403 200 200 403 403 403 403"),
    "certificate-issue": (None, "403 405 405 405 405 405 405"),
    "certificate-detail": ("pk:certificate", "403 200 404 200 404 200 200"),
    "certificate-pdf": ("pk:certificate", "403 200 404 200 404 403 200"),
    "certificate-reissue": ("pk:certificate", "403 405 405 405 405 405 405"),
    "certificate-revoke": ("pk:certificate", "403 405 405 405 405 405 405"),
}

# The Django admin's URLs are generated per model: ADMIN below covers every registered model.
NOT_IN_MATRIX = {""}


def url_names() -> set[str]:
    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = ":".join(filter(None, [namespace, pattern.namespace]))
                if inner.startswith("admin"):
                    continue
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern):
                yield ":".join(filter(None, [namespace, pattern.name or ""]))

    return set(walk(get_resolver().url_patterns)) - NOT_IN_MATRIX


def test_every_url_has_a_row():
    assert url_names() == set(PAGES)


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    make_bank()
    unit, other_unit = make_unit("许昌市教育局教师工作科"), make_unit("许昌市教育局政策法规科")
    owner, other = make_organiser(unit), make_organiser(other_unit)
    today = timezone.localdate()
    programme = make_programme(
        organiser=owner, self_enrol_open=False, start_date=today, end_date=today + datetime.timedelta(days=1)
    )
    session = programme.sessions.get()
    completion_rule_set(actor=None, programme=programme, quiz_required=False, auto_issue=False)
    now = timezone.now()
    quiz = quiz_create(actor=owner, programme=programme, title="测试", single_count=1, multiple_count=1, truefalse_count=1,
                       opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(days=1))  # fmt: skip
    teacher, stranger = make_teacher(name="王永浩"), make_teacher(name="李明")
    enrolment = enrolment_create(actor=owner, programme=programme, teacher=teacher, source="organiser")
    checkin = checkin_record(session=session, teacher=teacher, scanned_at=session.starts_at).record
    attempt = attempt_start(quiz=quiz, teacher=teacher)
    attempt_submit(attempt=attempt, teacher=teacher)
    certificate = certificate_issue(programme=programme, teacher=teacher, actor=owner)
    with django_capture_on_commit_callbacks(execute=True):
        job = job_create(programme=programme, actor=owner, kind="zip")
    users = {
        "A": None, "T": teacher, "U": stranger, "O": owner, "X": other,
        "B": make_bureau(), "S": make_bureau(is_superuser=True, username="root"),
    }  # fmt: skip
    objects = {
        "code": programme.code, "session": session.pk, "quiz": quiz.pk, "attempt": attempt.pk,
        "certificate": certificate.pk, "job": job.pk, "verification": certificate.verification_code,
        "enrolment": enrolment.pk, "teacher": teacher.pk, "checkin": checkin.pk,
    }  # fmt: skip
    return users, objects


def _url(name: str, key: str | None, objects: dict) -> str:
    if key is None:
        return reverse(name)
    if key == "?year":
        return reverse(name) + f"?year={timezone.localdate().year}"
    if key == "bad_token":
        return reverse(name, args=["forged.in.1.abc"])
    if key == "code+token":
        return reverse(name, args=[objects["code"], "nope"])
    if key == "code+session":
        return reverse(name, args=[objects["code"], objects["session"]])
    if key == "session_id":
        return reverse(name, kwargs={"session_id": objects["session"]})
    if key.startswith("pk:"):
        return reverse(name, kwargs={"pk": objects[key[3:]]})
    if key == "code":
        return reverse(name, kwargs={"code": objects["code"]})
    if key == "verification":
        return reverse(name, kwargs={"code": objects["verification"]})
    return reverse(name, kwargs={"pk": objects[key]})


def test_get_matrix(world):
    users, objects = world
    failures = []
    for name, (key, statuses) in sorted(PAGES.items()):
        url = _url(name, key, objects)
        for role, expected in zip(ROLES, statuses.split(), strict=True):
            client = APIClient()
            if users[role] is not None:
                client.force_login(users[role])
            got = client.get(url).status_code
            if got != int(expected):
                failures.append(f"{name} {role}: expected {expected}, got {got} ({url})")
    assert not failures, "\n".join(failures)


WRITES = [
    # (method, name, key, body, "A T U O X B S")
    ("post", "courses:manage_detail", "code", {"id_number": "11010519491231002X"}, "302 403 403 200 404 403 200"),
    (
        "post",
        "attendance:session",
        "session",
        {"teacher": "teacher", "status": "absent"},
        "302 403 404 302 404 403 302",
    ),
    (
        "post",
        "certificates:revoke",
        "certificate",
        {"reason": "测试", "confirmed": "1"},
        "302 403 404 302 404 403 302",
    ),
    ("post", "certificates:job_create", "code", {"kind": "issue"}, "302 403 404 302 404 403 302"),
    ("patch", "programme-detail", "code", {"title": "改名"}, "403 403 403 200 404 403 200"),
    ("delete", "programme-detail", "code", {}, "403 403 403 400 404 403 400"),
    # The teacher did not make this enrolment (the organiser did): undoing it is the organiser's.
    ("post", "enrolment-cancel", "pk:enrolment", {}, "403 403 404 200 404 403 400"),
    (
        "post",
        "checkin-mark",
        None,
        {"session": "session", "teacher": "teacher", "status": "present"},
        "403 403 403 200 404 403 200",
    ),
    ("post", "certificate-revoke", "pk:certificate", {"reason": "测试"}, "403 403 403 200 404 403 400"),
    ("post", "quiz-start", "pk:quiz", {}, "403 201 404 403 404 403 403"),
    ("post", "attempt-submit", "pk:attempt", {}, "403 200 404 403 404 403 403"),
    ("patch", "teacher-detail", "pk:teacher", {"school": "改"}, "403 403 403 403 403 403 200"),
]


@pytest.mark.parametrize(("method", "name", "key", "body", "statuses"), WRITES, ids=[f"{m} {n}" for m, n, *_ in WRITES])
def test_write_matrix(world, method, name, key, body, statuses):
    """Each role in turn against the same world; a refusal must leave the database as it was."""
    users, objects = world
    url = _url(name, key, objects)
    data = {k: objects.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    failures = []
    for role, expected in zip(ROLES, statuses.split(), strict=True):
        before = (
            Certificate.objects.filter(status="valid").count(),
            CertificateJob.objects.count(),
            Attempt.objects.filter(status="open").count(),
        )
        client = APIClient()
        if users[role] is not None:
            client.force_login(users[role])
        response = getattr(client, method)(url, data, format="json" if "-" in name else None)
        if response.status_code != int(expected):
            failures.append(f"{role}: expected {expected}, got {response.status_code}")
        if response.status_code >= 400 or role in "ATUXB":
            after = (
                Certificate.objects.filter(status="valid").count(),
                CertificateJob.objects.count(),
                Attempt.objects.filter(status="open").count(),
            )
            if response.status_code >= 400 and after != before:
                failures.append(f"{role}: refused but the database changed {before} -> {after}")
    assert not failures, f"{method.upper()} {name}\n" + "\n".join(failures)


# The admin, per registered model: (model label, page) -> "A T U O X B S" GET statuses. People
# and every other page are the superuser's alone since issue 15: any other signed-in person gets 403
# (organisers and the bureau work in the site's pages); the shared bank's keeper: tests/accounts.
ADMIN = {
    ("admin", "index"): "302 403 403 403 403 403 200",
    ("auth.Group", "changelist"): "302 403 403 403 403 403 200",
    ("auth.Group", "add"): "302 403 403 403 403 403 200",
    ("authtoken.TokenProxy", "changelist"): "302 403 403 403 403 403 200",
    ("authtoken.TokenProxy", "add"): "302 403 403 403 403 403 200",
    ("axes.AccessAttempt", "changelist"): "302 403 403 403 403 403 200",
    ("axes.AccessAttempt", "add"): "302 403 403 403 403 403 403",
    ("axes.AccessLog", "changelist"): "302 403 403 403 403 403 200",
    ("axes.AccessLog", "add"): "302 403 403 403 403 403 403",
    ("axes.AccessFailureLog", "changelist"): "302 403 403 403 403 403 200",
    ("axes.AccessFailureLog", "add"): "302 403 403 403 403 403 403",
    ("accounts.OrganisingUnit", "changelist"): "302 403 403 403 403 403 200",
    ("accounts.OrganisingUnit", "add"): "302 403 403 403 403 403 200",
    ("accounts.OrganisingUnit", "change"): "302 403 403 403 403 403 200",
    ("accounts.User", "changelist"): "302 403 403 403 403 403 200",
    ("accounts.User", "add"): "302 403 403 403 403 403 200",
    ("accounts.User", "change"): "302 403 403 403 403 403 200",
    ("accounts.User", "password"): "302 403 403 403 403 403 200",
    ("courses.Programme", "changelist"): "302 403 403 403 403 403 200",
    ("courses.Programme", "add"): "302 403 403 403 403 403 200",
    ("courses.Programme", "change"): "302 403 403 403 403 403 200",
    ("courses.Enrolment", "changelist"): "302 403 403 403 403 403 200",
    ("courses.Enrolment", "add"): "302 403 403 403 403 403 403",
    ("courses.Enrolment", "change"): "302 403 403 403 403 403 200",
    ("attendance.AttendanceRule", "changelist"): "302 403 403 403 403 403 200",
    ("attendance.AttendanceRule", "add"): "302 403 403 403 403 403 200",
    ("attendance.AttendanceRule", "change"): "302 403 403 403 403 403 200",
    ("attendance.CheckIn", "changelist"): "302 403 403 403 403 403 200",
    ("attendance.CheckIn", "add"): "302 403 403 403 403 403 403",
    ("attendance.CheckIn", "change"): "302 403 403 403 403 403 200",
    # The task queue's results (django-tasks-db): the operators' only.
    ("django_tasks_database.DBTaskResult", "changelist"): "302 403 403 403 403 403 200",
    ("django_tasks_database.DBTaskResult", "add"): "302 403 403 403 403 403 403",
    ("exams.Question", "changelist"): "302 403 403 403 403 403 200",
    ("exams.Question", "add"): "302 403 403 403 403 403 200",
    ("exams.Question", "change"): "302 403 403 403 403 403 200",
    ("exams.Law", "changelist"): "302 403 403 403 403 403 200",
    ("exams.Law", "add"): "302 403 403 403 403 403 200",
    ("exams.Law", "change"): "302 403 403 403 403 403 200",
    ("exams.Quiz", "changelist"): "302 403 403 403 403 403 200",
    ("exams.Quiz", "add"): "302 403 403 403 403 403 200",
    ("exams.Quiz", "change"): "302 403 403 403 403 403 200",
    ("certificates.CompletionRule", "changelist"): "302 403 403 403 403 403 200",
    ("certificates.CompletionRule", "add"): "302 403 403 403 403 403 200",
    ("certificates.CompletionRule", "change"): "302 403 403 403 403 403 200",
    ("certificates.Certificate", "changelist"): "302 403 403 403 403 403 200",
    ("certificates.Certificate", "add"): "302 403 403 403 403 403 403",
    ("certificates.Certificate", "change"): "302 403 403 403 403 403 200",
    ("certificates.CertificateJob", "changelist"): "302 403 403 403 403 403 200",
    ("certificates.CertificateJob", "add"): "302 403 403 403 403 403 403",
    ("certificates.CertificateJob", "change"): "302 403 403 403 403 403 200",
}


def _admin_urls(objects) -> dict:
    from django.contrib import admin

    from accounts.models import User

    urls = {("admin", "index"): reverse("admin:index")}
    for model in admin.site._registry:
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        urls[(model._meta.label, "changelist")] = reverse(f"{info}_changelist")
        urls[(model._meta.label, "add")] = reverse(f"{info}_add")
        obj = (
            User.objects.get(pk=objects["teacher"]) if model is User else model._default_manager.order_by("pk").first()
        )
        if obj is not None:
            urls[(model._meta.label, "change")] = reverse(f"{info}_change", args=[obj.pk])
    urls[("accounts.User", "password")] = f"/admin/accounts/user/{objects['teacher']}/password/"
    return urls


def test_admin_matrix(world):
    """Every admin page of every registered model, as every role; the bureau's pages never show
    the teacher's full ID number or mobile."""
    from accounts.models import User
    from attendance.models import AttendanceRule
    from courses.models import Session

    users, objects = world
    AttendanceRule.objects.create(session=Session.objects.get(pk=objects["session"]))
    teacher = User.objects.get(pk=objects["teacher"])
    urls = _admin_urls(objects)
    assert set(urls) == set(ADMIN), "an admin page without a row (or a row without a page)"
    failures = []
    for key, statuses in sorted(ADMIN.items()):
        for role, expected in zip(ROLES, statuses.split(), strict=True):
            client = APIClient()
            if users[role] is not None:
                client.force_login(users[role])
            response = client.get(urls[key])
            if response.status_code != int(expected):
                failures.append(f"{key} {role}: expected {expected}, got {response.status_code} ({urls[key]})")
            if role == "B" and response.status_code == 200:
                html = response.content.decode()
                if teacher.id_number in html or teacher.mobile in html:
                    failures.append(f"{key} B: the full ID number or mobile is shown")
    assert not failures, "\n".join(failures)


def test_admin_password_form_posted_by_every_role(world):
    """The takeover edge itself: only the superuser's POST sets a teacher's password."""
    from accounts.models import User

    users, objects = world
    url = f"/admin/accounts/user/{objects['teacher']}/password/"
    failures = []
    statuses = "302 403 403 403 403 403 302"
    for role, expected in zip(ROLES, statuses.split(), strict=True):
        chosen = f"Chosen-by-{role}-2021"
        client = APIClient()
        if users[role] is not None:
            client.force_login(users[role])
        response = client.post(url, {"password1": chosen, "password2": chosen, "usable_password": "true"})
        took = User.objects.get(pk=objects["teacher"]).check_password(chosen)
        if response.status_code != int(expected) or took != (role == "S"):
            failures.append(f"{role}: {response.status_code}, password set: {took}")
    assert not failures, "\n".join(failures)
