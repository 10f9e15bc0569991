"""The organiser's projector shows a QR; a signed-out teacher on a phone scans it, signs in, and is checked in."""

import datetime

import pytest
from django.utils import timezone

from courses.services import enrolment_create, session_create
from tests.factories import PASSWORD, make_organiser, make_programme, make_teacher, make_unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_projector_qr_to_phone_check_in_and_the_count_goes_up(live_server, browser, phone):
    organiser = make_organiser(make_unit())
    today = timezone.localdate()
    programme = make_programme(
        organiser=organiser, with_session=False, start_date=today, end_date=today + datetime.timedelta(days=1)
    )
    start = timezone.now() + datetime.timedelta(minutes=5)
    session = session_create(
        actor=organiser,
        programme=programme,
        title="法治政府建设专题讲座",
        starts_at=start,
        ends_at=start + datetime.timedelta(hours=2),
        venue="市教育局会议室",
    )
    teacher = make_teacher(name="王永浩")
    enrolment_create(actor=organiser, programme=programme, teacher=teacher, source="organiser")

    projector = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
    projector.goto(f"{live_server.url}/accounts/login/")
    projector.fill("input[name=username]", organiser.username)
    projector.fill("input[name=password]", PASSWORD)
    projector.click("main button[type=submit]")
    projector.goto(f"{live_server.url}/attendance/sessions/{session.pk}/projector/")
    projector.wait_for_selector("#qr svg")
    assert projector.inner_text("#checked-in") == "0"
    url = projector.get_attribute("#qr", "data-checkin-url")
    assert "/a/" in url

    phone.goto(url)
    assert "/accounts/login/" in phone.url
    phone.fill("input[name=username]", teacher.mobile)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("main button[type=submit]")
    phone.wait_for_selector("#checkin-result")
    assert "签到成功" in phone.inner_text("#checkin-result")
    assert "法治政府建设专题讲座" in phone.inner_text("#checkin-result")

    projector.wait_for_function("document.getElementById('checked-in').textContent === '1'", timeout=10_000)
    assert "王永浩" in projector.inner_text("#latest")
    projector.context.close()
