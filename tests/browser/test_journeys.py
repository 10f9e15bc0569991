"""The four journeys end to end in Chromium, as one story, with the logs inspected for ID numbers.

1. An organiser creates a programme with two sessions and a quiz in the site's pages, imports a roster
   from .xlsx and opens the projector page.
2. A teacher on a 360x740 phone signs in for the first time from the QR, sets a password, checks in to
   both sessions, passes the quiz and downloads the certificate.
3. The bureau opens the dashboard and sees that teacher's completion counted.
4. The public opens the verification URL: valid, then revoked after the organiser revokes it.
"""

import datetime
import logging

import pytest
from django.utils import timezone

from certificates.models import Certificate
from certificates.pdf import verification_url
from courses.models import Programme
from exams.models import Attempt, AttemptQuestion, Option
from tests.exams.conftest import make_bank
from tests.factories import PASSWORD, make_bureau, make_organiser, make_unit, valid_id_number
from tests.rosters import roster_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, base, username, password=PASSWORD):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")


def create_programme_in_pages(page, base, *, code, title, now, days=1):
    """新建培训项目 on the organiser's page: no year asked, back on the programme's page with a message."""
    page.goto(f"{base}/manage/programmes/")
    page.click("a:has-text('新建培训项目')")
    page.fill("#id_code", code)
    page.fill("#id_title", title)
    page.select_option("#id_level", "municipal")
    page.select_option("#id_kind", "lecture")
    page.fill("#id_start_date", now.date().isoformat())
    page.fill("#id_end_date", (now.date() + datetime.timedelta(days=days)).isoformat())
    page.fill("#id_credit_hours", "3")
    page.click("button:has-text('保存')")
    page.wait_for_selector("text=已创建培训项目")


def add_session(page, base, code, title, start, end):
    page.goto(f"{base}/manage/programmes/{code}/")
    page.click("a:has-text('添加课次')")
    page.fill("#id_title", title)
    page.fill("#id_starts_at", start.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_ends_at", end.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_lecturer", "王永浩")
    page.click("button:has-text('保存课次')")
    page.wait_for_selector(f"text=已添加课次“{title}”")


def test_four_journeys(live_server, browser, phone, settings, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    settings.SITE_URL = live_server.url
    base = live_server.url
    make_bank()
    organiser = make_organiser(make_unit())
    bureau = make_bureau()
    now = timezone.localtime()
    first_start = now + datetime.timedelta(minutes=5)
    second_start = now + datetime.timedelta(minutes=10)
    teacher_id, teacher_mobile = valid_id_number(555, region="411081"), "13966667777"

    # 1. The organiser's pages: programme with two sessions, a quiz, the roster, the projector.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(desk, base, organiser.username)
    desk.on("dialog", lambda dialog: dialog.accept())
    create_programme_in_pages(desk, base, code="FZ-E2E-01", title="法治政府建设专题培训讲座（端到端）", now=now)
    for title, start in (("第一讲", first_start), ("第二讲", second_start)):
        add_session(desk, base, "FZ-E2E-01", title, start, start + datetime.timedelta(hours=1))
    programme = Programme.objects.get(code="FZ-E2E-01")
    assert programme.unit == organiser.unit and programme.sessions.count() == 2

    desk.goto(f"{base}/exams/programmes/{programme.code}/new/")
    desk.fill("#id_title", "课后法治知识测试")
    for field, value in (("single_count", "2"), ("multiple_count", "1"), ("truefalse_count", "1")):
        desk.fill(f"#id_{field}", value)
    opens, closes = now - datetime.timedelta(minutes=1), now + datetime.timedelta(days=1)
    desk.fill("#id_opens_at", opens.strftime("%Y-%m-%dT%H:%M"))
    desk.fill("#id_closes_at", closes.strftime("%Y-%m-%dT%H:%M"))
    desk.click("button:has-text('保存测试')")
    desk.wait_for_selector("text=已创建测试")
    assert programme.quizzes.count() == 1

    roster = tmp_path / "名单.xlsx"
    roster.write_bytes(
        roster_bytes(
            [["赵敏", teacher_id, teacher_mobile, "禹州市第一高级中学", "禹州市", "道德与法治", "一级教师"]],
            title_rows=["学员名单"],
        )
    )
    desk.goto(f"{base}/manage/programmes/{programme.code}/roster/")
    desk.set_input_files("input[name=file]", str(roster))
    desk.click("main button[type=submit]")
    desk.click("button:has-text('确认导入')")
    desk.wait_for_selector("text=导入完成")

    sessions = list(programme.sessions.order_by("starts_at"))
    desk.goto(f"{base}/attendance/sessions/{sessions[0].pk}/projector/")
    desk.wait_for_selector("#qr svg")
    first_url = desk.get_attribute("#qr", "data-checkin-url")

    # 2. The teacher's phone: first sign-in from the QR, both check-ins, the quiz, the certificate.
    phone.goto(first_url)
    phone.click("a:has-text('首次登录')")
    phone.fill("input[name=id_number]", teacher_id.lower())
    phone.fill("input[name=mobile]", teacher_mobile)
    phone.click("main button[type=submit]")
    phone.fill("input[name=new_password1]", "zhaomin-2021")
    phone.fill("input[name=new_password2]", "zhaomin-2021")
    phone.click("main button[type=submit]")
    phone.wait_for_selector("#checkin-result")
    assert "签到成功" in phone.inner_text("#checkin-result") and "第一讲" in phone.inner_text("#checkin-result")

    desk.goto(f"{base}/attendance/sessions/{sessions[1].pk}/projector/")
    desk.wait_for_selector("#qr svg")
    phone.goto(desk.get_attribute("#qr", "data-checkin-url"))
    phone.wait_for_selector("#checkin-result")
    assert "签到成功" in phone.inner_text("#checkin-result") and "第二讲" in phone.inner_text("#checkin-result")

    phone.goto(f"{base}/exams/")
    phone.click("a:has-text('课后法治知识测试')")
    phone.click("button:has-text('开始第1次作答')")
    phone.wait_for_selector("#attempt[data-ready]")
    attempt = Attempt.objects.get(quiz__programme=programme)
    for item in AttemptQuestion.objects.filter(attempt=attempt):
        for option_id in Option.objects.filter(question_id=item.question_id, is_correct=True).values_list(
            "pk", flat=True
        ):
            phone.check(f"input[name=q{item.question_id}][value='{option_id}']")
    phone.wait_for_function("document.getElementById('save-state').textContent === '已保存'")
    phone.click("#submit-form button")
    phone.wait_for_selector("#quiz-result")
    assert "100 分" in phone.inner_text("#quiz-result")

    phone.goto(f"{base}/certificates/")
    with phone.expect_download() as download:
        phone.click("a:has-text('下载证书')")
    pdf = tmp_path / "certificate.pdf"
    download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    certificate = Certificate.objects.get(programme=programme)
    assert certificate.trainee_name == "赵敏" and certificate.is_valid

    # 3. The bureau sees the completion counted.
    board = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    sign_in(board, base, bureau.username)
    board.goto(f"{base}/reports/?year={now.year}&programme={programme.code}")
    assert board.inner_text("#k-teachers") == "1"
    assert "赵敏" in board.inner_text("main") and "已结业" in board.inner_text("main")

    # 4. The public verifies; the organiser revokes; the public sees it revoked.
    public = browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    public.goto(verification_url(certificate))
    assert public.inner_text("#verify-result").startswith("有效")
    desk.goto(f"{base}/certificates/programmes/{programme.code}/")
    desk.fill("input[name=reason]", "信息有误，待更正")
    desk.click("button:has-text('撤销')")
    desk.wait_for_selector("text=已撤销")
    public.reload()
    assert "已撤销" in public.inner_text("#verify-result")

    # Nothing above wrote the ID number into a log line.
    assert teacher_id not in caplog.text and teacher_id.lower() not in caplog.text
    for context in (desk.context, board.context, public.context):
        context.close()
