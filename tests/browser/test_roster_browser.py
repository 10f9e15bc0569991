"""An organiser imports a roster in the browser: error row, download, fix, import."""

import pytest
from openpyxl import load_workbook

from tests.factories import PASSWORD, make_organiser, make_programme, make_unit, valid_id_number
from tests.rosters import roster_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_organiser_imports_roster_after_fixing_the_error_row(live_server, phone, tmp_path):
    organiser = make_organiser(make_unit())
    programme = make_programme(organiser=organiser, title="法治政府建设专题培训讲座")
    good_id, fixed_id = valid_id_number(701), valid_id_number(702)
    wrong_id = fixed_id[:-1] + ("0" if fixed_id[-1] != "0" else "1")
    first = tmp_path / "名单.xlsx"
    first.write_bytes(
        roster_bytes(
            [
                ["王永浩", good_id, "13911112222", "许昌市第一中学", "魏都区"],
                ["李明", wrong_id, "13911113333", "许昌高级中学", "魏都区"],
            ],
            headers=("教师姓名", "身份证号码", "联系电话", "工作单位", "区县"),
            title_rows=["2021年法治政府建设专题培训讲座学员名单"],
        )
    )

    phone.goto(f"{live_server.url}/accounts/login/")
    phone.fill("input[name=username]", organiser.username)
    phone.fill("input[name=password]", PASSWORD)
    phone.click("main button[type=submit]")
    phone.goto(f"{live_server.url}/manage/programmes/{programme.code}/")
    phone.click("a:has-text('导入名单')")
    phone.set_input_files("input[name=file]", str(first))
    phone.click("main button[type=submit]")
    phone.wait_for_selector("h1:has-text('名单预览')")
    assert phone.inner_text("#count-errors") == "1"
    assert phone.inner_text("#count-new") == "1"
    assert "第4行" in phone.inner_text("main") and "校验位" in phone.inner_text("main")

    with phone.expect_download() as download_info:
        phone.click("a:has-text('下载错误行')")
    error_file = tmp_path / "errors.xlsx"
    download_info.value.save_as(error_file)
    workbook = load_workbook(error_file)
    sheet = workbook.active
    assert sheet["B2"].value == wrong_id and "校验位" in sheet["F2"].value
    sheet["B2"].value = fixed_id  # the organiser corrects the number in Excel
    fixed = tmp_path / "fixed.xlsx"
    workbook.save(fixed)

    phone.click("a:has-text('重新上传')")
    phone.set_input_files("input[name=file]", str(fixed))
    phone.click("main button[type=submit]")
    phone.wait_for_selector("h1:has-text('名单预览')")
    assert phone.inner_text("#count-errors") == "0"
    phone.click("button:has-text('确认导入')")
    phone.wait_for_selector("text=导入完成")
    roster = phone.inner_text("main")
    assert "李明" in roster
    assert fixed_id not in roster  # masked on the page

    first_again = tmp_path / "good-only.xlsx"
    first_again.write_bytes(roster_bytes([["王永浩", good_id, "13911112222", "许昌市第一中学", "魏都区"]]))
    phone.click("a:has-text('导入名单')")
    phone.set_input_files("input[name=file]", str(first_again))
    phone.click("main button[type=submit]")
    phone.wait_for_selector("h1:has-text('名单预览')")
    phone.click("main form button[type=submit]")
    phone.wait_for_selector("text=导入完成")
    assert "王永浩" in phone.inner_text("main")
