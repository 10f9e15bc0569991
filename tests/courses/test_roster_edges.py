"""One roster file, three edges: the import_roster command, the organiser page and the Django admin
accept and refuse exactly the same rows, because all three run courses.roster."""

import json

import pytest
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils.html import escape

from accounts.models import User
from courses.models import Enrolment
from courses.resources import RosterUploadStorage
from courses.roster import roster_commit
from courses.services import enrolment_create
from tests.factories import PASSWORD, make_bureau, make_programme, make_teacher, valid_id_number
from tests.rosters import roster_bytes

ID_NEW1, ID_BAD, ID_NEW2, ID_UPDATED, ID_SAME = (valid_id_number(n) for n in (711, 712, 713, 714, 715))
BAD = ID_BAD[:-1] + ("0" if ID_BAD[-1] != "0" else "1")  # wrong check digit
IMPORT_URL = "admin:courses_enrolment_import"
CONFIRM_URL = "admin:courses_enrolment_process_import"


def _roster(second_id: str) -> bytes:
    return roster_bytes(
        [
            ["王永浩", ID_NEW1, "13911117001", "许昌市第一中学", "魏都区", "语文", "一级教师"],  # row 3
            ["李明", second_id, "13911117002", "许昌市第一中学", "魏都区", "数学", "高级教师"],  # row 4
            ["赵敏", ID_NEW2, "13911117003", "禹州市第一高级中学", "禹州市", "英语", "二级教师"],  # row 5
            ["孙丽", ID_UPDATED, "13911117004", "长葛市第二中学", "长葛市", "语文", "一级教师"],  # row 6
            ["周强", ID_SAME, "13911117005", "许昌高级中学", "建安区", "历史", "一级教师"],  # row 7
        ],
        title_rows=[["2021年法治培训学员名单"]],
        merges=["A1:G1"],
    )


@pytest.fixture
def enrolled(organiser, programme):
    """Two teachers already in the programme: one whose subject changed, one exactly as on the roster."""
    for id_number, name, mobile, school, district, subject in (
        (ID_UPDATED, "孙丽", "13911117004", "长葛市第二中学", "长葛市", "数学"),
        (ID_SAME, "周强", "13911117005", "许昌高级中学", "建安区", "历史"),
    ):
        teacher = make_teacher(
            id_number=id_number, name=name, mobile=mobile, school=school, district=district, subject=subject
        )
        enrolment_create(actor=organiser, programme=programme, teacher=teacher, source="organiser")


def _snapshot():
    teachers = sorted(
        (u.id_number, u.name, u.mobile, u.school, u.district, u.subject, u.title, u.role, u.has_usable_password())
        for u in User.objects.filter(id_number__isnull=False)
    )
    enrolments = sorted(
        Enrolment.objects.values_list("programme__code", "teacher__id_number", "source", "status", "teacher__name")
    )
    return teachers, enrolments


def _superuser(client):
    root = make_bureau(is_superuser=True, username="root")
    assert client.login(username=root.username, password=PASSWORD)
    return root


def _admin_import(client, programme, data, name="名单.xlsx"):
    return client.post(
        reverse(IMPORT_URL),
        {"programme": programme.pk, "import_file": SimpleUploadedFile(name, data), "format": "0", "resource": "0"},
    )


def _confirm(client, preview, **extra):
    form = preview.context["confirm_form"]
    return client.post(reverse(CONFIRM_URL), {**{f.html_name: f.value() for f in form}, **extra})


def _admin_errors(result) -> set:
    return {
        (row.number, "" if column == NON_FIELD_ERRORS else column, message)
        for row in result.invalid_rows
        for column, messages in row.error_dict.items()
        for message in messages
    }


def test_same_file_same_rows_refused_on_all_three_edges_then_fixed_file_through_admin(
    client, organiser, programme, enrolled, tmp_path, capsys
):
    bad = _roster(BAD)
    before = _snapshot()
    assert client.login(username=organiser.username, password=PASSWORD)

    # 1. The management command.
    path = tmp_path / "名单.xlsx"
    path.write_bytes(bad)
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "import_roster", str(path), "--programme", programme.code, "--json", "--as-user", organiser.username
        )
    assert exit_info.value.code == 1
    command = json.loads(capsys.readouterr().out)
    by_command = {(e["row"], e["column"], e["message"]) for e in command["errors"]}

    # 2. The organiser page.
    page = client.post(
        reverse("courses:roster_upload", args=[programme.code]), {"file": SimpleUploadedFile("名单.xlsx", bad)}
    )
    assert page.status_code == 200
    by_page = {(e["row"], e["column"], e["message"]) for e in page.context["summary"]["errors"]}
    html = page.content.decode()
    assert "第4行" in html and "确认导入" not in html

    # 3. The admin import, the superuser's since issue 15: the preview lists the row and reason, no confirm.
    _superuser(client)
    preview = _admin_import(client, programme, bad)
    assert preview.status_code == 200
    result = preview.context["result"]
    assert not result.has_errors() and result.has_validation_errors()
    assert not preview.context.get("confirm_form")
    admin_html = preview.content.decode()
    assert reverse(CONFIRM_URL) not in admin_html
    assert "名单中有 1 行错误" in admin_html
    by_admin = _admin_errors(result)
    for row, _column, message in by_admin:
        assert f"<td>{row} </td>" in admin_html and escape(message) in admin_html
    assert BAD not in admin_html and ID_NEW1 not in admin_html  # ID numbers are masked on the page

    assert by_command == by_page == by_admin == {(4, "身份证号", "身份证号校验位不正确，请核对后重新输入。")}
    assert _snapshot() == before
    assert not default_storage.listdir(RosterUploadStorage.folder)[1]  # the refused upload is not kept

    # The fixed file, through the admin, writes exactly what roster_commit writes.
    fixed = _roster(ID_BAD)
    with transaction.atomic():
        roster_commit(actor=organiser, programme=programme, data=fixed, filename="名单.xlsx")
        expected = _snapshot()
        transaction.set_rollback(True)
    assert _snapshot() == before

    preview = _admin_import(client, programme, fixed)
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [r.import_type for r in result.valid_rows()] == ["new", "new", "new", "update", "skip"]
    assert (result.totals["new"], result.totals["update"], result.totals["skip"]) == (3, 1, 1)
    assert "新增报名 <b>3</b> 人，更新信息 <b>1</b> 人" in preview.content.decode()
    assert _snapshot() == before  # the preview is a dry run

    done = _confirm(client, preview)
    assert done.status_code == 302 and done.url == reverse("admin:courses_enrolment_changelist")
    assert _snapshot() == expected
    assert "新增 3 人，更新 1 人，未变 1 人" in client.get(done.url).content.decode()
    assert not default_storage.listdir(RosterUploadStorage.folder)[1]


def test_confirm_refused_when_the_programme_filled_up_after_the_preview(client, organiser):
    small = make_programme(organiser=organiser, capacity=2)
    data = roster_bytes([["甲", valid_id_number(721), "", "学校", ""], ["乙", valid_id_number(722), "", "学校", ""]])
    _superuser(client)
    preview = _admin_import(client, small, data)
    assert preview.context["result"].totals["new"] == 2

    enrolment_create(actor=organiser, programme=small, teacher=make_teacher(), source="organiser")
    refused = _confirm(client, preview)
    assert refused.status_code == 400
    assert _admin_errors(refused.context["result"]) == {
        (
            3,
            "姓名",
            "超出项目名额：名额 2 人，导入前还剩 1 个名额，已由本名单前面的新学员用完；第3行及以后的新学员无法报名。",
        )
    }
    assert "未导入任何数据" in refused.content.decode()
    assert Enrolment.objects.filter(programme=small).count() == 1
    assert not User.objects.filter(id_number__in=[valid_id_number(721), valid_id_number(722)]).exists()


def test_file_refused_as_a_whole_is_explained_in_chinese(client, organiser, programme):
    _superuser(client)
    response = _admin_import(client, programme, b"name,id\n", name="名单.csv")
    assert response.context["result"].has_errors()
    assert "只支持 .xlsx 文件" in response.content.decode()
    assert "Traceback" not in response.content.decode()
    response = _admin_import(client, programme, roster_bytes([["甲", ID_NEW1]], headers=("名字?", "号码")))
    assert "找不到表头" in response.content.decode()
    assert not response.context.get("confirm_form")


def test_only_the_superuser_imports_through_the_admin(client, organiser, other_organiser, bureau, programme):
    """Organisers import on the programme's page (the same courses.roster code path); the admin's
    django-import-export screens are the superuser's."""
    data = _roster(ID_BAD)
    changelist = reverse("admin:courses_enrolment_changelist")
    for user in (organiser, other_organiser, bureau):
        assert client.login(username=user.username, password=PASSWORD)
        assert client.get(changelist).status_code == 403
        assert client.get(reverse(IMPORT_URL)).status_code == 403
        assert _admin_import(client, programme, data).status_code == 403
        assert client.post(reverse(CONFIRM_URL), {"programme": programme.pk}).status_code == 403
    assert not User.objects.filter(id_number=ID_NEW1).exists() and not Enrolment.objects.exists()

    _superuser(client)
    assert reverse(IMPORT_URL) in client.get(changelist).content.decode()
