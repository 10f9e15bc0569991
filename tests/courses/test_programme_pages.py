"""The organiser's programme set-up pages: create, edit, copy, close, and sessions — every save through
courses.services, back to the programme's page with a message; every refusal in Chinese, nothing written."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from attendance.services import attendance_mark
from courses.models import Programme, Session
from courses.services import enrolment_create
from tests.factories import make_programme, make_teacher

BEIJING_NOON = datetime.datetime(2026, 3, 2, 4, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(BEIJING_NOON, tick=False):
        yield


def _programme_post(**overrides):
    data = {
        "code": "fz2026-0914",
        "title": "法治政府建设专题培训讲座",
        "level": "municipal",
        "kind": "lecture",
        "start_date": "2026-09-14",
        "end_date": "2026-09-15",
        "credit_hours": "3",
        "capacity": "",
        "audience": "市教育局机关全体工作人员",
        "description": "",
    }
    return {**data, **overrides}


def test_organiser_creates_a_programme_without_a_year_and_lands_on_its_page(client, organiser):
    client.force_login(organiser)
    response = client.post(reverse("courses:programme_create"), _programme_post(), follow=True)
    programme = Programme.objects.get(code="FZ2026-0914")
    assert programme.year == 2026 and programme.unit == organiser.unit
    assert response.redirect_chain[-1][0] == reverse("courses:manage_detail", args=["FZ2026-0914"])
    page = response.content.decode()
    assert "已创建培训项目“法治政府建设专题培训讲座”（FZ2026-0914，2026 年度）" in page
    assert "/admin/" not in page


def test_create_refuses_end_before_start_and_a_taken_code(client, organiser):
    make_programme(organiser=organiser, code="FZ2026-0914")
    client.force_login(organiser)
    page = client.post(
        reverse("courses:programme_create"), _programme_post(code="FZ2026-0915", end_date="2026-09-01")
    ).content.decode()
    assert "结束日期不能早于开始日期。" in page
    page = client.post(reverse("courses:programme_create"), _programme_post()).content.decode()
    assert "项目编号 FZ2026-0914 已存在，请换一个。" in page
    assert Programme.objects.count() == 1


def test_edit_moves_the_year_with_the_dates_and_refuses_dates_that_leave_a_session_out(client, organiser):
    programme = make_programme(organiser=organiser, with_session=False, code="SP2026-01")
    client.force_login(organiser)
    post = _programme_post(code="SP2026-01", start_date="2027-01-05", end_date="2027-01-08")
    response = client.post(reverse("courses:programme_edit", args=["SP2026-01"]), post, follow=True)
    assert "已保存项目" in response.content.decode()
    programme.refresh_from_db()
    assert (programme.year, programme.start_date) == (2027, datetime.date(2027, 1, 5))

    client.post(
        reverse("courses:session_create", args=["SP2026-01"]),
        {
            "title": "第一讲",
            "starts_at": "2027-01-05T09:00",
            "ends_at": "2027-01-05T11:30",
            "venue": "市教育局三楼会议室",
        },
    )
    page = client.post(
        reverse("courses:programme_edit", args=["SP2026-01"]),
        _programme_post(code="SP2026-01", start_date="2027-02-01", end_date="2027-02-02"),
    ).content.decode()
    assert "已有课次“第一讲”不在新的项目日期之内，请先调整课次。" in page
    programme.refresh_from_db()
    assert programme.start_date == datetime.date(2027, 1, 5)


def test_sessions_are_added_edited_and_removed_on_the_programme_page(client, organiser):
    make_programme(organiser=organiser, with_session=False, code="JS2026-01")
    programme = Programme.objects.get(code="JS2026-01")
    client.force_login(organiser)
    day = programme.start_date.isoformat()
    response = client.post(
        reverse("courses:session_create", args=["JS2026-01"]),
        {
            "title": "第一讲 宪法",
            "starts_at": f"{day}T09:00",
            "ends_at": f"{day}T11:30",
            "venue": "会议室",
            "lecturer": "王永浩",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("courses:manage_detail", args=["JS2026-01"])
    assert f"已添加课次“第一讲 宪法”（{day} 09:00–11:30）。" in response.content.decode()
    session = Session.objects.get(programme=programme)
    assert timezone.localtime(session.starts_at).hour == 9

    page = client.post(
        reverse("courses:session_edit", args=["JS2026-01", session.pk]),
        {"title": "第一讲 宪法", "starts_at": f"{day}T09:00", "ends_at": f"{day}T08:00"},
    ).content.decode()
    assert "结束时间必须晚于开始时间。" in page
    outside = (programme.end_date + datetime.timedelta(days=3)).isoformat()
    page = client.post(
        reverse("courses:session_edit", args=["JS2026-01", session.pk]),
        {"title": "第一讲 宪法", "starts_at": f"{outside}T09:00", "ends_at": f"{outside}T10:00"},
    ).content.decode()
    assert "课次时间必须在项目日期" in page
    session.refresh_from_db()
    assert timezone.localtime(session.ends_at).hour == 11

    response = client.post(reverse("courses:session_delete", args=["JS2026-01", session.pk]), follow=True)
    assert "已删除课次“第一讲 宪法”。" in response.content.decode()
    assert not Session.objects.filter(programme=programme).exists()


def test_a_session_with_check_ins_is_not_deleted(client, organiser):
    programme = make_programme(organiser=organiser, code="QD2026-01")
    session = programme.sessions.get()
    teacher = make_teacher()
    enrolment_create(actor=organiser, programme=programme, teacher=teacher, source="organiser")
    attendance_mark(actor=organiser, session=session, teacher=teacher, status="present", reason="")
    client.force_login(organiser)
    response = client.post(reverse("courses:session_delete", args=["QD2026-01", session.pk]), follow=True)
    assert "课次“第一讲”已有 1 条签到记录，不能删除；如时间有变，请修改课次。" in response.content.decode()
    assert Session.objects.filter(pk=session.pk).exists()


def test_copy_makes_next_years_edition_in_two_clicks(client, organiser):
    source = make_programme(organiser=organiser, code="FZ2026-0914", title="法治政府建设专题培训讲座")
    enrolment_create(actor=organiser, programme=source, teacher=make_teacher(), source="organiser")
    client.force_login(organiser)
    form = client.get(reverse("courses:programme_copy", args=["FZ2026-0914"])).content.decode()
    assert 'value="FZ2027-0914"' in form
    response = client.post(
        reverse("courses:programme_copy", args=["FZ2026-0914"]), {"code": "FZ2027-0914", "years": "1"}, follow=True
    )
    copy = Programme.objects.get(code="FZ2027-0914")
    assert response.redirect_chain[-1][0] == reverse("courses:manage_detail", args=["FZ2027-0914"])
    assert "已复制为 2027 年度的“法治政府建设专题培训讲座”（FZ2027-0914），含 1 个课次" in response.content.decode()
    assert copy.year == 2027 and copy.start_date == source.start_date.replace(year=2027)
    assert not copy.self_enrol_open and not copy.enrolments.exists()
    old, new = source.sessions.get(), copy.sessions.get()
    assert timezone.localtime(new.starts_at).time() == timezone.localtime(old.starts_at).time()
    assert timezone.localtime(new.starts_at).year == 2027

    page = client.post(
        reverse("courses:programme_copy", args=["FZ2026-0914"]), {"code": "FZ2027-0914", "years": "1"}
    ).content.decode()
    assert "项目编号 FZ2027-0914 已存在，请换一个。" in page
    assert Programme.objects.count() == 2


def test_closing_archives_the_programme_and_stops_self_enrolment(client, organiser, teacher):
    programme = make_programme(organiser=organiser, code="XF2026-01", self_enrol_open=True)
    client.force_login(organiser)
    response = client.post(reverse("courses:programme_close", args=["XF2026-01"]), follow=True)
    assert "已关闭项目" in response.content.decode()
    programme.refresh_from_db()
    assert programme.closed_at is not None and not programme.self_enrol_open
    assert "XF2026-01" not in client.get(reverse("courses:manage_list")).content.decode()
    assert "XF2026-01" in client.get(reverse("courses:manage_list") + "?closed=1").content.decode()


def test_another_units_organiser_and_the_bureau_cannot_change_it(client, organiser, other_organiser, bureau):
    make_programme(organiser=organiser, code="ZF2026-01")
    for user in (other_organiser, bureau):
        client.force_login(user)
        assert client.post(reverse("courses:programme_close", args=["ZF2026-01"])).status_code in (403, 404)
        assert client.get(reverse("courses:programme_edit", args=["ZF2026-01"])).status_code in (403, 404)
    client.force_login(bureau)
    assert client.get(reverse("courses:programme_create")).status_code == 403
    assert Programme.objects.get(code="ZF2026-01").closed_at is None


def test_an_online_session_with_its_material_on_the_programme_page(client, organiser, settings, tmp_path):
    """A 线上/自学 unit is set up beside the in-person ones: its mode, its study period, its material (a file of
    a kind a phone opens, or a link); without a material, or with a file that would run as a page on the site,
    it is refused in Chinese and nothing is written."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    make_programme(organiser=organiser, with_session=False, code="WL2026-01")
    programme = Programme.objects.get(code="WL2026-01")
    client.force_login(organiser)
    first, last = programme.start_date.isoformat(), programme.end_date.isoformat()
    url = reverse("courses:session_create", args=["WL2026-01"])
    unit = {
        "title": "第一单元 教师法解读",
        "delivery": "online",
        "starts_at": f"{first}T08:00",
        "ends_at": f"{last}T22:00",
    }

    page = client.post(url, unit).content.decode()
    assert "线上/自学课次请上传学习材料文件或填写学习材料链接。" in page
    page = client.post(url, {**unit, "material_file": SimpleUploadedFile("讲义.html", b"<script>alert(1)</script>")})
    assert "学习材料只能是 PDF、Word、PPT" in page.content.decode() and "不接受 .html 文件" in page.content.decode()
    assert not Session.objects.filter(programme=programme).exists()

    pdf = SimpleUploadedFile("教师法讲义.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    response = client.post(url, {**unit, "material_title": "教师法讲义", "material_file": pdf}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("courses:manage_detail", args=["WL2026-01"])
    page = response.content.decode()
    assert "已添加课次“第一单元 教师法解读”" in page and "线上/自学" in page and "材料：教师法讲义" in page
    session = Session.objects.get(programme=programme)
    assert session.is_online and session.material_file.name.endswith(".pdf")

    # Editing without a new file keeps the file; a link can be added beside it.
    edit = reverse("courses:session_edit", args=["WL2026-01", session.pk])
    form = client.get(edit).content.decode()
    assert 'enctype="multipart/form-data"' in form and "教师法讲义" in form
    assert "目前：" in form and "/media/" not in form  # the file by its name; teachers get it from the study page
    client.post(edit, {**unit, "material_title": "教师法讲义", "material_url": "https://example.org/jsf"})
    session.refresh_from_db()
    assert session.material_file.name.endswith(".pdf") and session.material_url == "https://example.org/jsf"

    # Deleting the file is refused while it would leave the unit without a material; with the link it is done.
    page = client.post(edit, {**unit, "material_title": "教师法讲义", "material_file-clear": "on"}).content.decode()
    assert "线上/自学课次请上传学习材料文件或填写学习材料链接。" in page
    session.refresh_from_db()
    assert session.material_file.name.endswith(".pdf")
    client.post(edit, {**unit, "material_url": "https://example.org/jsf", "material_file-clear": "on"})
    session.refresh_from_db()
    assert not session.material_file and session.material_url == "https://example.org/jsf"

    # A title change does not ask the storage about a file already stored, nor re-judge it by newer rules.
    Session.objects.filter(pk=session.pk).update(material_file="materials/2025/旧讲义.html")
    client.post(edit, {**unit, "title": "第一单元（修订）", "material_url": "https://example.org/jsf"})
    session.refresh_from_db()
    assert session.title == "第一单元（修订）" and session.material_file.name == "materials/2025/旧讲义.html"

    # An in-person session posted without a mode is an in-person one.
    client.post(url, {"title": "第二讲", "starts_at": f"{first}T09:00", "ends_at": f"{first}T11:00"})
    assert Session.objects.get(programme=programme, title="第二讲").delivery == "onsite"
