"""The question bank as .xlsx: real workbooks built here, one code path (exams.question_io) behind
the admin's import-export pages and `manage.py import_questions`."""

import io
import json

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import OperationalError
from django.urls import reverse
from django.utils.html import escape
from openpyxl import Workbook, load_workbook

from exams.admin import QuestionUploadStorage
from exams.bank import bank_read
from exams.models import Question
from exams.question_io import (
    QuestionImportHasErrors,
    parse_questions,
    questions_commit,
    questions_preview,
    questions_workbook,
    template_workbook,
)
from exams.services import question_create
from tests.factories import PASSWORD, make_bank_manager, make_organiser
from tests.faults import database_dies_at

HEADERS = ["题型", "法律", "版本", "条款", "难度", "题干", *(f"选项{c}" for c in "ABCDEF"), "正确答案", "解析"]
IMPORT_URL = "admin:exams_question_import"
CONFIRM_URL = "admin:exams_question_process_import"
CHANGELIST_URL = "admin:exams_question_changelist"
EXPORT_URL = "admin:exams_question_export"


def workbook_bytes(rows, *, headers=HEADERS, title_rows=(("2021年法治知识题库（教师工作科）",),), merges=("A1:N1",)):
    workbook = Workbook()
    sheet = workbook.active
    for title in title_rows:
        sheet.append(list(title))
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    for merge in merges:
        sheet.merge_cells(merge)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def q(
    kind,
    law,
    stem,
    options=(),
    answer="A",
    *,
    revision="2009年修正",
    article="第七条",
    difficulty="易",
    explanation=None,
):
    options = list(options) + [None] * (6 - len(options))
    explanation = f"解析：依据《{law}》{article}。" if explanation is None else explanation
    return [kind, law, revision, article, difficulty, stem, *options, answer, explanation]


# Row 1 is a title, row 2 the header; the data starts at Excel row 3.
GOOD_ROWS = [
    q("单选题", "教师法", "根据教师法，教师进行教育教学活动，开展教育教学改革和实验，属于教师的（　）。",
      ["义务", "权利", "职责", "纪律"], "B"),  # row 3
    q("多选", "义务教育法", "根据义务教育法，下列说法正确的有：",
      ["义务教育实行九年制", "义务教育不收学费、杂费", "适龄儿童可以随意不入学", "国家建立义务教育经费保障机制"],
      "A、B、D", revision="2018年修正", article="", difficulty=2),  # row 4: “多选”, letters with separators
    None,  # row 5: blank, skipped (the row numbers after it stay the Excel ones)
    q("判断题", "宪法", "根据宪法，中华人民共和国公民在法律面前一律平等。", [], "正确",
      revision="2018年修正", article="第三十三条", difficulty="难"),  # row 6: options left empty → 正确/错误
    q("判断", "《中华人民共和国教师法》", "根据教师法，教师可以不参加进修或者培训。", ["正确", "错误"], "Ｂ",
      difficulty="３", article="第七条"),  # row 7: full name in 《》, full-width answer and difficulty
    q("单选题", "教师法", "示例：这一行不会导入。", ["甲", "乙"], "A"),  # row 8: example row, skipped
    [None] * 15 + ["备注：以上为第一批"],  # row 9: a remark right of the table is not a question
]  # fmt: skip


def good_file() -> bytes:
    return workbook_bytes([row or [] for row in GOOD_ROWS])


# One row per error, each a single reason; rows 3 and 12 are fine, row 13 repeats row 3.
BAD_ROWS = [
    q("单选题", "教师法", "根据教师法，教师享有的权利包括（　）。", ["甲", "乙", "丙", "丁"], "A"),  # 3 fine
    q("单选题", "教师法", "单选却有两个答案。", ["甲", "乙", "丙", "丁"], "AB"),  # 4
    q("多选题", "教育法", "多选却只有一个答案。", ["甲", "乙", "丙", "丁"], "A"),  # 5
    q("判断题", "宪法", "判断题的选项不是正确和错误。", ["是", "否"], "A"),  # 6
    q("单选题", "教师法", "答案指向空选项。", ["甲", "乙", "丙"], "D"),  # 7
    q("单选题", "劳动法", "未知的法律。", ["甲", "乙"], "A"),  # 8
    q("单选题", "教师法", None, ["甲", "乙"], "A"),  # 9 empty stem
    q("单选题", "教师法", "答案字母超出范围。", ["甲", "乙", "丙", "丁"], "G"),  # 10
    q("单选题", "教师法", "答案不是字母。", ["甲", "乙", "丙", "丁"], "1"),  # 11
    q("判断题", "宪法", "根据宪法，国家尊重和保障人权。", [], "A", article="第三十三条"),  # 12 fine
    q("单选题", "教师法", "根据教师法， 教师享有的权利包括(　)。", ["甲", "乙", "丙", "丁"], "A"),  # 13 = row 3
]  # fmt: skip
LAWS = "宪法、教育法、义务教育法、教师法、行政许可法、行政处罚法、行政复议法、未成年人保护法、家庭教育促进法、预防未成年人犯罪法"
BAD_EXPECTED = {
    (4, "正确答案", "单选题必须恰有一个正确选项（现在 2 个）。"),
    (5, "正确答案", "多选题至少要有两个正确选项（现在 1 个）。"),
    (6, "选项A", "判断题必须恰有两个选项：“正确”和“错误”。"),
    (7, "正确答案", "正确答案中的“D”对应的选项D是空的：请填写该选项或改正答案。"),
    (8, "法律", f"未知的法律“劳动法”，可选：{LAWS}。"),
    (9, "题干", "题干不能为空。"),
    (10, "正确答案", "正确答案中的“G”超出了选项范围（本表的选项为 A–F）。"),
    (11, "正确答案", "正确答案“1”无法识别：请填选项字母，如 A 或 ACD。"),
    (13, "题干", "第3行与第13行是同一法律（教师法）下的相同题干，请删除重复的一行。"),
}


def bad_file() -> bytes:
    return workbook_bytes(BAD_ROWS)


def bank_snapshot():
    return sorted(
        (
            question.code,
            question.version,
            question.is_current,
            question.law_id,
            question.stem,
            question.kind,
            question.revision,
            question.article,
            question.difficulty,
            question.explanation,
            question.is_active,
            tuple((option.text, option.is_correct, option.position) for option in question.options.all()),
        )
        for question in Question.objects.prefetch_related("options")
    )


def errors_of(report_or_dict) -> set:
    errors = report_or_dict["errors"] if isinstance(report_or_dict, dict) else report_or_dict.errors
    return {(error["row"], error["column"], error["message"]) for error in errors}


def run_command(tmp_path, capsys, data, *args, name="题库.xlsx"):
    path = tmp_path / name
    path.write_bytes(data)
    code = 0
    try:
        call_command("import_questions", str(path), "--json", *args)
    except SystemExit as exit_info:
        code = exit_info.code
    return code, json.loads(capsys.readouterr().out)


# ---- The rules, on the file.


def test_good_file_with_a_title_row_imports_every_question(db):
    report = questions_commit(data=good_file(), filename="题库.xlsx")
    assert report.header_row == 2 and report.committed
    assert report.as_dict() == {"new": 4, "updated": 0, "unchanged": 0, "errors": []}
    assert [row.row for row in report.rows] == [3, 4, 6, 7]

    def get(stem_start):
        question = Question.objects.get(stem__startswith=stem_start)
        return question, [(o.text, o.is_correct) for o in question.options.order_by("position")]

    single, options = get("根据教师法，教师进行")
    assert (single.law_id, single.revision, single.article, single.kind, single.difficulty) == (
        "教师法", "2009年修正", "第七条", "single", 1,
    )  # fmt: skip
    assert options == [("义务", False), ("权利", True), ("职责", False), ("纪律", False)]
    assert (
        single.stem == "根据教师法，教师进行教育教学活动，开展教育教学改革和实验，属于教师的（　）。"
    )  # punctuation kept
    assert single.explanation == "解析：依据《教师法》第七条。"

    multiple, options = get("根据义务教育法")
    assert (multiple.law_id, multiple.revision, multiple.article, multiple.kind, multiple.difficulty) == (
        "义务教育法", "2018年修正", "", "multiple", 2,
    )  # fmt: skip
    assert [correct for _text, correct in options] == [True, True, False, True]

    truefalse, options = get("根据宪法，中华人民共和国公民")
    assert (truefalse.kind, truefalse.article, truefalse.difficulty) == ("truefalse", "第三十三条", 3)
    assert options == [("正确", True), ("错误", False)]

    full_width, options = get("根据教师法，教师可以不参加")
    assert (full_width.law_id, full_width.kind, full_width.difficulty) == ("教师法", "truefalse", 3)
    assert options == [("正确", False), ("错误", True)]
    assert not Question.objects.filter(stem__startswith="示例").exists()


def test_every_error_is_reported_with_its_excel_row_and_reason_and_nothing_is_written(db, tmp_path, capsys):
    before = bank_snapshot()
    report = questions_preview(data=bad_file(), filename="题库.xlsx")
    assert errors_of(report) == BAD_EXPECTED
    assert report.as_dict()["new"] == 2  # rows 3 and 12 are fine, yet nothing is written

    with pytest.raises(QuestionImportHasErrors) as refused:
        questions_commit(data=bad_file(), filename="题库.xlsx")
    assert errors_of(refused.value.report) == BAD_EXPECTED
    assert bank_snapshot() == before == []

    code, printed = run_command(tmp_path, capsys, bad_file())
    assert code == 1
    assert (printed["new"], printed["unchanged"]) == (2, 0)
    assert errors_of(printed) == BAD_EXPECTED
    assert bank_snapshot() == before


def test_headers_are_found_by_alias_and_width_and_missing_columns_are_named(db):
    headers = ["题目类型", "法律名称", "版本", "条款", "难度（1/2/3）", "题干（必填）", "A", "B", "答案", "答案解析"]
    data = workbook_bytes(
        [["单选题", "教育法", "2021年修正", "", "", "根据教育法，下列说法正确的是（　）。", "甲", "乙", "a", "解析。"]],
        headers=headers,
        title_rows=[["题库"], ["说明：……"]],
        merges=(),
    )
    report = questions_preview(data=data, filename="题库.xlsx")
    assert report.header_row == 3 and report.as_dict() == {"new": 1, "updated": 0, "unchanged": 0, "errors": []}
    assert report.rows[0].options == [("甲", True), ("乙", False)] and report.rows[0].values["difficulty"] == 2

    from common.excel import WorkbookRefused

    with pytest.raises(WorkbookRefused, match="缺少必需的列：版本、解析"):
        parse_questions(workbook_bytes([], headers=["题型", "法律", "题干", "选项A", "正确答案"]), filename="题库.xlsx")
    with pytest.raises(WorkbookRefused, match="找不到表头"):
        parse_questions(workbook_bytes([], headers=["姓名", "身份证号"]), filename="题库.xlsx")
    with pytest.raises(WorkbookRefused, match="只支持 .xlsx"):
        parse_questions(b"a,b\n", filename="题库.csv")


def test_the_same_file_twice_second_time_all_unchanged_and_nothing_written(db, tmp_path, capsys):
    code, first = run_command(tmp_path, capsys, good_file())
    assert code == 0 and first == {"new": 4, "updated": 0, "unchanged": 0, "errors": []}
    after_first = bank_snapshot()

    code, second = run_command(tmp_path, capsys, good_file())
    assert code == 0 and second == {"new": 0, "updated": 0, "unchanged": 4, "errors": []}
    assert bank_snapshot() == after_first

    code, dry = run_command(tmp_path, capsys, good_file(), "--dry-run")
    assert code == 0 and dry == second


def test_dry_run_writes_nothing_and_a_bank_question_is_never_changed_by_a_file(db, tmp_path, capsys):
    code, dry = run_command(tmp_path, capsys, good_file(), "--dry-run")
    assert code == 0 and dry == {"new": 4, "updated": 0, "unchanged": 0, "errors": []}
    assert not Question.objects.exists()

    questions_commit(data=good_file(), filename="题库.xlsx")
    before = bank_snapshot()
    changed = [list(row) for row in GOOD_ROWS[:2]]
    changed[0][6:10] = ["义务", "权利", "职责", "处分"]  # the bank's copy has 纪律
    changed[1][-1] = "另一段解析。"
    report = questions_commit(data=workbook_bytes(changed), filename="题库.xlsx")
    assert report.as_dict() == {"new": 0, "updated": 0, "unchanged": 2, "errors": []}
    assert [row.differs for row in report.rows] == [["选项"], ["解析"]]
    assert bank_snapshot() == before


def test_a_database_failure_midway_leaves_nothing(db):
    # The server goes away at the third question's INSERT: nothing of the first two stays.
    with database_dies_at('INSERT INTO "exams_question"', after=2), pytest.raises(OperationalError):
        questions_commit(data=good_file(), filename="题库.xlsx")
    assert not Question.objects.exists()


# ---- Export and template: the same layout.


def test_export_then_import_of_the_fixture_bank_is_all_unchanged(db):
    call_command("seed_exams", "--no-demo-quizzes")
    # Cells that a spreadsheet would run as formulas, and a question with more than six options.
    question_create(
        law="宪法", revision="2018年修正", article="", kind="single", difficulty=2,
        stem="=HYPERLINK(\"http://example.invalid\",\"点击\") 是否应当被当作文字？", explanation="-解析以减号开头。",
        options=[("+1", True), ("-1", False), ("@SUM(A1)", False)],
    )  # fmt: skip
    question_create(
        law="教育法", revision="2021年修正", article="第二十九条", kind="multiple", difficulty=3,
        stem="七个选项的多选题（　）。", explanation="解析。",
        options=[(f"选项内容{i}", i % 2 == 0) for i in range(7)],
    )  # fmt: skip
    before = bank_snapshot()
    total = len(before)
    assert total == sum(len(bank_file.items) for bank_file in bank_read()) + 2

    data = questions_workbook()
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][-4:] == ("选项G", "正确答案", "解析", "启用") and len(rows) == total + 1
    neutralised = next(row for row in rows if str(row[6]).startswith("'=HYPERLINK"))
    assert neutralised[7:10] == ("'+1", "'-1", "'@SUM(A1)") and neutralised[-2] == "'-解析以减号开头。"

    report = questions_commit(data=data, filename="题库.xlsx")
    assert report.as_dict() == {"new": 0, "updated": 0, "unchanged": total, "errors": []}
    assert [row for row in report.rows if row.differs] == []
    assert bank_snapshot() == before


def test_export_into_an_empty_bank_recreates_it(db):
    call_command("seed_exams", "--no-demo-quizzes")
    before = bank_snapshot()
    data = questions_workbook()
    Question.objects.all().delete()
    assert questions_commit(data=data, filename="题库.xlsx").as_dict()["new"] == len(before)
    assert bank_snapshot() == before


def test_template_has_title_notes_headers_and_an_example_that_is_not_imported(db):
    data = template_workbook()
    rows = list(load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0].startswith("法治知识题库") and rows[1][0].startswith("说明")
    assert list(rows[2]) == ["编号", *HEADERS, "启用"] and rows[3][6].startswith("示例")
    report = questions_preview(data=data, filename="题库模板.xlsx")
    assert report.header_row == 3 and report.rows == []
    # The example row without its 示例 prefix is a valid question.
    example = list(rows[3])
    example[6] = example[6].removeprefix("示例：")
    assert questions_preview(data=workbook_bytes([example[1:]]), filename="题库.xlsx").as_dict()["new"] == 1


# ---- The admin.


def _admin_import(client, data, name="题库.xlsx"):
    return client.post(
        reverse(IMPORT_URL), {"import_file": SimpleUploadedFile(name, data), "format": "0", "resource": "0"}
    )


def _confirm(client, preview):
    form = preview.context["confirm_form"]
    return client.post(reverse(CONFIRM_URL), {f.html_name: f.value() for f in form})


def test_admin_preview_shows_excel_rows_and_reasons_then_a_good_file_is_confirmed(client, db, tmp_path, capsys):
    manager = make_bank_manager()
    assert client.login(username=manager.username, password=PASSWORD)
    changelist = client.get(reverse(CHANGELIST_URL)).content.decode()
    assert reverse(IMPORT_URL) in changelist and reverse(EXPORT_URL) in changelist

    preview = _admin_import(client, bad_file())
    assert preview.status_code == 200
    result = preview.context["result"]
    assert not result.has_errors() and result.has_validation_errors()
    assert not preview.context.get("confirm_form")
    html = preview.content.decode()
    assert reverse(CONFIRM_URL) not in html and "文件中有 9 行错误" in html
    by_admin = {
        (row.number, column, message)
        for row in result.invalid_rows
        for column, messages in row.error_dict.items()
        for message in messages
    }
    assert by_admin == BAD_EXPECTED
    for row, _column, message in BAD_EXPECTED:
        assert f"<td>{row} </td>" in html and escape(message) in html
    assert not Question.objects.exists()
    assert not default_storage.listdir(QuestionUploadStorage.folder)[1]  # the refused upload is not kept

    preview = _admin_import(client, good_file())
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [r.import_type for r in result.valid_rows()] == ["new"] * 4
    assert "新增 <b>4</b> 题" in preview.content.decode()
    assert not Question.objects.exists()  # the preview is a dry run

    done = _confirm(client, preview)
    assert done.status_code == 302 and done.url == reverse(CHANGELIST_URL)
    assert Question.objects.count() == 4
    assert "新增 4 题" in client.get(done.url).content.decode()
    assert not default_storage.listdir(QuestionUploadStorage.folder)[1]

    again = _admin_import(client, good_file())
    assert [r.import_type for r in again.context["result"].valid_rows()] == ["skip"] * 4
    assert again.content.decode().count("已在题库中，未变") == 4
    assert _confirm(client, again).status_code == 302 and Question.objects.count() == 4


def test_admin_refuses_a_file_as_a_whole_in_chinese(client, db):
    manager = make_bank_manager()
    assert client.login(username=manager.username, password=PASSWORD)
    response = _admin_import(client, b"a,b\n", name="题库.csv")
    assert response.context["result"].has_errors() and "只支持 .xlsx 文件" in response.content.decode()
    assert "Traceback" not in response.content.decode()
    response = _admin_import(client, workbook_bytes([], headers=["姓名", "身份证号"]))
    assert "找不到表头" in response.content.decode() and not response.context.get("confirm_form")


def test_confirm_repeats_the_analysis_and_a_failure_there_is_shown_not_half_written(client, db):
    manager = make_bank_manager()
    assert client.login(username=manager.username, password=PASSWORD)
    rows = [GOOD_ROWS[0], q("单选题", "教师法", "第二道题（　）。", ["甲", "乙"], "A")]
    preview = _admin_import(client, workbook_bytes(rows))
    assert preview.context["result"].totals["new"] == 2

    # Between the preview and the confirm, someone else adds the first question: it is not duplicated.
    questions_commit(data=workbook_bytes(rows[:1]), filename="题库.xlsx")
    done = _confirm(client, preview)
    assert done.status_code == 302
    assert "新增 1 题，修改 0 题，已在题库中（未变）1 题" in client.get(done.url).content.decode()
    assert Question.objects.count() == 2

    # The database goes away inside the confirm's transaction: the page says so, nothing is left behind.
    preview = _admin_import(client, workbook_bytes([q("单选题", "教育法", "第三道题（　）。", ["甲", "乙"], "B")]))
    client.raise_request_exception = False
    with database_dies_at('INSERT INTO "exams_question"'):
        refused = _confirm(client, preview)
    assert refused.status_code == 503 and "数据库暂时无法连接" in refused.content.decode()
    assert Question.objects.count() == 2


def test_organiser_and_bureau_export_only_the_bank_manager_imports(client, db, bureau):
    call_command("seed_exams", "--no-demo-quizzes")
    organiser = make_organiser()

    # Since issue 15 the admin is the superuser's (and the bank keeper's): organisers and the bureau
    # open none of it, the bank's export included.
    for user in (bureau, organiser):
        assert client.login(username=user.username, password=PASSWORD)
        for url in (reverse(CHANGELIST_URL), reverse(EXPORT_URL), reverse(IMPORT_URL)):
            assert client.get(url).status_code == 403, url
        assert _admin_import(client, good_file()).status_code == 403
        assert client.post(reverse(CONFIRM_URL), {"import_file_name": "0" * 32}).status_code == 403
    assert Question.objects.count() == sum(len(bank_file.items) for bank_file in bank_read())

    assert client.login(username=make_bank_manager().username, password=PASSWORD)
    template = client.get(reverse("admin:exams_question_import_template"))
    assert template.status_code == 200 and questions_preview(data=template.content, filename="t.xlsx").rows == []
