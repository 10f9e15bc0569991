"""The bureau opens the dashboard with the demo data: the 2021 headline, the charts, on a phone and a projector."""

import io
import os

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_bureau_dashboard_with_demo_data(live_server, browser):
    for command in ("seed_demo", "seed_exams", "seed_activity"):
        call_command(command, stdout=io.StringIO())
    os.makedirs("test-artifacts", exist_ok=True)
    for name, viewport in (
        ("dashboard-phone", {"width": 360, "height": 740}),
        ("dashboard", {"width": 1280, "height": 900}),
    ):
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", "bureau")
        page.fill("input[name=password]", "xuchang2021")
        page.click("main button[type=submit]")
        page.goto(f"{live_server.url}/reports/?year=2021")
        page.wait_for_function("typeof Chart !== 'undefined' && Chart.getChart('chart-trend') !== undefined")
        teachers = int(page.inner_text("#k-teachers"))
        assert teachers > 3000
        assert "全年累计培训教师" in page.inner_text("#headline")
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.screenshot(path=f"test-artifacts/{name}.png")
        context.close()
