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
