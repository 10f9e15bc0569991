"""The PDF, the public verification page and API, the organiser's batch jobs and the ledger."""

import io
import subprocess
import zipfile

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from PIL import Image
from rest_framework.test import APIClient

from certificates.models import Certificate, CertificateJob
from certificates.pdf import verification_url
from certificates.services import certificate_issue, certificate_revoke
from tests.certificates.conftest import attend, enrol
from tests.conftest import require_tool


@pytest.fixture
def issued(course, organiser):
    teacher = enrol(course, organiser)
    attend(course, teacher)
    return certificate_issue(programme=course, teacher=teacher, actor=organiser)


def test_pdf_text_and_qr(client, issued, tmp_path):
    from pdfminer.high_level import extract_text

    client.force_login(issued.teacher)
    response = client.get(reverse("certificates:pdf", args=[issued.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert len(pdf) < 100 * 1024
    text = extract_text(io.BytesIO(pdf)).replace("\n", "")
    for expected in ("王永浩", "法治政府建设专题培训", issued.serial, "许昌市教育局", "结 业 证 书"):
        assert expected in text, expected
    assert issued.teacher.id_number not in text
    pdftoppm = require_tool("pdftoppm")
    (tmp_path / "c.pdf").write_bytes(pdf)
    subprocess.run(
        [pdftoppm, "-r", "150", "-png", "-singlefile", str(tmp_path / "c.pdf"), str(tmp_path / "page")], check=True
    )
    import zxingcpp

    decoded = [result.text for result in zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))]
    assert decoded == [verification_url(issued, site="http://testserver")]  # the request's address


def test_another_teacher_cannot_download(client, issued, other_teacher, other_organiser):
    client.force_login(other_teacher)
    assert client.get(reverse("certificates:pdf", args=[issued.pk])).status_code == 404
    client.force_login(other_organiser)
    assert client.get(reverse("certificates:pdf", args=[issued.pk])).status_code == 404


def test_verification_page_valid_revoked_unknown(client, issued, organiser):
    url = reverse("certificates:verify_code", args=[issued.verification_code])
    page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200 and "有效" in body and "王*浩" in body and issued.serial in body
    assert page["X-Robots-Tag"].startswith("noindex") and 'name="robots" content="noindex' in body
    teacher = issued.teacher
    for secret in (teacher.id_number, teacher.mobile, teacher.school, teacher.masked_id_number, "王永浩"):
        assert secret not in body, secret
    by_serial = client.get(reverse("certificates:verify"), {"q": f"{issued.serial_year}-{issued.serial_number}"})
    assert by_serial.status_code == 200 and issued.serial in by_serial.content.decode()
    certificate_revoke(certificate=issued, actor=organiser, reason="误发")
    revoked = client.get(url).content.decode()
    assert "已撤销" in revoked
    assert client.get(reverse("certificates:verify_code", args=["0" * 32])).status_code == 404
    assert client.get(reverse("certificates:verify"), {"q": "胡乱输入"}).status_code == 404


def test_verification_is_rate_limited(client, issued, settings):
    settings.VERIFY_RATE_PER_MINUTE = 3
    url = reverse("certificates:verify_code", args=["f" * 32])
    statuses = [client.get(url).status_code for _ in range(5)]
    assert statuses == [404, 404, 404, 429, 429]


def test_public_api_throttle_is_not_reset_by_a_rotated_x_forwarded_for(db):
    """Attack 5: DRF trusted X-Forwarded-For (no NUM_PROXIES), so a new header per request listed
    every certificate by its sequential serial. With no trusted proxy (the default) it is ignored."""
    from django.core.cache import cache

    cache.clear()
    api = APIClient()
    url = reverse("public_verify", args=["许教培〔2021〕第0001号"])
    statuses = [api.get(url, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code for n in range(31)]
    assert statuses == [404] * 30 + [429]
    # Another client (another REMOTE_ADDR) still has its own allowance.
    assert api.get(url, REMOTE_ADDR="198.51.100.7").status_code == 404


def test_behind_one_trusted_proxy_the_forwarded_client_is_the_key_for_the_api_and_the_page(db, settings):
    from django.core.cache import cache

    cache.clear()
    settings.TRUSTED_PROXY_COUNT = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    settings.VERIFY_RATE_PER_MINUTE = 2
    api = APIClient()
    url = reverse("public_verify", args=["许教培〔2021〕第0001号"])
    # The proxy (REMOTE_ADDR 10.0.0.1) appends the address it saw; what the client sent before it is not trusted.
    spoofed = [api.get(url, HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.5", REMOTE_ADDR="10.0.0.1") for n in range(31)]
    assert [r.status_code for r in spoofed] == [404] * 30 + [429]
    assert api.get(url, HTTP_X_FORWARDED_FOR="203.0.113.6", REMOTE_ADDR="10.0.0.1").status_code == 404
    page = reverse("certificates:verify_code", args=["f" * 32])
    pages = [api.get(page, HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.5", REMOTE_ADDR="10.0.0.1") for n in range(3)]
    assert [r.status_code for r in pages] == [404, 404, 429]
    assert api.get(page, HTTP_X_FORWARDED_FOR="203.0.113.6", REMOTE_ADDR="10.0.0.1").status_code == 404


def test_public_api_200_410_404_without_personal_data(issued, organiser):
    api = APIClient()
    response = api.get(f"/api/public/certificates/{issued.verification_code}/")
    assert (
        response.status_code == 200 and response.json()["status"] == "valid" and response.json()["trainee"] == "王*浩"
    )
    body = response.content.decode()
    for secret in (issued.teacher.id_number, issued.teacher.mobile, issued.teacher.school):
        assert secret not in body
    certificate_revoke(certificate=issued, actor=organiser, reason="误发")
    assert api.get(f"/api/public/certificates/{issued.verification_code}/").status_code == 410
    assert api.get("/api/public/certificates/nonsense/").status_code == 404


def test_teacher_sees_own_hours_and_programme_panel(client, course, issued):
    client.force_login(issued.teacher)
    page = client.get(reverse("certificates:mine")).content.decode()
    assert issued.serial in page and "3 学时" in page.replace("</span>", "")
    panel = client.get(reverse("courses:programme_detail", args=[course.code])).content.decode()
    assert "已结业" in panel and issued.serial in panel


def test_programme_page_explains_what_is_missing(client, course, organiser):
    teacher = enrol(course, organiser)
    attend(course, teacher, [course.sessions.order_by("starts_at").first()])
    client.force_login(teacher)
    panel = client.get(reverse("courses:programme_detail", args=[course.code])).content.decode()
    assert "还差：第2次课（第二讲）签到" in panel


def test_batch_issue_and_zip_jobs(client, course, organiser, django_capture_on_commit_callbacks):
    teachers = [enrol(course, organiser, name=f"学员{i}") for i in range(3)]
    for teacher in teachers[:2]:
        attend(course, teacher)
    client.force_login(organiser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("certificates:job_create", args=[course.code]), {"kind": "issue"})
    job = CertificateJob.objects.get()
    assert response["Location"] == reverse("certificates:job", args=[job.pk])
    status = client.get(reverse("certificates:job", args=[job.pk]), {"format": "json"}).json()
    assert status["status"] == "done" and status["total"] == 2 and status["percent"] == 100
    assert set(Certificate.objects.values_list("teacher_id", flat=True)) == {t.pk for t in teachers[:2]}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("certificates:job_create", args=[course.code]), {"kind": "zip"})
    zip_job = CertificateJob.objects.filter(kind="zip").get()
    download = client.get(reverse("certificates:job_download", args=[zip_job.pk]))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert len(archive.namelist()) == 2 and all(name.endswith(".pdf") for name in archive.namelist())


def test_zip_entry_names_are_safe_file_names_whatever_the_trainee_is_called(
    client, course, organiser, django_capture_on_commit_callbacks
):
    """Attack 6: ZIP entries were named from trainee names as typed, so ../../x.pdf left the folder."""
    for name in ("../../x", "..\\..\\evil", "C:王/永:浩"):
        attend(course, enrol(course, organiser, name=name))
    client.force_login(organiser)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("certificates:job_create", args=[course.code]), {"kind": "issue"})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("certificates:job_create", args=[course.code]), {"kind": "zip"})
    zip_job = CertificateJob.objects.filter(kind="zip").get()
    download = client.get(reverse("certificates:job_download", args=[zip_job.pk]))
    names = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content))).namelist()
    assert len(names) == 3
    for name in names:
        assert "/" not in name and "\\" not in name and ":" not in name and ".." not in name, name
        assert name.endswith(".pdf") and not name.startswith(".")
    assert any(name.endswith("-C_王_永_浩.pdf") for name in names), names


def test_bureau_cannot_issue_or_revoke(client, issued, bureau, course):
    client.force_login(bureau)
    assert client.get(reverse("certificates:programme", args=[course.code])).status_code == 200
    assert client.post(reverse("certificates:job_create", args=[course.code]), {"kind": "issue"}).status_code == 403
    client.post(reverse("certificates:revoke", args=[issued.pk]), {"reason": "x"})
    issued.refresh_from_db()
    assert issued.is_valid
    api = APIClient()
    api.force_authenticate(bureau)
    assert api.post(f"/api/certificates/{issued.pk}/revoke/", {"reason": "x"}, format="json").status_code == 403
    assert (
        api.post(
            "/api/certificates/issue/", {"programme": course.code, "teacher": issued.teacher_id}, format="json"
        ).status_code
        == 403
    )


def test_api_issue_refusals_and_revoke_twice(course, organiser, issued):
    api = APIClient()
    api.force_authenticate(organiser)
    not_done = enrol(course, organiser, name="李明")
    response = api.post("/api/certificates/issue/", {"programme": course.code, "teacher": not_done.pk}, format="json")
    assert response.status_code == 400 and "尚未完成培训" in str(response.json())
    again = api.post(
        "/api/certificates/issue/", {"programme": course.code, "teacher": issued.teacher_id}, format="json"
    )
    assert again.status_code == 400
    assert api.post(f"/api/certificates/{issued.pk}/revoke/", {"reason": "误发"}, format="json").status_code == 200
    assert api.post(f"/api/certificates/{issued.pk}/revoke/", {"reason": "误发"}, format="json").status_code == 400
    teacher_api = APIClient()
    teacher_api.force_authenticate(issued.teacher)
    assert teacher_api.get("/api/certificates/credit-hours/").json() == []


def test_ledger_export_masked(client, issued, organiser):
    client.force_login(organiser)
    response = client.get(reverse("certificates:ledger_export"), {"year": issued.programme.year})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("年度", "姓名", "身份证号")
    assert rows[1][1] == "王永浩" and rows[1][2] == issued.teacher.masked_id_number and rows[1][-1] == 3.0
