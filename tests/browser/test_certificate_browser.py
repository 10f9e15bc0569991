"""A teacher who completed downloads the certificate; its QR's page says 有效, then 已撤销."""

import datetime

import pytest
from django.utils import timezone

from certificates.pdf import verification_url
from certificates.services import certificate_issue, certificate_revoke, completion_rule_set
from tests.certificates.conftest import attend, enrol
from tests.factories import PASSWORD, make_organiser, make_programme, make_unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_download_then_verify_valid_then_revoked(live_server, phone, settings, tmp_path):
    settings.SITE_URL = live_server.url
    organiser = make_organiser(make_unit())
    today = timezone.localdate()
    programme = make_programme(
        organiser=organiser,
        title="法治政府建设专题培训讲座",
        start_date=today,
        end_date=today + datetime.timedelta(days=1),
    )
    completion_rule_set(actor=None, programme=programme, auto_issue=False)
    teacher = enrol(programme, organiser)
    attend(programme, teacher)
    certificate = certificate_issue(programme=programme, teacher=teacher, actor=organiser)

    phone.goto(f"{live_server.url}/accounts/login/?next=/certificates/")
    phone.fill("input[name=username]", teacher.mobile)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("main button[type=submit]")
    phone.wait_for_selector("h1:has-text('我的证书与学时')")
    with phone.expect_download() as download_info:
        phone.click("a:has-text('下载证书')")
    path = tmp_path / "certificate.pdf"
    download_info.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF")

    public = phone.context.browser.new_context(viewport={"width": 360, "height": 740}).new_page()
    public.goto(verification_url(certificate))
    assert public.inner_text("#verify-result").startswith("有效")
    assert "王*浩" in public.inner_text("main") and teacher.id_number not in public.content()
    certificate_revoke(certificate=certificate, actor=organiser, reason="误发")
    public.reload()
    assert "已撤销" in public.inner_text("#verify-result")
    public.context.close()
