"""Rosters as other producers write them (tests/workbook_corpus.py), through all four edges.

Each file is the same five teachers written with one producer's habit. The import_roster command
commits it; the organiser page, the API and the Django admin preview it; all four must see the same
teachers, the same row errors, the same notices or the same refusal — and the page never answers 500.
"""

import io
import json
import zipfile
from dataclasses import dataclass, field

import pytest
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.html import escape
from rest_framework.test import APIClient

from accounts.models import User
from courses.models import Enrolment
from courses.resources import RosterUploadStorage
from courses.roster_views import UPLOAD_DIR
from tests.factories import PASSWORD, make_bureau, valid_id_number
from tests.workbook_corpus import Formula, Sheet, compound_file, encrypted_workbook, legacy_xls, package, zip_of

HEADERS = ["姓名", "身份证号", "手机号", "学校", "区县"]
IDS = [valid_id_number(n) for n in range(641, 646)]
TEACHERS = [
    ["王永浩", IDS[0], "13911116401", "许昌市第一中学", "魏都区"],
    ["李明", IDS[1], "13911116402", "许昌高级中学", "建安区"],
    ["赵敏", IDS[2], "13911116403", "禹州市第一高级中学", "禹州市"],
    ["孙丽", IDS[3], "13911116404", "长葛市第二中学", "长葛市"],
    ["周强", IDS[4], "13911116405", "鄢陵县第一中学", "鄢陵县"],
]
TITLE = ["2021年法治培训学员名单"]


def roster(**sheet) -> Sheet:
    """The five teachers under a title row and the header (rows 1-2; teachers on rows 3-7)."""
    return Sheet("名单", [TITLE, HEADERS, *TEACHERS], **sheet)


@dataclass
class Case:
    data: bytes
    new: int = 5
    errors: set = field(default_factory=set)  # {(row, column, message)}
    notices: tuple = ()
    refused: str = ""  # a part of the refusal, when the file is refused as a whole
    sheet: str = ""


def _formula_roster() -> Sheet:
    rows = [TITLE, HEADERS, *TEACHERS]
    rows[3] = [*TEACHERS[1][:4], Formula("VLOOKUP(D4,学校!A:B,2,0)")]  # row 4: 区县 by a formula, no result
    rows[4] = [*TEACHERS[2][:4], Formula('IF(D5="","","禹州市")', cached="禹州市")]  # row 5: result stored
    rows[5] = [TEACHERS[3][0], Formula("CONCATENATE(G6,H6)"), *TEACHERS[3][2:]]  # row 6: the ID by a formula
    return Sheet("名单", rows, merges=("A1:E1",))


FORMULA_MESSAGE = "E4 单元格的公式没有计算结果，请在 Excel/WPS 中打开并保存后再上传。"
HIDDEN_NOTICE = "工作表“名单”的第 4、6 行在 Excel 中被隐藏（隐藏行或筛选），已一并导入。如这些行不应导入，请在文件中删除后重新上传。"

CASES = {
    # Declared sizes: never trusted.
    "grid export declaring A1:C1": lambda: Case(package([roster(dimension="A1:C1")])),
    "declared A1:C6 (too small in both directions)": lambda: Case(package([roster(dimension="A1:C6")])),
    "WPS declaring A1": lambda: Case(package([roster(dimension="A1")])),
    "no dimension at all": lambda: Case(package([roster(dimension=None)])),
    "Gnumeric declaring A1:XFD1048576": lambda: Case(package([roster(dimension="A1:XFD1048576")])),
    "WPS for Mac: formatted empty rows to 1,048,576": lambda: Case(
        package([roster(dimension="A1:E1048576", styled_empty_rows_to=1_048_576)])
    ),
    "LibreOffice: a stray cell at XFD": lambda: Case(package([roster(extra_cells=(("XFD9", " "), ("XFD5", "x")))])),
    "merges reaching XFD": lambda: Case(
        package([roster(dimension="A1:XFD7", merges=("A1:XFD1", "F2:XFD2", "F3:XFD1048576", "G4:XFD7"))])
    ),
    # What is written, read right.
    "Strict Open XML": lambda: Case(package([roster(merges=("A1:E1",))], strict=True)),
    "inline strings with a namespace prefix": lambda: Case(package([roster()], strings="inline", prefix="x")),
    "rich strings with phonetic guides and a prefix": lambda: Case(package([roster()], strings="rich", prefix="x")),
    "1904 date system (Excel for Mac)": lambda: Case(package([roster()], date1904=True)),
    "header typed beyond column IV": lambda: Case(
        package([Sheet("名单", [TITLE, ["姓名", *[None] * 300, "身份证号"], ["王永浩", *[None] * 300, IDS[0]]])]),
        refused="表头（第 2 行）的“身份证号”在 KP 列，名单的各列应在前 256 列（A–IV 列）之内",
    ),
    "capitalised part name xl/SharedStrings.xml": lambda: Case(
        package([roster()], shared_strings_part="SharedStrings.xml")
    ),
    # Which sheet.
    "hidden first sheet (dropdown lists)": lambda: Case(
        package([Sheet("下拉选项", [["魏都区"], ["建安区"]], state="hidden"), roster()])
    ),
    "the roster on a later sheet, not named": lambda: Case(
        package([Sheet("填表说明", [["请按模板填写"]]), Sheet("下拉选项", [["魏都区"]], state="hidden"), roster()]),
        refused="（读取的是工作表“填表说明”；工作簿中的工作表：填表说明、下拉选项（隐藏）、名单。如名单在其他工作表，请填写工作表名称。）",
    ),
    "the roster on a later sheet, named": lambda: Case(
        package([Sheet("填表说明", [["请按模板填写"]]), roster()]), sheet="名单"
    ),
    "chart sheet first": lambda: Case(package([Sheet("图表1", chart=True), roster()])),
    "--sheet naming a chart sheet": lambda: Case(
        package([Sheet("图表1", chart=True), roster()]), sheet="图表1", refused="“图表1”是图表工作表"
    ),
    "no worksheet at all": lambda: Case(
        package([Sheet("图表1", chart=True)]), refused="工作簿中没有可读取的工作表（只有：图表1（图表，不能导入））"
    ),
    # What a person sees, or is told.
    "formula without a stored result": lambda: Case(
        package([_formula_roster()]),
        new=3,
        errors={
            (4, "区县", FORMULA_MESSAGE),
            (6, "身份证号", "B6 单元格的公式没有计算结果，请在 Excel/WPS 中打开并保存后再上传。"),
        },
    ),
    "hidden rows (hidden by hand or by a filter)": lambda: Case(
        package([roster(hidden_rows=(4, 6))]), notices=(HIDDEN_NOTICE,)
    ),
    "only headers (an empty template)": lambda: Case(
        package([Sheet("名单", [TITLE, HEADERS, ["示例张三", "11010519491231002X"]])]),
        refused="工作表“名单”第 2 行是表头，但表头下面没有教师数据",
    ),
    # Not a workbook we can read, said so.
    "encrypted workbook (用密码进行加密)": lambda: Case(encrypted_workbook(), refused="该工作簿设置了打开密码"),
    "old .xls renamed to .xlsx": lambda: Case(legacy_xls(), refused="旧版 Excel 97-2003 工作簿（.xls）"),
    "LibreOffice .ods renamed to .xlsx": lambda: Case(
        zip_of({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<office:document/>"}),
        refused="这是 OpenDocument 表格（.ods",
    ),
    "Excel binary workbook .xlsb renamed to .xlsx": lambda: Case(
        zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\x83\x01\x00"}),
        refused="这是 Excel 二进制工作簿（.xlsb）",
    ),
    "another OLE file (a .doc)": lambda: Case(
        compound_file({"WordDocument": b"\0" * 10}), refused="文件不是有效的 .xlsx 工作簿"
    ),
}


@pytest.fixture(autouse=True)
def _uploads_left_behind():
    """Previews keep their upload for the confirm step (in the test run's in-memory storage, shared by all
    tests): remove them, as other tests check that refused uploads are not kept."""
    yield
    for folder in (RosterUploadStorage.folder, UPLOAD_DIR):
        if default_storage.exists(folder):
            for name in default_storage.listdir(folder)[1]:
                default_storage.delete(f"{folder}/{name}")


def _command(path, programme, organiser, sheet, capsys) -> tuple[dict, int]:
    args = [str(path), "--programme", programme.code, "--json", "--as-user", organiser.username]
    if sheet:
        args += ["--sheet", sheet]
    code = 0
    try:
        call_command("import_roster", *args)
    except SystemExit as exit_info:
        code = exit_info.code
    return json.loads(capsys.readouterr().out), code


def _admin_errors(result) -> set:
    return {
        (row.number, "" if column == NON_FIELD_ERRORS else column, message)
        for row in result.invalid_rows
        for column, messages in row.error_dict.items()
        for message in messages
    }


@pytest.mark.parametrize("name", list(CASES))
def test_producer_habit_through_command_page_api_and_admin(name, client, organiser, programme, tmp_path, capsys):
    case = CASES[name]()
    upload = {"file": SimpleUploadedFile("名单.xlsx", case.data)}
    if case.sheet:
        upload["sheet"] = case.sheet
    client.login(username=organiser.username, password=PASSWORD)

    # The organiser page (a preview): never a 500.
    page = client.post(reverse("courses:roster_upload", args=[programme.code]), upload)
    html = page.content.decode()
    # The API's preview.
    api = APIClient()
    api.force_authenticate(organiser)
    upload["file"].seek(0)
    by_api = api.post(f"/api/rosters/{programme.code}/preview/", upload, format="multipart")
    # The Django admin's import preview: the superuser's since issue 15.
    upload["file"].seek(0)
    back_office = Client()
    back_office.force_login(make_bureau(is_superuser=True, username="root"))
    admin = back_office.post(
        reverse("admin:courses_enrolment_import"),
        {"programme": programme.pk, "import_file": upload["file"], "format": "0", "resource": "0", "sheet": case.sheet},
    )
    admin_html = admin.content.decode()
    # The command, which commits.
    path = tmp_path / "名单.xlsx"
    path.write_bytes(case.data)
    by_command, code = _command(path, programme, organiser, case.sheet, capsys)

    if case.refused:
        assert page.status_code == 400 and case.refused in page.context["error"]
        assert escape(case.refused) in html
        assert by_api.status_code == 400 and case.refused in by_api.json()["errors"][0]["message"]
        assert admin.context["result"].has_errors() and escape(case.refused) in admin_html
        assert code == 1 and case.refused in by_command["errors"][0]["message"]
        assert by_command["errors"][0]["row"] is None
        assert not Enrolment.objects.exists()
        return

    assert page.status_code == 200
    summary = page.context["summary"]
    assert page.context["report"].sheet == "名单"
    assert summary["new"] == case.new
    assert {(e["row"], e["column"], e["message"]) for e in summary["errors"]} == case.errors
    assert tuple(summary["notices"]) == case.notices
    for notice in case.notices:
        assert escape(notice) in html
    for _row, _column, message in case.errors:
        assert escape(message) in html

    assert by_api.status_code == 200
    assert {k: by_api.json()[k] for k in ("new", "notices")} == {"new": case.new, "notices": list(case.notices)}
    assert {(e["row"], e["column"], e["message"]) for e in by_api.json()["errors"]} == case.errors

    result = admin.context["result"]
    assert not result.has_errors() and result.totals["new"] == case.new
    assert _admin_errors(result) == case.errors
    for notice in case.notices:
        assert escape(notice) in admin_html

    assert by_command["notices"] == list(case.notices)
    assert {(e["row"], e["column"], e["message"]) for e in by_command["errors"]} == case.errors
    if case.errors:
        assert code == 1 and not Enrolment.objects.exists()
        return
    assert code == 0 and by_command["new"] == 5
    # Every column was read, whatever the file declared: schools and districts included.
    saved = {
        (u.name, u.id_number, u.mobile, u.school, u.district)
        for u in User.objects.filter(enrolments__programme=programme)
    }
    assert saved == {tuple(teacher) for teacher in TEACHERS}


def test_command_text_output_announces_hidden_rows(organiser, programme, tmp_path, capsys):
    path = tmp_path / "名单.xlsx"
    path.write_bytes(package([roster(hidden_rows=(4, 6))]))
    call_command("import_roster", str(path), "--programme", programme.code, "--as-user", organiser.username)
    out = capsys.readouterr().out
    assert f"提示：{HIDDEN_NOTICE}" in out and "新增 5 人" in out and "导入完成" in out
    assert Enrolment.objects.filter(programme=programme).count() == 5


def test_an_unexpected_failure_while_reading_is_a_refusal_with_a_logged_reference(
    client, organiser, programme, tmp_path, capsys, caplog
):
    # A cell pointing at shared string 99 of a table of a few: openpyxl raises IndexError.
    data = package([Sheet("名单", [HEADERS, TEACHERS[0]])])
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            part = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                part = part.replace(b'r="A2" t="s"><v>5</v>', b'r="A2" t="s"><v>99</v>')
                assert b"<v>99</v>" in part
            target.writestr(info.filename, part)
    broken = buffer.getvalue()

    client.login(username=organiser.username, password=PASSWORD)
    page = client.post(
        reverse("courses:roster_upload", args=[programme.code]), {"file": SimpleUploadedFile("名单.xlsx", broken)}
    )
    assert page.status_code == 400
    message = page.context["error"]
    assert message.startswith("读取文件时出错，无法导入（错误编号 ")
    reference = message.split("错误编号 ")[1][:8]
    assert f"[ref {reference}]: IndexError" in caplog.text
    assert IDS[0] not in caplog.text and "王永浩" not in caplog.text  # no cell value in the log

    path = tmp_path / "名单.xlsx"
    path.write_bytes(broken)
    result, code = _command(path, programme, organiser, "", capsys)
    assert code == 1 and "读取文件时出错" in result["errors"][0]["message"]


def test_too_many_cells_is_refused_on_the_page_and_by_the_command(client, organiser, programme, tmp_path, capsys):
    data = package([roster()])  # 1 + 5 + 5 × 5 cells
    path = tmp_path / "名单.xlsx"
    path.write_bytes(data)
    expected = "工作表“名单”的数据超过 30 个单元格（读到第 7 行），请删去不需要的列，或拆分后分批导入。"
    with override_settings(ROSTER_MAX_CELLS=30):
        client.login(username=organiser.username, password=PASSWORD)
        page = client.post(
            reverse("courses:roster_upload", args=[programme.code]), {"file": SimpleUploadedFile("名单.xlsx", data)}
        )
        result, code = _command(path, programme, organiser, "", capsys)
    assert page.status_code == 400 and page.context["error"] == expected
    assert code == 1 and result["errors"][0]["message"] == expected
    assert not Enrolment.objects.exists()
