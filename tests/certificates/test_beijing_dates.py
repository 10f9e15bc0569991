"""The certificate's date of issue is Beijing's; its QR points at the site the request came to."""

import datetime
import io
import subprocess

import time_machine
from django.urls import reverse
from PIL import Image

from attendance.services import checkin_record
from certificates.services import certificate_issue, completion_rule_set
from common.dates import beijing_date, date_cn, datetime_text
from courses.services import enrolment_create, session_create
from tests.conftest import require_tool
from tests.factories import make_programme, make_teacher

BEIJING = datetime.timezone(datetime.timedelta(hours=8))
ISSUED = datetime.datetime(2026, 3, 21, 1, 39, tzinfo=BEIJING)  # 2026-03-20 17:39 UTC


def test_the_helpers_give_beijing_s_day():
    utc = ISSUED.astimezone(datetime.UTC)
    assert utc.date() == datetime.date(2026, 3, 20)
    assert beijing_date(utc) == datetime.date(2026, 3, 21)
    assert date_cn(utc) == "2026年3月21日" and datetime_text(utc) == "2026-03-21 01:39"


def _issued_at_0139(organiser):
    with time_machine.travel(ISSUED - datetime.timedelta(hours=3), tick=False):
        programme = make_programme(
            organiser=organiser, title="依法执教专题讲座", with_session=False,
            start_date=datetime.date(2026, 3, 20), end_date=datetime.date(2026, 3, 21),
        )  # fmt: skip
        session = session_create(
            actor=organiser, programme=programme, title="第一讲",
            starts_at=datetime.datetime(2026, 3, 20, 22, 30, tzinfo=BEIJING),
            ends_at=datetime.datetime(2026, 3, 21, 1, 0, tzinfo=BEIJING),
        )  # fmt: skip
        completion_rule_set(actor=None, programme=programme, auto_issue=False)
        teacher = make_teacher(name="王永浩")
        enrolment_create(actor=organiser, programme=programme, teacher=teacher, source="organiser")
        checkin_record(session=session, teacher=teacher, scanned_at=session.starts_at)
    with time_machine.travel(ISSUED, tick=False):
        return certificate_issue(programme=programme, teacher=teacher, actor=organiser)


def test_pdf_issued_at_0139_beijing_prints_that_day_and_the_request_s_address(client, organiser, settings, tmp_path):
    from pdfminer.high_level import extract_text

    settings.SITE_URL = ""
    settings.ALLOWED_HOSTS = ["192.168.1.20"]
    certificate = _issued_at_0139(organiser)
    client.force_login(certificate.teacher)
    response = client.get(reverse("certificates:pdf", args=[certificate.pk]), HTTP_HOST="192.168.1.20:8101")
    text = extract_text(io.BytesIO(response.content)).replace("\n", "")
    assert "颁发日期：2026年3月21日" in text and "2026年3月20日至2026年3月21日" in text

    pdftoppm = require_tool("pdftoppm")
    (tmp_path / "c.pdf").write_bytes(response.content)
    subprocess.run([pdftoppm, "-r", "150", "-png", "-singlefile", tmp_path / "c.pdf", tmp_path / "page"], check=True)
    import zxingcpp

    decoded = [r.text for r in zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))]
    assert decoded == [f"http://192.168.1.20:8101/v/{certificate.verification_code}/"]
