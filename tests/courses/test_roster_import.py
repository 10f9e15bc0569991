"""Roster import from real-world .xlsx files: reading, row-level errors, all-or-nothing, idempotence."""

import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import Role, User
from common.excel import WorkbookRefused
from courses.models import Enrolment
from courses.roster import RosterHasErrors, roster_commit, roster_preview
from courses.services import enrolment_create
from tests.factories import make_programme, make_teacher, valid_id_number
from tests.rosters import roster_bytes

ID1, ID2, ID3 = valid_id_number(901), valid_id_number(902), valid_id_number(903)


def test_messy_but_valid_roster_is_read_and_imported(organiser, programme):
    data = roster_bytes(
        [
            [
                "王 永浩",
                ID1.lower()[:-1] + ID1[-1].lower(),
                "１３９１１１１００００",
                "许昌市第一中学",
                "魏都区",
                "语文",
                "一级教师",
            ],
            [None, None, None, None, None, None, None],
            [
                "李　明",
                "".join(chr(ord(c) + 0xFEE0) for c in ID2),
                " 13911110001 ",
                "许昌市第一中学",
                "魏都",
                "数学",
                "高级教师",
            ],
            ["示例张三", "11010519491231002X", "13900000000", "x", "魏都区", "", ""],
            ["赵敏", ID3, 13911110002, "禹州市第一高级中学", "禹州市", "英语", "二级教师"],
        ],
        headers=("教师姓名", "身份证号码", "联系电话", "工作单位", "所属区县", "任教学科", "职称"),
        title_rows=[["2021年法治培训学员名单"], ["填报单位：许昌市教育局"]],
        merges=["A1:G1", "A2:G2"],
    )
    report = roster_preview(actor=organiser, programme=programme, data=data, filename="名单.xlsx")
    assert report.header_row == 3
    assert report.as_dict() == {"new": 3, "updated": 0, "unchanged": 0, "errors": [], "differences": [], "notices": []}
    roster_commit(actor=organiser, programme=programme, data=data)
    wang = User.objects.get(id_number=ID1)
    assert wang.name == "王永浩" and wang.mobile == "13911110000" and wang.role == Role.TEACHER
    assert not wang.has_usable_password()
    # written without model instances (common.bulk): the model's defaults still apply
    assert wang.is_active and not wang.is_staff and not wang.is_superuser and not wang.must_change_password
    assert wang.username is None and wang.unit_id is None and wang.last_login is None
    assert abs((timezone.now() - wang.date_joined).total_seconds()) < 60
    enrolment = Enrolment.objects.get(teacher=wang)
    assert enrolment.status == "enrolled" and abs((timezone.now() - enrolment.enrolled_at).total_seconds()) < 60
    li = User.objects.get(id_number=ID2)
    assert li.name == "李明" and li.district == "魏都区"
    assert User.objects.get(id_number=ID3).mobile == "13911110002"
    assert Enrolment.objects.filter(programme=programme, source="import").count() == 3
    assert not User.objects.filter(id_number="11010519491231002X").exists()


def test_merged_school_cells_fill_down(organiser, programme):
    data = roster_bytes(
        [["甲", ID1, "13911110000", "许昌高级中学", "魏都区"], ["乙", ID2, "13911110001", None, "魏都区"]],
        headers=("姓名", "身份证号", "手机号", "学校", "区县"),
        merges=["D2:D3"],
    )
    roster_commit(actor=organiser, programme=programme, data=data)
    assert User.objects.get(id_number=ID2).school == "许昌高级中学"


def test_every_bad_row_is_reported_with_its_excel_row_and_reason(organiser, programme):
    bad_check = ID1[:-1] + ("0" if ID1[-1] != "0" else "1")
    data = roster_bytes(
        [
            ["甲", 411002198503150000, "13911110000", "学校", "魏都区"],  # row 3: ID stored as a number
            ["乙", bad_check, "13911110001", "学校", "魏都区"],  # row 4
            ["丙", ID2, "1391111", "学校", "魏都区"],  # row 5: bad phone
            [None, ID3, "13911110003", "学校", "魏都区"],  # row 6: missing name
            [],  # row 7: blank
            ["丁", ID2, "13911110004", "学校", "魏都区"],  # row 8: duplicate ID of row 5? row 5 has an error
            ["戊", valid_id_number(904), "13911110005", "学校", "魏都区"],  # row 9 fine
            ["己", valid_id_number(904), "13911110006", "学校", "魏都区"],  # row 10 duplicate of row 9
            ["庚", valid_id_number(905), "13911110005", "学校", "火星区"],  # row 11 bad district
            ["辛", "4.11002E+17", "13911110007", "学校", "魏都区"],  # row 12 scientific text
        ],
        headers=("姓名", "身份证号", "手机号", "学校", "区县"),
        title_rows=["名单"],
    )
    report = roster_preview(actor=organiser, programme=programme, data=data)
    errors = {(e["row"], e["column"]): e["message"] for e in report.errors}
    assert "存成了数字" in errors[(3, "身份证号")] and "文本" in errors[(3, "身份证号")]
    assert "校验位" in errors[(4, "身份证号")]
    assert "11位" in errors[(5, "手机号")]
    assert "姓名不能为空" in errors[(6, "姓名")]
    assert "第9行与第10行的身份证号重复" in errors[(10, "身份证号")]
    assert "火星区" in errors[(11, "区县")]
    assert "存成了数字" in errors[(12, "身份证号")]
    assert 7 not in {e["row"] for e in report.errors}
    assert report.count("new") == 2  # rows 8 and 9
    with pytest.raises(RosterHasErrors):
        roster_commit(actor=organiser, programme=programme, data=data)
    assert not Enrolment.objects.exists()
    assert not User.objects.filter(role=Role.TEACHER).exists()


def test_same_file_twice_writes_nothing_the_second_time(organiser, programme):
    data = roster_bytes([["甲", ID1, "13911110000", "学校", "魏都区"], ["乙", ID2, "13911110001", "学校", "建安区"]])
    first = roster_commit(actor=organiser, programme=programme, data=data).as_dict()
    assert first["new"] == 2
    snapshot = list(User.objects.order_by("pk").values()), list(Enrolment.objects.order_by("pk").values())
    second = roster_commit(actor=organiser, programme=programme, data=data).as_dict()
    assert second == {"new": 0, "updated": 0, "unchanged": 2, "errors": [], "differences": [], "notices": []}
    assert (list(User.objects.order_by("pk").values()), list(Enrolment.objects.order_by("pk").values())) == snapshot


def test_existing_teacher_is_matched_by_id_never_duplicated_and_only_subject_and_title_are_updated(
    organiser, programme
):
    teacher = make_teacher(id_number=ID1, name="王老", mobile="13911110000", school="旧学校", subject="语文")
    enrolment_create(actor=organiser, programme=programme, teacher=teacher, source="organiser")
    data = roster_bytes([["王永浩", ID1, "13911119999", "新学校", "魏都区", "道德与法治"]])
    report = roster_commit(actor=organiser, programme=programme, data=data)
    summary = report.as_dict()
    assert summary["updated"] == 1
    assert {(d["column"], d["message"].split("。")[0]) for d in summary["differences"]} == {
        ("姓名", "与系统中该教师的记录不同（名单中为：王永浩）"),
        ("手机", "与系统中该教师的记录不同（名单中为：139****9999）"),
        ("学校", "与系统中该教师的记录不同（名单中为：新学校）"),
    }
    assert not any("王老" in d["message"] or "旧学校" in d["message"] for d in summary["differences"])
    assert all("请教师本人登录后在“我的信息”中更新" in d["message"] for d in summary["differences"])
    teacher.refresh_from_db()
    assert (teacher.name, teacher.mobile, teacher.school, teacher.subject) == (
        "王老",
        "13911110000",
        "旧学校",
        "道德与法治",
    )
    assert User.objects.filter(id_number=ID1).count() == 1
    assert teacher.has_usable_password()  # an update never touches the password


def test_mobile_of_another_teacher_is_a_row_error(organiser, programme):
    make_teacher(id_number=ID1, mobile="13911110000")
    data = roster_bytes([["乙", ID2, "13911110000", "学校", "魏都区"]])
    report = roster_preview(actor=organiser, programme=programme, data=data)
    assert "已被另一位教师" in report.errors[0]["message"]
    assert ID1 not in report.errors[0]["message"]


def test_capacity_is_checked_per_row(organiser):
    small = make_programme(organiser=organiser, capacity=1)
    data = roster_bytes([["甲", ID1, "", "学校", ""], ["乙", ID2, "", "学校", ""]])
    report = roster_preview(actor=organiser, programme=small, data=data)
    assert [e["row"] for e in report.errors] == [3]
    assert "超出项目名额" in report.errors[0]["message"]


def test_failure_at_the_database_on_the_last_row_leaves_nothing(organiser, programme):
    data = roster_bytes([["甲", ID1, "13911110000", "学校", "魏都区"], ["乙", ID2, "13911110001", "学校", "魏都区"]])

    # The database refuses the last write of the import (the enrolments) once both teachers are
    # inserted: as when another import enrols the same teacher at that moment. A trigger makes it refuse.
    written = f"(SELECT count(*) FROM accounts_user WHERE id_number IN ('{ID1}', '{ID2}')) = 2"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION refuse_enrolment() RETURNS trigger AS $$ BEGIN "
                f"IF {written} THEN RAISE EXCEPTION 'refused' USING ERRCODE = 'unique_violation'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER refuse BEFORE INSERT ON courses_enrolment "
                "FOR EACH ROW EXECUTE FUNCTION refuse_enrolment()"
            )
        else:
            cursor.execute(
                f"CREATE TRIGGER refuse BEFORE INSERT ON courses_enrolment WHEN {written} "
                "BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: refused'); END"
            )
    with pytest.raises(WorkbookRefused, match="未导入任何数据"):
        roster_commit(actor=organiser, programme=programme, data=data)
    assert not User.objects.filter(id_number__in=[ID1, ID2]).exists()
    assert not Enrolment.objects.exists()


def test_other_units_organiser_cannot_import(other_organiser, programme):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        roster_preview(actor=other_organiser, programme=programme, data=roster_bytes([]))


def test_files_refused_before_parsing(organiser, programme):
    with pytest.raises(WorkbookRefused, match="只支持 .xlsx"):
        roster_preview(actor=organiser, programme=programme, data=b"a,b\n", filename="名单.csv")
    with pytest.raises(WorkbookRefused, match="不是有效的 .xlsx"):
        roster_preview(actor=organiser, programme=programme, data=b"\xd0\xcf\x11\xe0old xls", filename="名单.xlsx")
    with override_settings(ROSTER_MAX_BYTES=1000), pytest.raises(WorkbookRefused, match="文件过大"):
        roster_preview(actor=organiser, programme=programme, data=roster_bytes([["甲", ID1]]), filename="a.xlsx")


def test_zip_bomb_refused_by_uncompressed_size(organiser, programme):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * (30 * 1024 * 1024) + b"/>")
    data = buffer.getvalue()
    assert len(data) < 100_000
    with (
        override_settings(ROSTER_MAX_UNCOMPRESSED_BYTES=20 * 1024 * 1024),
        pytest.raises(WorkbookRefused, match="解压后过大"),
    ):
        roster_preview(actor=organiser, programme=programme, data=data, filename="bomb.xlsx")


def test_row_limit_checked(organiser, programme):
    data = roster_bytes([["甲", valid_id_number(i), "", "", ""] for i in range(120)])
    with override_settings(ROSTER_MAX_ROWS=10), pytest.raises(WorkbookRefused, match="超过上限"):
        roster_preview(actor=organiser, programme=programme, data=data)


def test_missing_header_is_explained(organiser, programme):
    data = roster_bytes([["甲", ID1]], headers=("名字?", "号码"))
    with pytest.raises(WorkbookRefused, match="找不到表头"):
        roster_preview(actor=organiser, programme=programme, data=data)


def test_chosen_sheet(organiser, programme):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "说明"
    workbook.active.append(["这是说明页"])
    sheet = workbook.create_sheet("名单")
    sheet.append(["姓名", "身份证号"])
    sheet.append(["甲", ID1])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(WorkbookRefused, match="找不到表头"):
        roster_preview(actor=organiser, programme=programme, data=buffer.getvalue())
    report = roster_preview(actor=organiser, programme=programme, data=buffer.getvalue(), sheet="名单")
    assert report.count("new") == 1
    with pytest.raises(WorkbookRefused, match="没有名为"):
        roster_preview(actor=organiser, programme=programme, data=buffer.getvalue(), sheet="不存在")


def test_management_command_json_and_exit_status(organiser, programme, tmp_path, capsys):
    good = tmp_path / "good.xlsx"
    good.write_bytes(roster_bytes([["甲", ID1, "13911110000", "学校", "魏都区"]]))
    call_command(
        "import_roster", str(good), "--programme", programme.code.lower(), "--json", "--as-user", organiser.username
    )
    assert json.loads(capsys.readouterr().out) == {
        "new": 1,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
        "differences": [],
        "notices": [],
    }
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(roster_bytes([["乙", ID2[:-1] + "0" if ID2[-1] != "0" else ID2[:-1] + "1", "", "", ""]]))
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "import_roster", str(bad), "--programme", programme.code, "--json", "--as-user", organiser.username
        )
    assert exit_info.value.code == 1
    result = json.loads(capsys.readouterr().out)
    assert result["errors"][0]["row"] == 2 and result["errors"][0]["column"] == "身份证号"
    assert Enrolment.objects.count() == 1


def test_template_round_trip(client, organiser, programme):
    client.force_login(organiser)
    response = client.get("/manage/roster-template.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    assert [c.value for c in sheet[3]] == ["姓名", "身份证号", "手机号", "学校/单位", "区县", "学科", "职称"]
    assert sheet["B4"].number_format == "@" and sheet["B5"].number_format == "@"
    assert sheet["A4"].value.startswith("示例")
    # The untouched template has no teacher below its header (the example row is skipped), and says so.
    with pytest.raises(WorkbookRefused, match="第 3 行是表头，但表头下面没有教师数据"):
        roster_preview(actor=organiser, programme=programme, data=response.content)
