"""Issue 15's roster refusals and the organiser's knowing choice with error rows: fix and re-upload the
whole list, or import the valid rows now — both said in numbers; 合计/小计 rows and notes skipped and
said; an empty file called empty; capacity errors naming the row and the places left; the error-row
download carrying the cell as typed."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import User
from courses.models import Enrolment
from tests.factories import make_programme, valid_id_number
from tests.rosters import roster_bytes

IDS = [valid_id_number(n) for n in (831, 832, 833)]
BAD = IDS[2][:-1] + ("0" if IDS[2][-1] != "0" else "1")


def _upload(client, programme, data, name="名单.xlsx"):
    return client.post(
        reverse("courses:roster_upload", args=[programme.code]), {"file": SimpleUploadedFile(name, data)}
    )


def _rows():
    return [
        ["甲", IDS[0], "13911120000", "学校", "魏都区"],
        ["乙", IDS[1], "13911120001", "学校", "魏都区"],
        ["丙", BAD, "13911120002", "学校", "魏都区"],
    ]


def test_with_an_error_row_the_preview_offers_both_ways_in_numbers(client, organiser, programme):
    client.force_login(organiser)
    page = _upload(client, programme, roster_bytes(_rows())).content.decode()
    assert "名单共 3 行教师信息，其中 1 行有错误、2 行无误。现在还没有导入任何数据，请选择：" in page
    assert "改好这 1 行，再上传完整名单（3 行）" in page
    assert "方式二：先导入无误的 2 行，其余 1 行改好后再导入" in page
    assert "可只上传改好的行" not in page
    assert not Enrolment.objects.exists()


def test_importing_the_valid_rows_now_writes_those_and_says_what_was_left(client, organiser, programme):
    client.force_login(organiser)
    preview = _upload(client, programme, roster_bytes(_rows()))
    token = preview.context["token"]
    done = client.post(
        reverse("courses:roster_confirm", args=[programme.code]), {"token": token, "valid_only": "1"}, follow=True
    )
    page = done.content.decode()
    assert "已导入无误的行：新增 2 人，更新 0 人，未变 0 人。有错误的 1 行没有导入" in page
    assert sorted(Enrolment.objects.values_list("teacher__id_number", flat=True)) == sorted(IDS[:2])

    # The fixed whole list later adds the third and leaves the two alone.
    fixed = _rows()
    fixed[2][1] = IDS[2]
    preview = _upload(client, programme, roster_bytes(fixed))
    assert preview.context["summary"]["new"] == 1 and preview.context["summary"]["unchanged"] == 2


def test_confirming_without_the_choice_writes_nothing(client, organiser, programme):
    client.force_login(organiser)
    preview = _upload(client, programme, roster_bytes(_rows()))
    refused = client.post(reverse("courses:roster_confirm", args=[programme.code]), {"token": preview.context["token"]})
    assert refused.status_code == 400
    assert not Enrolment.objects.exists() and not User.objects.filter(id_number__in=IDS).exists()


def test_total_rows_and_notes_are_skipped_and_said(client, organiser, programme):
    client.force_login(organiser)
    rows = _rows()[:2] + [["合计", "2人", "", "", ""], ["注：身份证号请设置为文本格式", "", "", "", ""]]
    preview = _upload(client, programme, roster_bytes(rows))
    page = preview.content.decode()
    assert "第4行（合计/小计行）、第5行（说明行）不是教师信息，已跳过，不会导入。" in page
    assert "身份证号不能为空" not in page
    assert preview.context["summary"]["new"] == 2 and not preview.context["summary"]["errors"]


def test_an_empty_file_is_called_empty(client, organiser, programme):
    client.force_login(organiser)
    response = _upload(client, programme, b"")
    assert response.status_code == 400
    assert "上传的文件是空的（0 字节），里面没有名单。" in response.content.decode()


def test_a_capacity_error_names_the_row_and_the_places_left(client, organiser):
    small = make_programme(organiser=organiser, capacity=1)
    client.force_login(organiser)
    preview = _upload(client, small, roster_bytes(_rows()[:2]))
    errors = preview.context["summary"]["errors"]
    assert errors == [
        {
            "row": 3,
            "column": "姓名",
            "message": "超出项目名额：名额 1 人，导入前还剩 1 个名额，已由本名单前面的新学员用完；第3行及以后的新学员无法报名。",
        }
    ]


def test_the_error_row_download_carries_an_id_typed_as_a_number_as_excel_showed_it(client, organiser, programme):
    client.force_login(organiser)
    rows = _rows()[:2] + [["丁", 411002198503150000, "13911120003", "学校", "魏都区"]]
    preview = _upload(client, programme, roster_bytes(rows))
    token = preview.context["token"]
    download = client.get(reverse("courses:roster_errors", args=[programme.code, token]))
    sheet = load_workbook(io.BytesIO(download.content)).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    marked = [v for v in values if isinstance(v, str) and "Excel 存成了数字" in v and v.startswith("4.11002E+17")]
    assert marked, values
    assert "411002198503150000" not in [str(v) for v in values]
