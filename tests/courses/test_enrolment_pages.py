"""Teachers' pages and the organiser's programme page, including every refusal."""

import datetime

import pytest
from django.urls import reverse

from courses.models import Enrolment, EnrolmentStatus
from courses.services import enrolment_create
from tests.factories import make_programme, make_teacher


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def test_teacher_home_lists_own_programmes_and_sessions(signed_in, teacher, programme):
    enrolment_create(actor=teacher, programme=programme, teacher=teacher, source="self")
    page = signed_in(teacher).get(reverse("home")).content.decode()
    assert "法治政府建设专题培训讲座" in page
    assert "第一讲" in page and "已报名" in page


def test_home_page_queries_do_not_grow_with_programmes(signed_in, teacher, organiser, django_assert_max_num_queries):
    for _ in range(6):
        programme = make_programme(organiser=organiser)
        enrolment_create(actor=teacher, programme=programme, teacher=teacher, source="self")
    client = signed_in(teacher)
    with django_assert_max_num_queries(8):
        client.get(reverse("home"))


def test_self_enrolment_from_catalogue(signed_in, teacher, programme):
    client = signed_in(teacher)
    assert programme.title in client.get(reverse("courses:catalogue")).content.decode()
    response = client.post(reverse("courses:enrol", args=[programme.code]), follow=True)
    assert "报名成功" in response.content.decode()
    assert Enrolment.objects.get(programme=programme, teacher=teacher).source == "self"


def test_duplicate_enrolment_is_refused(signed_in, teacher, programme):
    client = signed_in(teacher)
    client.post(reverse("courses:enrol", args=[programme.code]))
    response = client.post(reverse("courses:enrol", args=[programme.code]), follow=True)
    assert "无需重复报名" in response.content.decode()
    assert Enrolment.objects.filter(programme=programme, teacher=teacher).count() == 1


def test_closed_programme_refuses_self_enrolment(signed_in, teacher, organiser):
    closed = make_programme(organiser=organiser, self_enrol_open=False)
    enrolment_create(actor=organiser, programme=closed, teacher=make_teacher(), source="organiser")
    # Not visible in the catalogue; a direct POST answers 404 because the teacher cannot see it.
    client = signed_in(teacher)
    catalogue = client.get(reverse("courses:catalogue")).content.decode()
    assert reverse("courses:programme_detail", args=[closed.code]) not in catalogue
    assert client.post(reverse("courses:enrol", args=[closed.code])).status_code == 404
    assert not Enrolment.objects.filter(programme=closed, teacher=teacher).exists()


def test_programme_past_its_end_refuses_enrolment(signed_in, teacher, organiser):
    past = make_programme(
        organiser=organiser,
        with_session=False,
        start_date=datetime.date(2021, 9, 14),
        end_date=datetime.date(2021, 9, 14),
    )
    response = signed_in(teacher).post(reverse("courses:enrol", args=[past.code]), follow=True)
    assert "已于 2021-09-14 结束" in response.content.decode()
    assert not Enrolment.objects.filter(programme=past).exists()


def test_capacity_is_enforced(signed_in, organiser):
    small = make_programme(organiser=organiser, capacity=1)
    first, second = make_teacher(), make_teacher()
    signed_in(first).post(reverse("courses:enrol", args=[small.code]))
    response = signed_in(second).post(reverse("courses:enrol", args=[small.code]), follow=True)
    assert "名额已满" in response.content.decode()
    assert Enrolment.objects.filter(programme=small, status=EnrolmentStatus.ENROLLED).count() == 1


def test_cancel_then_enrol_again_reuses_the_record(signed_in, teacher, programme):
    client = signed_in(teacher)
    client.post(reverse("courses:enrol", args=[programme.code]))
    client.post(reverse("courses:cancel", args=[programme.code]))
    assert Enrolment.objects.get(teacher=teacher).status == EnrolmentStatus.CANCELLED
    client.post(reverse("courses:enrol", args=[programme.code]))
    assert Enrolment.objects.filter(teacher=teacher).count() == 1
    assert Enrolment.objects.get(teacher=teacher).status == EnrolmentStatus.ENROLLED


def test_teacher_cannot_open_organiser_pages_or_another_teachers_enrolment(
    signed_in, teacher, other_teacher, programme
):
    enrolment_create(actor=other_teacher, programme=programme, teacher=other_teacher, source="self")
    client = signed_in(teacher)
    assert client.get(reverse("courses:manage_list")).status_code == 403
    assert client.get(reverse("courses:manage_detail", args=[programme.code])).status_code == 403
    # The teacher's own home never shows someone else's enrolment.
    assert "李老师" not in client.get(reverse("home")).content.decode()


def test_organiser_sees_roster_with_masked_id_numbers(signed_in, organiser, programme, teacher):
    enrolment_create(actor=teacher, programme=programme, teacher=teacher, source="self")
    page = signed_in(organiser).get(reverse("courses:manage_detail", args=[programme.code])).content.decode()
    assert teacher.name in page
    assert teacher.masked_id_number in page
    assert teacher.id_number not in page


def test_organiser_adds_teacher_by_id_number_and_sees_errors(signed_in, organiser, programme):
    teacher = make_teacher()
    client = signed_in(organiser)
    url = reverse("courses:manage_detail", args=[programme.code])
    response = client.post(url, {"id_number": teacher.id_number.lower()}, follow=True)
    assert "已添加学员" in response.content.decode()
    assert Enrolment.objects.get(programme=programme, teacher=teacher).source == "organiser"
    again = client.post(url, {"id_number": teacher.id_number})
    assert "无需重复报名" in again.content.decode()
    unknown = client.post(url, {"id_number": "11010519491231002X"})
    assert "系统中没有这个身份证号的教师" in unknown.content.decode()


def test_organiser_of_another_unit_cannot_see_programme(signed_in, other_organiser, programme):
    client = signed_in(other_organiser)
    assert client.get(reverse("courses:manage_detail", args=[programme.code])).status_code == 404
    assert programme.title not in client.get(reverse("courses:manage_list")).content.decode()


def test_bureau_reads_every_programme_but_cannot_add(signed_in, bureau, programme):
    client = signed_in(bureau)
    assert programme.title in client.get(reverse("courses:manage_list")).content.decode()
    url = reverse("courses:manage_detail", args=[programme.code])
    assert client.get(url).status_code == 200
    assert client.post(url, {"id_number": make_teacher().id_number}).status_code == 403
    assert not Enrolment.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, programme):
    response = client.get(reverse("courses:catalogue"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_organiser_page_refuses_enrolment_by_id_into_an_ended_programme(signed_in, organiser):
    ended = make_programme(
        organiser=organiser, with_session=False, start_date=datetime.date(2021, 9, 14),
        end_date=datetime.date(2021, 9, 15), self_enrol_open=False,
    )  # fmt: skip
    victim = make_teacher()
    page = signed_in(organiser).post(
        reverse("courses:manage_detail", args=[ended.code]), {"id_number": victim.id_number}
    )
    assert page.status_code == 200 and "2021-09-15 结束，不能再添加学员" in page.content.decode()
    assert not Enrolment.objects.filter(teacher=victim).exists()


def test_a_teacher_cancels_only_what_they_enrolled_in_themselves(signed_in, teacher, organiser, programme):
    """One rule (courses.selectors.enrolment_can_cancel) for the page's button, the page's POST and the API."""
    from rest_framework.test import APIClient

    enrolment = enrolment_create(actor=organiser, programme=programme, teacher=teacher, source="organiser")
    client = signed_in(teacher)
    page = client.get(reverse("courses:programme_detail", args=[programme.code])).content.decode()
    assert "取消报名" not in page
    refused = client.post(reverse("courses:cancel", args=[programme.code]), follow=True).content.decode()
    assert "该报名由组织者安排或项目已结束，不能自行取消" in refused
    api = APIClient()
    api.force_authenticate(teacher)
    refused = api.post(f"/api/enrolments/{enrolment.pk}/cancel/")
    assert refused.status_code == 403 and "组织者安排" in refused.json()["detail"]
    assert Enrolment.objects.get(pk=enrolment.pk).status == EnrolmentStatus.ENROLLED
    # The organiser may; after that the teacher enrols themselves and may cancel that one.
    api.force_authenticate(organiser)
    assert api.post(f"/api/enrolments/{enrolment.pk}/cancel/").status_code == 200
    client.post(reverse("courses:enrol", args=[programme.code]))
    assert "取消报名" in client.get(reverse("courses:programme_detail", args=[programme.code])).content.decode()
    client.post(reverse("courses:cancel", args=[programme.code]))
    assert Enrolment.objects.get(pk=enrolment.pk).status == EnrolmentStatus.CANCELLED
