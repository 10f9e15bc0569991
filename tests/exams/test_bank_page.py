"""The shared question bank in the site's own pages: what each law holds, the questions with their keys, and
the export, for organisers and the bureau; never for teachers (the page holds the answer keys)."""

import io

from django.urls import reverse
from openpyxl import load_workbook

from tests.exams.conftest import make_bank
from tests.factories import make_bank_manager


def test_organiser_reads_the_bank_by_law_and_takes_it_away(client, organiser, db):
    make_bank()
    client.force_login(organiser)
    home = client.get(reverse("courses:manage_list")).content.decode()
    assert f'href="{reverse("exams:bank")}"' in home and "/admin/" not in home

    response = client.get(reverse("exams:bank"))
    page = response.content.decode()
    laws = {row["law"].name: (row["single"], row["multiple"], row["truefalse"]) for row in response.context["laws"]}
    assert laws["教师法"] == (6, 0, 0) and laws["义务教育法"] == (0, 6, 0) and laws["宪法"] == (0, 0, 6)
    assert "试题（18 道）" in page and "/admin/" not in page

    page = client.get(reverse("exams:bank"), {"law": "教师法", "q": "单选题3"}).content.decode()
    assert "试题（1 道）" in page and "对3" in page and "正确答案" in page and "《中华人民共和国教师法》" in page

    export = client.get(reverse("exams:bank_export"), {"law": "宪法"})
    assert "attachment" in export["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(export.content)).active.iter_rows(values_only=True))
    assert {row[2] for row in rows[1:]} == {"宪法"} and len(rows) - 1 == 6


def test_teachers_never_see_the_bank_and_the_keeper_is_pointed_to_the_back_office(client, teacher, bureau, db):
    make_bank()
    client.force_login(teacher)
    for url in (reverse("exams:bank"), reverse("exams:bank_export")):
        refused = client.get(url)
        assert refused.status_code == 403 and "题库含标准答案，仅供培训组织者和教育局查看。" in refused.content.decode()
    client.force_login(bureau)
    page = client.get(reverse("exams:bank")).content.decode()
    assert "试题（18 道）" in page and "在后台导入或修改试题" not in page
    client.force_login(make_bank_manager())
    page = client.get(reverse("exams:bank")).content.decode()
    assert "在后台导入或修改试题" in page
