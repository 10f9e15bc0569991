"""Issue 17 on a 360x740 phone: the hand-in sheet, the review's verdicts, and online study that counts."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from attendance.models import CheckIn, Method
from certificates.models import Certificate
from courses.services import enrolment_create, session_create
from exams.models import Attempt, AttemptQuestion, Option
from exams.services import quiz_create
from tests.exams.conftest import make_bank
from tests.factories import PASSWORD, make_organiser, make_programme, make_teacher, make_unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(phone, live_server, teacher, next_url):
    phone.goto(f"{live_server.url}/accounts/login/?next={next_url}")
    phone.fill("input[name=username]", teacher.mobile)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("main button[type=submit]")


def test_hand_in_with_unanswered_questions_asks_first_and_the_review_says_unanswered(live_server, phone):
    make_bank()
    organiser = make_organiser(make_unit())
    programme = make_programme(organiser=organiser, title="法治政府建设专题培训讲座")
    now = timezone.now()
    quiz_create(
        actor=organiser, programme=programme, title="课后法治知识测试", single_count=2, multiple_count=0,
        truefalse_count=2, shuffle_options=True,
        opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(days=1),
    )  # fmt: skip
    teacher = make_teacher(name="王永浩")
    enrolment_create(actor=teacher, programme=programme, teacher=teacher, source="self")

    _sign_in(phone, live_server, teacher, "/exams/")
    phone.click("a:has-text('课后法治知识测试')")
    phone.click("button:has-text('开始第1次作答')")
    phone.wait_for_selector("#attempt[data-ready]")
    attempt = Attempt.objects.get()
    items = list(AttemptQuestion.objects.filter(attempt=attempt).order_by("position"))
    # 判断题 read 正确 then 错误, whatever the option shuffle.
    for fieldset in phone.query_selector_all("fieldset[data-kind=truefalse]"):
        assert [label.inner_text()[3:] for label in fieldset.query_selector_all("label.choice")] == ["正确", "错误"]
    # The stem is part of the legend, so a screen reader names the group by the question.
    assert items[0].question.stem in phone.inner_text("#q-1 legend")

    first = items[0]
    right = Option.objects.filter(question_id=first.question_id, is_correct=True).first()
    phone.check(f"input[name=q{first.question_id}][value='{right.pk}']")
    phone.wait_for_function("document.getElementById('save-state').textContent === '已保存'")
    phone.click("#submit-form button")
    sheet = phone.wait_for_selector("#handin-sheet[open]")
    assert "还有 3 题未作答" in sheet.inner_text()
    assert Attempt.objects.get().status == "open"

    phone.click("#handin-unanswered a:has-text('第2题')")  # jump back to the question
    assert not phone.is_visible("#handin-sheet")
    assert phone.evaluate("document.activeElement.name") == f"q{items[1].question_id}"
    phone.click("#submit-form button")
    phone.wait_for_selector("#handin-sheet[open]")
    assert Attempt.objects.get().status == "open"
    phone.click("#handin-confirm")
    phone.wait_for_selector("#quiz-result")
    assert Attempt.objects.get().status != "open"

    verdicts = [card.get_attribute("data-verdict") for card in phone.query_selector_all(".review")]
    assert verdicts == ["答对", "未作答", "未作答", "未作答"]
    assert "本题判定：未作答" in phone.inner_text("main")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_an_online_session_completed_by_study_earns_the_certificate(live_server, phone, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    organiser = make_organiser(make_unit())
    today = timezone.localdate()
    programme = make_programme(
        organiser=organiser, title="教师法治素养网络研修", kind="online", with_session=False,
        start_date=today - datetime.timedelta(days=14), end_date=today + datetime.timedelta(days=45),
        credit_hours=Decimal("20"),
    )  # fmt: skip
    start = timezone.make_aware(datetime.datetime.combine(programme.start_date, datetime.time(8)))
    end = timezone.make_aware(datetime.datetime.combine(programme.end_date, datetime.time(22)))
    session = session_create(
        actor=organiser, programme=programme, title="网络研修", delivery="online", starts_at=start, ends_at=end,
        material_title="《教师法》解读", material_file=ContentFile(b"%PDF-1.4 study", name="jiaoshifa.pdf"),
    )  # fmt: skip
    teacher = make_teacher(name="刘晓燕")
    enrolment_create(actor=teacher, programme=programme, teacher=teacher, source="self")

    _sign_in(phone, live_server, teacher, f"/programmes/{programme.code}/")
    assert "还差：第1次课（网络研修）线上学习" in phone.inner_text("#completion")
    phone.click("#online-study a:has-text('网络研修')")
    with phone.expect_popup() as popup:
        phone.click("#open-material")
    popup.value.close()
    phone.click("#confirm-study")
    phone.wait_for_selector("text=已确认完成学习")
    record = CheckIn.objects.get(session=session, teacher=teacher)
    assert record.method == Method.STUDY
    phone.click("a:has-text('返回项目')")
    assert "已结业" in phone.inner_text("#completion")
    assert Certificate.objects.get(teacher=teacher, programme=programme).credit_hours == Decimal("20")


def test_a_signed_out_scan_says_on_the_sign_in_page_which_check_in_is_waiting(live_server, phone):
    from attendance import tokens
    from attendance.models import CheckIn as Record

    organiser = make_organiser(make_unit())
    programme = make_programme(organiser=organiser, title="依法执教专题讲座", with_session=False)
    start = timezone.now() + datetime.timedelta(minutes=5)
    session = session_create(
        actor=organiser,
        programme=programme,
        title="第一讲",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
    )
    teacher = make_teacher(name="王永浩")
    enrolment_create(actor=teacher, programme=programme, teacher=teacher, source="self")

    token = tokens.make_token(session_id=session.pk, kind="in", moment=timezone.now())
    phone.goto(f"{live_server.url}/a/{token}/")
    notice = phone.inner_text("#pending-checkin")
    assert "签到等待中：依法执教专题讲座 · 第一讲" in notice and "签到将在登录后自动完成" in notice
    phone.fill("input[name=username]", teacher.mobile)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("main button[type=submit]")
    assert "签到成功" in phone.inner_text("#checkin-result")
    assert Record.objects.filter(session=session, teacher=teacher).exists()


def test_the_pdf_issued_at_0139_beijing_prints_that_day(live_server, phone, organiser):
    import io

    from pdfminer.high_level import extract_text

    from tests.certificates.test_beijing_dates import _issued_at_0139

    certificate = _issued_at_0139(organiser)  # frozen at 2026-03-21 01:39 Beijing (17:39 UTC the day before)
    _sign_in(phone, live_server, certificate.teacher, "/certificates/")
    assert "2026-03-21" in phone.inner_text("main") or "2026年3月21日" in phone.inner_text("main")
    response = phone.request.get(f"{live_server.url}/certificates/{certificate.pk}/pdf/")
    text = extract_text(io.BytesIO(response.body())).replace("\n", "")
    assert "颁发日期：2026年3月21日" in text


def test_an_english_browser_still_reads_every_message_in_chinese(live_server, browser):
    import re

    context = browser.new_context(
        viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="en-US",
        extra_http_headers={"Accept-Language": "en-US,en;q=0.9"},
    )  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(10_000)
    teacher = make_teacher(name="陈新", password=None, mobile="13900000031")
    seen = []

    def errors():
        text = page.inner_text("#form-errors")
        seen.append(text)
        return text

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "13900000099")
    page.fill("input[name=password]", "wrong-password")
    page.click("main button[type=submit]")
    assert "账号或密码不正确" in errors()
    page.goto(f"{live_server.url}/accounts/login/")
    page.click("main button[type=submit]")  # empty
    assert "请输入" in errors()

    page.goto(f"{live_server.url}/accounts/first-login/")
    page.fill("input[name=id_number]", teacher.id_number[:17])
    page.fill("input[name=mobile]", "１３９ ０００ ０００ ３１")
    page.click("main button[type=submit]")
    assert "身份证号无效" in errors() and "18位" in seen[-1]
    page.fill("input[name=id_number]", teacher.id_number)
    page.fill("input[name=mobile]", "１３９ ０００ ０００ ３１")
    page.click("main button[type=submit]")
    page.fill("input[name=new_password1]", "123456")
    page.fill("input[name=new_password2]", "123456")
    page.click("main button[type=submit]")
    assert "密码太短" in errors() and "不能全是数字" in seen[-1]
    page.fill("input[name=new_password1]", "Xuchang-2026")
    page.fill("input[name=new_password2]", "Xuchang-2026")
    page.click("main button[type=submit]")
    assert "密码已设置" in page.inner_text("main")
    for text in seen:
        assert not re.search(r"[A-Za-z]{3,}", text), text
    context.close()
