"""The organiser's week in Chromium, at 1366 px and at 360 px, without ever loading a URL under /admin/:
a programme with two sessions, a quiz limited to two laws, the completion rule, a batch issue, a revocation
that asks first, a re-issue, and next year's copy. The page never gets wider than the window."""

import datetime

import pytest
from django.utils import timezone

from attendance.services import attendance_mark
from certificates.models import Certificate, CompletionRule
from courses.models import Enrolment, Programme
from courses.services import enrolment_create
from exams.models import Quiz
from tests.browser.test_journeys import add_session, create_programme_in_pages, sign_in
from tests.exams.conftest import make_bank
from tests.factories import make_organiser, make_teacher, make_unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _no_overflow(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url}: {width}px wide in a {viewport}px window"


@pytest.mark.parametrize("width,height", [(1366, 900), (360, 740)])
def test_the_organisers_week_in_the_sites_pages(live_server, browser, settings, width, height):
    base = live_server.url
    make_bank()
    organiser = make_organiser(make_unit())
    now = timezone.localtime()
    code = f"FZ{now.year}-W{width}"
    visited = []

    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    desk = context.new_page()
    desk.set_default_timeout(15_000)
    desk.on("request", lambda request: visited.append(request.url))
    confirmations = []

    def confirm(dialog):
        confirmations.append(dialog.message)
        dialog.accept()

    desk.on("dialog", confirm)
    sign_in(desk, base, organiser.username)
    assert "/admin/" not in desk.content()

    # A programme and two sessions, each save back on the programme's page.
    create_programme_in_pages(desk, base, code=code, title="法治政府建设专题培训讲座", now=now, days=2)
    _no_overflow(desk)
    day = now.date() + datetime.timedelta(days=1)
    for title, hour in (("第一讲 宪法与教育法", 9), ("第二讲 未成年人保护法", 14)):
        start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))
        add_session(desk, base, code, title, start, start + datetime.timedelta(hours=2))
    _no_overflow(desk)
    programme = Programme.objects.get(code=code)
    assert programme.year == now.year and programme.sessions.count() == 2

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

    # Two teachers attended (recorded through the services), then the batch issue.
    teachers = [make_teacher(name=name) for name in ("王永浩", "李芳")]
    for teacher in teachers:
        enrolment_create(actor=organiser, programme=programme, teacher=teacher, source="organiser")
        for session in programme.sessions.all():
            attendance_mark(actor=organiser, session=session, teacher=teacher, status="present")
    desk.goto(f"{base}/certificates/programmes/{code}/")
    desk.click("button:has-text('为已完成的学员批量颁发')")
    for _ in range(50):
        if Certificate.objects.filter(programme=programme).count() == 2:
            break
        desk.wait_for_timeout(200)
    assert Certificate.objects.filter(programme=programme, status="valid").count() == 2

    # Revoke asks first; re-issue makes version 2; the revoked version offers nothing.
    desk.goto(f"{base}/certificates/programmes/{code}/")
    first = Certificate.objects.get(programme=programme, teacher=teachers[0])
    card = desk.locator(".card", has_text="王永浩").first
    card.locator("input[name=reason]").fill("姓名有误")
    card.locator("button:has-text('更正后重新颁发')").click()
    desk.wait_for_selector(".flash:has-text('已重新颁发')")
    assert any("将撤销 王永浩 的证书" in message for message in confirmations)
    assert Certificate.objects.get(pk=first.pk).status == "revoked"
    second = Certificate.objects.get(programme=programme, teacher=teachers[0], status="valid")
    assert second.version == 2

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


@pytest.mark.parametrize("way", ["whole list again", "valid rows now"])
def test_a_roster_with_an_error_row_either_way(live_server, phone, tmp_path, way):
    from tests.factories import make_programme, valid_id_number
    from tests.rosters import roster_bytes

    organiser = make_organiser(make_unit())
    programme = make_programme(organiser=organiser, title="法治政府建设专题培训讲座")
    ids = [valid_id_number(n) for n in (741, 742, 743)]
    wrong = ids[2][:-1] + ("0" if ids[2][-1] != "0" else "1")

    def roster(third, name):
        path = tmp_path / name
        path.write_bytes(
            roster_bytes(
                [
                    ["王永浩", ids[0], "13911114440", "许昌市第一中学", "魏都区"],
                    ["李芳", ids[1], "13911114441", "许昌市第一中学", "魏都区"],
                    ["赵敏", third, "13911114442", "许昌高级中学", "魏都区"],
                ]
            )
        )
        return str(path)

    sign_in(phone, live_server.url, organiser.username)
    phone.goto(f"{live_server.url}/manage/programmes/{programme.code}/roster/")
    phone.set_input_files("input[name=file]", roster(wrong, "名单.xlsx"))
    phone.click("main button[type=submit]")
    phone.wait_for_selector("#roster-choice")
    assert "其中 1 行有错误、2 行无误。现在还没有导入任何数据" in phone.inner_text("#roster-choice")
    assert not Enrolment.objects.exists()
    if way == "valid rows now":
        phone.click("button:has-text('只导入无误的 2 行')")
        phone.wait_for_selector(".flash:has-text('有错误的 1 行没有导入')")
        assert Enrolment.objects.filter(programme=programme).count() == 2
        phone.goto(f"{live_server.url}/manage/programmes/{programme.code}/roster/")
    else:
        phone.click("a:has-text('重新上传完整名单')")
    phone.set_input_files("input[name=file]", roster(ids[2], "改好的名单.xlsx"))
    phone.click("main button[type=submit]")
    phone.wait_for_selector("h1:has-text('名单预览')")
    assert phone.inner_text("#count-errors") == "0"
    assert phone.inner_text("#count-new") == ("1" if way == "valid rows now" else "3")
    phone.click("button:has-text('确认导入')")
    phone.wait_for_selector("text=导入完成")
    assert Enrolment.objects.filter(programme=programme).count() == 3
