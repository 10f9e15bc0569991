"""axe-core over every page of the teacher's, the organiser's, the bureau's and the public's journeys, on a
360x740 phone (and the organiser's desk): any WCAG 2.1 A/AA violation fails, named page by page."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from attendance.services import checkin_record
from certificates.services import certificate_issue, completion_rule_set
from courses.services import enrolment_create, session_create
from exams.models import Attempt
from exams.services import attempt_start, attempt_submit, quiz_create
from tests.browser.a11y import violations
from tests.exams.conftest import make_bank
from tests.factories import PASSWORD, make_bureau, make_organiser, make_programme, make_teacher, make_unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_load_state()


def _check(page, base, paths, found):
    for path in paths:
        page.goto(f"{base}{path}")
        page.wait_for_load_state("networkidle")
        found += [f"{path}  {line}" for line in violations(page)]


def test_every_page_of_the_journeys_meets_wcag_21_aa(live_server, browser, phone, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    base = live_server.url
    make_bank()
    organiser = make_organiser(make_unit())
    bureau = make_bureau()
    programme = make_programme(organiser=organiser, title="法治政府建设专题培训讲座")
    session = programme.sessions.get()
    now = timezone.now()
    quiz = quiz_create(
        actor=organiser, programme=programme, title="课后法治知识测试", single_count=2, multiple_count=1,
        truefalse_count=1, opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(days=1),
    )  # fmt: skip
    today = timezone.localdate()
    online = make_programme(
        organiser=organiser, title="教师法治素养网络研修", kind="online", with_session=False,
        start_date=today - datetime.timedelta(days=3), end_date=today + datetime.timedelta(days=30),
        credit_hours=Decimal("20"),
    )  # fmt: skip
    study = session_create(
        actor=organiser, programme=online, title="网络研修", delivery="online",
        starts_at=now - datetime.timedelta(days=2), ends_at=now + datetime.timedelta(days=20),
        material_title="《教师法》解读", material_file=ContentFile(b"%PDF-1.4", name="m.pdf"),
    )  # fmt: skip
    teacher = make_teacher(name="王永浩")
    for each in (programme, online):
        enrolment_create(actor=teacher, programme=each, teacher=teacher, source="self")
    checkin_record(session=session, teacher=teacher, scanned_at=session.starts_at)
    done = attempt_start(quiz=quiz, teacher=teacher)
    attempt_submit(attempt=done, teacher=teacher)
    completion_rule_set(actor=None, programme=programme, quiz_required=False)
    certificate = certificate_issue(programme=programme, teacher=teacher, actor=organiser)
    found: list[str] = []

    # The public: sign-in, first sign-in, certificate verification, a missing page.
    _check(phone, base, ["/accounts/login/", "/accounts/first-login/", "/verify/",
                         f"/v/{certificate.verification_code}/", "/no-such-page/"], found)  # fmt: skip
    # A failed sign-in, announced.
    phone.goto(f"{base}/accounts/login/")
    phone.fill("input[name=username]", "13900000000")
    phone.fill("input[name=password]", "wrong-password")
    phone.click("main button[type=submit]")
    phone.wait_for_selector("[role=alert]")
    found += [f"login failed  {line}" for line in violations(phone)]

    # The teacher.
    _sign_in(phone, base, teacher.mobile)
    open_attempt = Attempt.objects.filter(teacher=teacher, quiz=quiz, status="open").first()
    _check(phone, base, [
        "/", "/programmes/", f"/programmes/{programme.code}/", f"/programmes/{online.code}/", f"/study/{study.pk}/",
        "/exams/", f"/exams/quizzes/{quiz.pk}/", f"/exams/attempts/{done.pk}/result/", "/certificates/",
        "/accounts/me/", "/accounts/password/", "/accounts/logout/confirm/", "/attendance/code/",
    ], found)  # fmt: skip
    assert open_attempt is None
    phone.goto(f"{base}/exams/quizzes/{quiz.pk}/")
    phone.click("button:has-text('开始第2次作答')")
    phone.wait_for_selector("#attempt[data-ready]")
    found += [f"attempt  {line}" for line in violations(phone)]
    phone.click("#submit-form button")
    phone.wait_for_selector("#handin-sheet[open]")
    found += [f"hand-in sheet  {line}" for line in violations(phone)]

    # The organiser, at a desk.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    _sign_in(desk, base, organiser.username)
    _check(desk, base, [
        "/manage/programmes/", f"/manage/programmes/{programme.code}/", f"/manage/programmes/{programme.code}/roster/",
        f"/attendance/sessions/{session.pk}/", f"/attendance/sessions/{session.pk}/projector/",
        f"/attendance/programmes/{programme.code}/", f"/exams/programmes/{programme.code}/",
        f"/exams/quizzes/{quiz.pk}/results/", f"/certificates/programmes/{programme.code}/",
    ], found)  # fmt: skip
    # The bureau.
    office = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    _sign_in(office, base, bureau.username)
    _check(office, base, ["/reports/"], found)

    assert found == [], "\n".join(found)
