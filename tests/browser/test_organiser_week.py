"""The organiser's week in Chromium, at 1366 px and at 360 px, without ever loading a URL under /admin/:
a programme with two sessions, a quiz limited to two laws, a roster with an error row imported one way at
each width (the whole list again at 1366 px, the valid rows now at 360 px), a teacher added by ID, the
projector's QR scanned by a phone, a leave marked with its reason and exported, the completion rule, a batch
issue, a revocation that asks first, a re-issue, and next year's copy. The page never gets wider than the
window."""

import datetime
import io
from pathlib import Path

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from attendance.services import attendance_mark
from certificates.models import Certificate, CompletionRule
from courses.models import Enrolment, Programme
from exams.models import Quiz
from tests.browser.test_journeys import add_session, create_programme_in_pages, sign_in
from tests.exams.conftest import make_bank
from tests.factories import PASSWORD, make_organiser, make_teacher, make_unit, valid_id_number
from tests.rosters import roster_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _no_overflow(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width}px wide in a {viewport}px window"


def _roster_with_an_error_row(desk, base, code, tmp_path, way, ids):
    """Three teachers, the third with a wrong check digit; imported the way the organiser chooses."""
    wrong = ids[2][:-1] + ("0" if ids[2][-1] != "0" else "1")

    def roster(third, name):
        path = tmp_path / name
        path.write_bytes(
            roster_bytes(
                [
                    ["李芳", ids[0], "13911114441", "许昌市第一中学", "魏都区"],
                    ["赵敏", ids[1], "13911114442", "许昌高级中学", "魏都区"],
                    ["孙丽", third, "13911114443", "许昌高级中学", "魏都区"],
                ]
            )
        )
        return str(path)

    desk.goto(f"{base}/manage/programmes/{code}/")
    desk.click("a:has-text('导入名单')")
    desk.set_input_files("input[name=file]", roster(wrong, "名单.xlsx"))
    desk.click("main button[type=submit]")
    desk.wait_for_selector("#roster-choice")
    assert "其中 1 行有错误、2 行无误。现在还没有导入任何数据" in desk.inner_text("#roster-choice")
    _no_overflow(desk)
    assert not Enrolment.objects.filter(programme__code=code).exists()
    if way == "valid rows now":
        desk.click("button:has-text('只导入无误的 2 行')")
        desk.wait_for_selector(".flash:has-text('有错误的 1 行没有导入')")
        assert Enrolment.objects.filter(programme__code=code).count() == 2
        desk.goto(f"{base}/manage/programmes/{code}/roster/")
    else:
        desk.click("a:has-text('重新上传完整名单')")
    desk.set_input_files("input[name=file]", roster(ids[2], "改好的名单.xlsx"))
    desk.click("main button[type=submit]")
    desk.wait_for_selector("h1:has-text('名单预览')")
    assert desk.inner_text("#count-errors") == "0"
    assert desk.inner_text("#count-new") == ("1" if way == "valid rows now" else "3")
    desk.click("button:has-text('确认导入')")
    desk.wait_for_selector("text=导入完成")
    assert Enrolment.objects.filter(programme__code=code).count() == 3


@pytest.mark.parametrize(
    "width,height,way", [(1366, 900, "whole list again"), (360, 740, "valid rows now")], ids=["1366px", "360px"]
)
def test_the_organisers_week_in_the_sites_pages(live_server, browser, settings, tmp_path, width, height, way):
    settings.SITE_URL = live_server.url
    base = live_server.url
    make_bank()
    organiser = make_organiser(make_unit())
    now = timezone.localtime()
    code = f"FZ{now.year}-W{width}"
    visited = []

    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    desk = context.new_page()
    desk.set_default_timeout(15_000)
    context.on("request", lambda request: visited.append(request.url))
    confirmations = []

    def confirm(dialog):
        confirmations.append(dialog.message)
        dialog.accept()

    desk.on("dialog", confirm)
    sign_in(desk, base, organiser.username)
    assert "/admin/" not in desk.content()

    # A programme and two sessions, each save back on the programme's page: the first starts in a few
    # minutes (its check-in is open now), the second tomorrow afternoon.
    create_programme_in_pages(desk, base, code=code, title="法治政府建设专题培训讲座", now=now, days=2)
    _no_overflow(desk)
    first_start = now + datetime.timedelta(minutes=5)
    add_session(desk, base, code, "第一讲 宪法与教育法", first_start, first_start + datetime.timedelta(hours=2))
    second_start = timezone.make_aware(
        datetime.datetime.combine(now.date() + datetime.timedelta(days=1), datetime.time(14))
    )
    if second_start < first_start + datetime.timedelta(hours=2):  # the first began just before midnight
        second_start += datetime.timedelta(days=1)
    add_session(desk, base, code, "第二讲 未成年人保护法", second_start, second_start + datetime.timedelta(hours=2))
    _no_overflow(desk)
    programme = Programme.objects.get(code=code)
    assert programme.year == now.year and programme.sessions.count() == 2
    first, second = programme.sessions.order_by("starts_at")

    # A quiz limited to two laws, the bank's counts beside the draw counts.
    desk.goto(f"{base}/exams/programmes/{code}/")
    desk.click("a:has-text('新建测试')")
    desk.check("input[name=laws][value='教师法']")
    desk.check("input[name=laws][value='宪法']")
    assert desk.inner_text("[data-available=single_count] b") == "6"
    assert desk.inner_text("[data-available=multiple_count] b") == "0"
    desk.fill("#id_single_count", "3")
    desk.fill("#id_multiple_count", "0")
    desk.fill("#id_truefalse_count", "2")
    desk.fill("#id_opens_at", (now - datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    desk.fill("#id_closes_at", (now + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"))
    _no_overflow(desk)
    desk.click("button:has-text('保存测试')")
    desk.wait_for_selector("text=已创建测试")
    quiz = Quiz.objects.get(programme=programme)
    assert sorted(quiz.laws) == ["宪法", "教师法"]

    # The roster, with an error row, imported the width's way; one more teacher added by ID.
    ids = [valid_id_number(n + width) for n in (741, 742, 743)]
    _roster_with_an_error_row(desk, base, code, tmp_path, way, ids)
    scanner = make_teacher(name="王永浩")
    desk.goto(f"{base}/manage/programmes/{code}/")
    desk.fill("#id_id_number", scanner.id_number)
    desk.click("button:has-text('添加')")
    desk.wait_for_selector(".flash:has-text('王永浩')")
    assert Enrolment.objects.filter(programme=programme).count() == 4

    # The projector: opened from the attendance page, its QR scanned by the teacher's phone, the count goes up.
    desk.goto(f"{base}/manage/programmes/{code}/")
    desk.click("a:has-text('考勤与签到')")
    with context.expect_page() as opened:
        desk.locator(".card", has_text="第一讲").locator("a:has-text('投屏签到')").click()
    projector = opened.value
    projector.wait_for_selector("#qr svg")
    assert projector.inner_text("#checked-in") == "0"
    phone_context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, locale="zh-CN")
    phone = phone_context.new_page()
    phone.goto(projector.get_attribute("#qr", "data-checkin-url"))
    phone.fill("input[name=username]", scanner.mobile)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("main button[type=submit]")
    phone.wait_for_selector("#checkin-result")
    assert "签到成功" in phone.inner_text("#checkin-result")
    projector.wait_for_function("document.getElementById('checked-in').textContent === '1'", timeout=10_000)
    assert "王永浩" in projector.inner_text("#latest")
    phone_context.close()
    projector.close()

    # A leave marked with its reason on the session's page, then exported with the reason and who marked it.
    desk.goto(f"{base}/attendance/sessions/{first.pk}/")
    row = desk.locator(".attendance-row", has_text="赵敏")
    row.locator("select[name=status]").select_option("excused")
    row.locator("input[name=reason]").fill("参加市级教研活动")
    row.locator("button:has-text('保存')").click()
    desk.wait_for_selector(".flash:has-text('已更新 赵敏 的考勤')")
    assert desk.inner_text("#n-excused") == "1"
    _no_overflow(desk)
    with desk.expect_download() as download:
        desk.click("a:has-text('导出（.xlsx）')")
    sheet = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    exported = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    assert exported["赵敏"]["状态"] == "请假" and exported["赵敏"]["请假原因/标记说明"] == "参加市级教研活动"
    assert exported["赵敏"]["标记人"] == organiser.name and exported["赵敏"]["签到时间"] in ("", None)
    assert exported["王永浩"]["方式"] == "扫码" and exported["王永浩"]["签到时间"]
    assert "*" in exported["李芳"]["身份证号"]

    # The completion rule: sessions only (the quiz is withdrawn from completion by unticking it).
    desk.goto(f"{base}/manage/programmes/{code}/")
    desk.click("a:has-text('结业与证书')")
    desk.click("a:has-text('设置结业规则')")
    desk.uncheck("#id_quiz_required")
    desk.uncheck("#id_auto_issue")
    _no_overflow(desk)
    desk.click("button:has-text('保存结业规则')")
    desk.wait_for_selector("text=已保存结业规则")
    assert not CompletionRule.objects.get(programme=programme).quiz_required

    # 王永浩 and 李芳 attend the rest (recorded through the services), then the batch issue.
    li_fang = Enrolment.objects.get(programme=programme, teacher__name="李芳").teacher
    attendance_mark(actor=organiser, session=first, teacher=li_fang, status="present")
    for teacher in (scanner, li_fang):
        attendance_mark(actor=organiser, session=second, teacher=teacher, status="present")
    desk.goto(f"{base}/certificates/programmes/{code}/")
    desk.click("button:has-text('为已完成的学员批量颁发')")
    for _ in range(50):
        if Certificate.objects.filter(programme=programme).count() == 2:
            break
        desk.wait_for_timeout(200)
    assert Certificate.objects.filter(programme=programme, status="valid").count() == 2

    # Revoke asks first; re-issue makes version 2; the revoked version offers nothing.
    desk.goto(f"{base}/certificates/programmes/{code}/")
    first_certificate = Certificate.objects.get(programme=programme, teacher=scanner)
    card = desk.locator(".card", has_text="王永浩").first
    card.locator("input[name=reason]").fill("姓名有误")
    card.locator("button:has-text('更正后重新颁发')").click()
    desk.wait_for_selector(".flash:has-text('已重新颁发')")
    assert any("将撤销 王永浩 的证书" in message for message in confirmations)
    assert Certificate.objects.get(pk=first_certificate.pk).status == "revoked"
    reissued = Certificate.objects.get(programme=programme, teacher=scanner, status="valid")
    assert reissued.version == 2

    card = desk.locator(".card", has_text="李芳").first
    card.locator("input[name=reason]").fill("误发")
    card.locator("button:has-text('撤销')").click()
    desk.wait_for_selector(".flash:has-text('已撤销')")
    assert any("确定撤销 李芳 的证书" in message for message in confirmations)
    assert desk.locator("button:has-text('更正后重新颁发')").count() == 1  # version 2 only
    _no_overflow(desk)

    # Next year's edition in two clicks.
    desk.goto(f"{base}/manage/programmes/{code}/")
    desk.click("a:has-text('复制为下一年度')")
    desk.click("button:has-text('复制')")
    desk.wait_for_selector("text=已复制为")
    copy = Programme.objects.get(code=code.replace(str(now.year), str(now.year + 1), 1))
    assert copy.year == now.year + 1 and copy.sessions.count() == 2
    _no_overflow(desk)

    assert not [url for url in visited if "/admin/" in url]
    context.close()


def test_an_online_session_with_its_material_added_on_a_phone(live_server, phone, settings, tmp_path):
    """添加课次 as 线上/自学 at 360 px: the form shows the material fields for that mode (and hides the venue),
    the PDF is uploaded, and the programme's page lists the session with its material."""
    from courses.models import Session
    from tests.factories import make_programme

    settings.MEDIA_ROOT = tmp_path
    organiser = make_organiser(make_unit())
    programme = make_programme(organiser=organiser, with_session=False, code="WL-PHONE", kind="online")
    material = tmp_path / "教师法解读.pdf"
    material.write_bytes(b"%PDF-1.4\n%%EOF\n")

    sign_in(phone, live_server.url, organiser.username)
    phone.goto(f"{live_server.url}/manage/programmes/{programme.code}/sessions/new/")
    assert phone.is_visible("#id_venue") and not phone.is_visible("#id_material_file")
    phone.select_option("#id_delivery", "online")
    assert not phone.is_visible("#id_venue") and phone.is_visible("#id_material_file")
    phone.fill("#id_title", "第一单元 教师法解读")
    phone.fill("#id_starts_at", f"{programme.start_date:%Y-%m-%d}T08:00")
    phone.fill("#id_ends_at", f"{programme.end_date:%Y-%m-%d}T22:00")
    phone.fill("#id_material_title", "《教师法》解读")
    phone.set_input_files("#id_material_file", str(material))
    _no_overflow(phone)
    phone.click("button:has-text('保存课次')")
    phone.wait_for_selector("text=已添加课次“第一单元 教师法解读”")
    assert "材料：《教师法》解读" in phone.inner_text("main")
    session = Session.objects.get(programme=programme)
    assert session.is_online and session.material_file.name.endswith(".pdf")
