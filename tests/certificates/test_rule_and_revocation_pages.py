"""The 结业与证书 page: the completion rule set in the site's page (completion_rule_set), revocation asking
first, a re-issued certificate printing its version, revoked versions offering no re-issue."""

import io

import pytest
from django.urls import reverse

from certificates.models import Certificate, CompletionRule
from certificates.services import certificate_issue, certificate_reissue
from tests.certificates.conftest import attend, enrol


@pytest.fixture
def issued(course, organiser):
    teacher = enrol(course, organiser)
    attend(course, teacher)
    return certificate_issue(programme=course, teacher=teacher, actor=organiser)


def test_the_completion_rule_is_set_on_the_programmes_page(client, course, organiser):
    client.force_login(organiser)
    page = client.get(reverse("certificates:programme", args=[course.code])).content.decode()
    assert reverse("certificates:rule", args=[course.code]) in page and "/admin/" not in page
    response = client.post(
        reverse("certificates:rule", args=[course.code]),
        {"attendance_mode": "ratio", "attendance_ratio": "50", "minimum_minutes": "0", "auto_issue": "on"},
        follow=True,
    )
    assert "已保存结业规则：出勤率不低于50%。" in response.content.decode()
    rule = CompletionRule.objects.get(programme=course)
    assert (rule.attendance_mode, rule.attendance_ratio, rule.quiz_required) == ("ratio", 50, False)


def test_a_ratio_over_100_is_refused_and_nothing_changes(client, course, organiser):
    client.force_login(organiser)
    page = client.post(
        reverse("certificates:rule", args=[course.code]),
        {"attendance_mode": "ratio", "attendance_ratio": "150", "minimum_minutes": "0"},
    ).content.decode()
    assert "出勤率应为 1 到 100 之间的百分数，现在是 150。" in page
    assert CompletionRule.objects.get(programme=course).attendance_mode == "all"


def test_bureau_and_another_unit_cannot_set_the_rule(client, course, bureau, other_organiser):
    for user in (bureau, other_organiser):
        client.force_login(user)
        assert client.post(
            reverse("certificates:rule", args=[course.code]), {"attendance_mode": "ratio"}
        ).status_code in (
            403,
            404,
        )
    assert CompletionRule.objects.get(programme=course).attendance_mode == "all"


def test_revoking_asks_first_and_revoked_versions_offer_no_reissue(client, issued, organiser):
    client.force_login(organiser)
    page = client.get(reverse("certificates:programme", args=[issued.programme.code])).content.decode()
    assert f'data-confirm="确定撤销 王永浩 的证书 {issued.serial}' in page
    second = certificate_reissue(certificate=issued, actor=organiser, reason="姓名更正")
    page = client.get(reverse("certificates:programme", args=[issued.programme.code])).content.decode()
    assert page.count("更正后重新颁发</button>") == 1  # only the valid version 2
    assert f'action="{reverse("certificates:revoke", args=[issued.pk])}"' not in page
    assert f'action="{reverse("certificates:revoke", args=[second.pk])}"' in page


def test_the_bureau_is_not_asked_to_confirm_a_revocation(client, issued, bureau):
    client.force_login(bureau)
    refused = client.post(reverse("certificates:revoke", args=[issued.pk]), {"action": "revoke", "reason": "误发"})
    assert refused.status_code == 403 and "只有项目所属单位的组织者可以撤销证书。" in refused.content.decode()


def test_without_the_dialog_the_server_asks_before_it_revokes(client, issued, organiser):
    """A form sent without the button's confirmation (no script, a replayed request) revokes nothing: the server
    shows what will happen and asks again; the confirmed form then revokes, or revokes and re-issues."""
    client.force_login(organiser)
    url = reverse("certificates:revoke", args=[issued.pk])
    page = client.post(url, {"action": "revoke", "reason": "误发"}).content.decode()
    assert "确认撤销证书" in page and "撤销后，公开查验显示“已撤销”" in page and 'value="误发"' in page
    issued.refresh_from_db()
    assert issued.is_valid

    page = client.post(url, {"action": "reissue", "reason": "姓名更正"}).content.decode()
    assert f"以同一编号 {issued.serial} 颁发第 2 版" in page
    assert Certificate.objects.filter(programme=issued.programme).count() == 1

    response = client.post(url, {"action": "revoke", "reason": "", "confirmed": "1"}, follow=True)
    assert "请填写撤销原因。" in response.content.decode()
    issued.refresh_from_db()
    assert issued.is_valid
    response = client.post(url, {"action": "revoke", "reason": "误发", "confirmed": "1"}, follow=True)
    assert f"已撤销 {issued.serial}。" in response.content.decode()
    issued.refresh_from_db()
    assert issued.status == "revoked" and issued.revoke_reason == "误发"
    page = client.post(url, {"action": "revoke", "reason": "误发"}).content.decode()
    assert "这份证书现在是“已撤销”，无需再操作。" in page


def test_a_reissued_pdf_prints_its_version(client, issued, organiser):
    from pdfminer.high_level import extract_text

    second = certificate_reissue(certificate=issued, actor=organiser, reason="姓名更正")
    client.force_login(organiser)
    text = extract_text(io.BytesIO(client.get(reverse("certificates:pdf", args=[second.pk])).content))
    assert f"{second.serial}（第2版）" in text.replace("\n", "")


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (60, 60), (200, 0, 0, 180)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_units_issuer_signatory_and_seal_are_printed(client, issued, organiser):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from pdfminer.high_level import extract_text

    from certificates.models import CertificateStyle

    client.force_login(organiser)
    url = reverse("certificates:style", args=[issued.programme.code])
    refused = client.post(
        url, {"issuer": "许昌市教育局", "seal": SimpleUploadedFile("公章.jpg", b"\xff\xd8\xff not a png")}
    ).content.decode()
    assert "公章图片须为 PNG 格式（建议透明背景），请另存为 .png 后再上传。" in refused
    assert not CertificateStyle.objects.exists()

    response = client.post(
        url,
        {
            "issuer": "许昌市教育局（政策法规科）",
            "signatory": "局长 王某某",
            "seal": SimpleUploadedFile("公章.png", _png()),
        },
        follow=True,
    )
    assert "的证书样式" in response.content.decode()
    pdf = client.get(reverse("certificates:pdf", args=[issued.pk])).content
    text = extract_text(io.BytesIO(pdf)).replace("\n", "")
    assert "许昌市教育局（政策法规科）" in text and "局长 王某某" in text
    assert b"/Subtype /Image" in pdf


def test_the_certificate_list_is_paged_searched_and_a_revocation_returns_to_the_same_page(client, course, organiser):
    """246 certificates were one 40,000 px page: now 30 a page, found by name or serial, filtered by status."""
    teachers = [enrol(course, organiser, name=f"学员{i:02d}") for i in range(35)]
    for teacher in teachers:
        attend(course, teacher)
        certificate_issue(programme=course, teacher=teacher, actor=organiser)
    client.force_login(organiser)
    url = reverse("certificates:programme", args=[course.code])
    first = client.get(url)
    assert first.context["page"].paginator.count == 35 and len(first.context["page"]) == 30
    assert "第 1 / 2 页" in first.content.decode()

    found = client.get(url, {"q": "学员07"}).content.decode()
    assert "证书（1 份，已筛选）" in found and "学员07" in found and "学员08" not in found
    serial = Certificate.objects.get(teacher=teachers[8]).serial
    assert "学员08" in client.get(url, {"q": serial}).content.decode()

    target = Certificate.objects.get(teacher=teachers[0])  # the oldest: on page 2
    response = client.post(
        reverse("certificates:revoke", args=[target.pk]),
        {"action": "revoke", "reason": "误发", "confirmed": "1", "page": "2"},
    )
    assert response.status_code == 302 and response["Location"].endswith("?page=2")
    asked = client.post(
        reverse("certificates:revoke", args=[target.pk]), {"action": "revoke", "reason": "误发", "page": "2"}
    )
    assert f'href="{url}?page=2">返回' in asked.content.decode()
    revoked = client.get(url, {"status": "revoked"}).content.decode()
    assert "证书（1 份，已筛选）" in revoked and "学员00" in revoked
    assert "没有符合条件的证书。" in client.get(url, {"q": "无此人"}).content.decode()
