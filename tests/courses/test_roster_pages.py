"""Roster import and export through the organiser's pages and the API."""

import datetime
import io
import logging

from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accounts.models import User
from courses.models import Enrolment
from courses.services import enrolment_create
from tests.factories import make_programme, make_teacher, valid_id_number
from tests.rosters import roster_bytes

ID1, ID2 = valid_id_number(801), valid_id_number(802)
BAD = ID2[:-1] + ("0" if ID2[-1] != "0" else "1")


def _upload(client, programme, data, name="名单.xlsx"):
    return client.post(
        reverse("courses:roster_upload", args=[programme.code]),
        {"file": SimpleUploadedFile(name, data)},
    )


def test_upload_preview_error_rows_fix_and_import(client, organiser, programme):
    client.force_login(organiser)
    bad = roster_bytes(
        [["甲", ID1, "13911110000", "学校", "魏都区"], ["乙", BAD, "13911110001", "学校", "魏都区"]],
        title_rows=["2021年名单"],
    )
    preview = _upload(client, programme, bad)
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "第4行" in page and "校验位" in page
    assert "确认导入" not in page
    token = preview.context["token"]

    # Confirming a file with errors is refused and writes nothing.
    refused = client.post(reverse("courses:roster_confirm", args=[programme.code]), {"token": token})
    assert refused.status_code == 400
    assert not Enrolment.objects.exists()

    errors = client.get(reverse("courses:roster_errors", args=[programme.code, token]))
    assert errors.status_code == 200
    sheet = load_workbook(io.BytesIO(errors.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-2:] == ("错误原因", "原行号")
    assert rows[1][0] == "乙" and rows[1][1] == BAD and "校验位" in rows[1][-2] and rows[1][-1] == 4

    fixed = roster_bytes([["甲", ID1, "13911110000", "学校", "魏都区"], ["乙", ID2, "13911110001", "学校", "魏都区"]])
    preview = _upload(client, programme, fixed)
    assert "确认导入" in preview.content.decode()
    done = client.post(
        reverse("courses:roster_confirm", args=[programme.code]), {"token": preview.context["token"]}, follow=True
    )
    assert "导入完成：新增 2 人" in done.content.decode()
    assert Enrolment.objects.filter(programme=programme, source="import").count() == 2

    again = _upload(client, programme, fixed)
    assert again.context["summary"]["unchanged"] == 2
    same = client.post(
        reverse("courses:roster_confirm", args=[programme.code]), {"token": again.context["token"]}, follow=True
    )
    assert "没有写入任何内容" in same.content.decode()


def test_refused_files_get_a_clear_page(client, organiser, programme):
    client.force_login(organiser)
    response = _upload(client, programme, b"name,id\n", name="名单.csv")
    assert response.status_code == 400
    assert "只支持 .xlsx" in response.content.decode()


def test_token_of_another_upload_or_programme_is_404(client, organiser, programme):
    client.force_login(organiser)
    assert client.post(reverse("courses:roster_confirm", args=[programme.code]), {"token": "nope"}).status_code == 404


def test_teacher_and_bureau_cannot_import(client, teacher, bureau, programme):
    client.force_login(teacher)
    assert _upload(client, programme, roster_bytes([["甲", ID1]])).status_code in (403, 404)
    client.force_login(bureau)
    assert _upload(client, programme, roster_bytes([["甲", ID1]])).status_code == 403
    assert not User.objects.filter(id_number=ID1).exists()


def test_export_masks_ids_and_neutralises_formulas(client, organiser, programme):
    teacher = make_teacher(name='=HYPERLINK("http://x")', school="+SUM(A1)", subject="-1", title="@cmd")
    enrolment_create(actor=organiser, programme=programme, teacher=teacher, source="organiser")
    client.force_login(organiser)
    response = client.get(reverse("courses:roster_export", args=[programme.code]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    header, row = list(sheet.iter_rows(values_only=True))[:2]
    assert header[:2] == ("姓名", "身份证号")
    assert row[1] == teacher.masked_id_number and teacher.id_number not in str(row)
    assert row[0] == '\'=HYPERLINK("http://x")'
    assert row[3] == "'+SUM(A1)" and row[5] == "'-1" and row[6] == "'@cmd"
    for cell in sheet[2]:
        assert cell.data_type != "f"


def test_bureau_export_masks_mobiles_too(client, organiser, programme, bureau):
    """Attack 3's spirit: the bureau reads no more personal data than a report needs."""
    teacher = make_teacher(mobile="13912345678")
    enrolment_create(actor=organiser, programme=programme, teacher=teacher, source="organiser")
    rows = {}
    for user in (organiser, bureau):
        client.force_login(user)
        response = client.get(reverse("courses:roster_export", args=[programme.code]))
        rows[user] = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))[1]
    assert rows[organiser][2] == "13912345678"
    assert rows[bureau][2] == "139****5678" and "13912345678" not in str(rows[bureau])


def test_full_id_export_needs_permission_and_is_logged(client, organiser, programme, caplog):
    teacher = make_teacher()
    enrolment_create(actor=organiser, programme=programme, teacher=teacher, source="organiser")
    client.force_login(organiser)
    url = reverse("courses:roster_export", args=[programme.code]) + "?full_id=1"
    assert client.get(url).status_code == 403
    organiser.user_permissions.add(Permission.objects.get(codename="export_full_id_number"))
    organiser = User.objects.get(pk=organiser.pk)
    client.force_login(organiser)
    with caplog.at_level(logging.WARNING, logger="training.exports"):
        response = client.get(url)
    assert response.status_code == 200
    row = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))[1]
    assert row[1] == teacher.id_number
    assert "完整身份证号导出" in caplog.text and teacher.id_number not in caplog.text


def test_api_preview_and_commit(organiser, programme):
    api = APIClient()
    api.force_authenticate(organiser)
    bad = roster_bytes([["甲", ID1, "13911110000", "学校", "魏都区"], ["乙", BAD, "", "", ""]])
    url = f"/api/rosters/{programme.code}/"
    preview = api.post(url + "preview/", {"file": SimpleUploadedFile("a.xlsx", bad)}, format="multipart")
    assert preview.status_code == 200
    assert preview.json()["new"] == 1 and preview.json()["errors"][0]["row"] == 3
    commit = api.post(url + "commit/", {"file": SimpleUploadedFile("a.xlsx", bad)}, format="multipart")
    assert commit.status_code == 400 and commit.json()["committed"] is False
    assert not Enrolment.objects.exists()
    good = roster_bytes([["甲", ID1, "13911110000", "学校", "魏都区"]])
    commit = api.post(url + "commit/", {"file": SimpleUploadedFile("a.xlsx", good)}, format="multipart")
    assert commit.status_code == 200 and commit.json()["new"] == 1 and commit.json()["committed"] is True
    refused = api.post(url + "preview/", {"file": SimpleUploadedFile("a.csv", b"x")}, format="multipart")
    # A file refused as a whole answers the documented RosterResult, not {"file": [...]} (issue 14).
    assert refused.status_code == 400 and refused.json()["committed"] is False
    assert [(e["row"], e["column"]) for e in refused.json()["errors"]] == [(None, "")]
    assert "只支持 .xlsx" in refused.json()["errors"][0]["message"]
    missing = api.post(url + "preview/", {}, format="multipart")
    assert missing.status_code == 400 and "file" in missing.json()["errors"][0]["message"]


def test_api_roster_scoped_by_role(bureau, other_organiser, programme):
    data = roster_bytes([["甲", ID1]])
    api = APIClient()
    api.force_authenticate(other_organiser)
    assert (
        api.post(
            f"/api/rosters/{programme.code}/preview/", {"file": SimpleUploadedFile("a.xlsx", data)}, format="multipart"
        ).status_code
        == 404
    )
    api.force_authenticate(bureau)
    assert (
        api.post(
            f"/api/rosters/{programme.code}/commit/", {"file": SimpleUploadedFile("a.xlsx", data)}, format="multipart"
        ).status_code
        == 403
    )
    assert not User.objects.filter(id_number=ID1).exists()


def test_another_units_roster_cannot_claim_an_unclaimed_teachers_account(client, other_organiser):
    """Attack 2: organiser2 imports an existing (never signed-in) teacher's ID with a mobile of their
    own; the preview used to say 0 updated while the commit rewrote the mobile, and first sign-in
    with the ID and that mobile then signed the organiser in as the teacher."""
    victim = make_teacher(name="王永浩", id_number=ID1, mobile="13900000002", school="许昌市第一中学", password=None)
    theirs = make_programme(organiser=other_organiser)
    client.force_login(other_organiser)
    data = roster_bytes([["王永浩", ID1, "13955556666", "许昌高级中学", "建安区"]])
    preview = _upload(client, theirs, data)
    page = preview.content.decode()
    assert preview.status_code == 200
    assert [(d["column"], d["message"][:12]) for d in preview.context["summary"]["differences"]] == [
        ("手机", "与系统中该教师的记录不同"), ("学校", "与系统中该教师的记录不同"), ("区县", "与系统中该教师的记录不同"),
    ]  # fmt: skip
    assert "与系统中该教师的记录不同" in page and "139****6666" in page
    assert "13900000002" not in page and "139****0002" not in page and "许昌市第一中学" not in page  # nothing of theirs
    assert "本次导入不会修改" in page

    done = client.post(
        reverse("courses:roster_confirm", args=[theirs.code]), {"token": preview.context["token"]}, follow=True
    )
    assert "导入完成：新增 1 人" in done.content.decode()
    victim.refresh_from_db()
    assert (victim.mobile, victim.school, victim.district) == ("13900000002", "许昌市第一中学", "魏都区")

    client.logout()
    claim = client.post(reverse("accounts:first_login"), {"id_number": ID1, "mobile": "13955556666"})
    assert claim.status_code == 200 and "未找到可首次登录的账号" in claim.content.decode()
    assert "_auth_user_id" not in client.session


def test_an_unconfirmed_upload_is_removed_on_cancel_and_by_the_cleanup_command(client, organiser, programme):
    """Attack 6: a previewed roster that was never confirmed stayed under media/roster-uploads/ for ever."""
    import time_machine
    from django.core.files.storage import default_storage
    from django.core.management import call_command

    client.force_login(organiser)
    data = roster_bytes([["甲", ID1, "13911110000", "学校", "魏都区"]])
    token = _upload(client, programme, data).context["token"]
    assert default_storage.exists(f"roster-uploads/{token}.xlsx")
    cancelled = client.post(reverse("courses:roster_cancel", args=[programme.code]), {"token": token}, follow=True)
    assert "已取消导入，上传的名单文件已删除" in cancelled.content.decode()
    assert not default_storage.exists(f"roster-uploads/{token}.xlsx")
    assert not Enrolment.objects.exists()

    kept = _upload(client, programme, data).context["token"]
    out = io.StringIO()
    call_command("clean_uploads", stdout=out)  # fresh: within the retention time
    assert default_storage.exists(f"roster-uploads/{kept}.xlsx")
    with time_machine.travel(datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(hours=3)):
        call_command("clean_uploads", stdout=out)
    assert not default_storage.exists(f"roster-uploads/{kept}.xlsx") and "超过 2 小时未确认" in out.getvalue()
    confirm = client.post(reverse("courses:roster_confirm", args=[programme.code]), {"token": kept})
    assert confirm.status_code == 404
