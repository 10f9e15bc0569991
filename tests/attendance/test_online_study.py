"""A 线上/自学 session: no QR; opening the material and confirming the study is the attendance that counts."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from attendance.models import CheckIn, MaterialOpening, Method, Status
from certificates.models import Certificate
from certificates.selectors import teacher_completion
from courses.services import enrolment_create, session_create
from reports.models import EnrolmentFact
from tests.factories import make_programme, make_teacher

BEIJING = datetime.timezone(datetime.timedelta(hours=8))
NOW = datetime.datetime(2026, 3, 20, 21, 0, tzinfo=BEIJING)


@pytest.fixture
def online(organiser, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW - datetime.timedelta(days=20), tick=False):
        programme = make_programme(
            organiser=organiser, title="教师法治素养网络研修", kind="online", with_session=False,
            start_date=datetime.date(2026, 3, 1), end_date=datetime.date(2026, 4, 30), credit_hours=Decimal("20"),
        )  # fmt: skip
        session = session_create(
            actor=organiser, programme=programme, title="网络研修", delivery="online",
            starts_at=datetime.datetime(2026, 3, 1, 8, tzinfo=BEIJING),
            ends_at=datetime.datetime(2026, 4, 30, 22, tzinfo=BEIJING),
            material_title="《教师法》解读", material_file=ContentFile(b"%PDF-1.4 study", name="jiaoshifa.pdf"),
        )  # fmt: skip
    return session


def test_an_online_session_needs_a_material(organiser):
    from django.core.exceptions import ValidationError

    programme = make_programme(organiser=organiser, with_session=False)
    start = timezone.make_aware(datetime.datetime.combine(programme.start_date, datetime.time(8)))
    with pytest.raises(ValidationError, match="学习材料"):
        session_create(
            actor=organiser, programme=programme, title="自学", delivery="online",
            starts_at=start, ends_at=start + datetime.timedelta(days=1),
        )  # fmt: skip


def test_studying_the_material_completes_the_programme_and_counts_everywhere(
    client, online, organiser, django_capture_on_commit_callbacks
):
    teacher = make_teacher(name="刘晓燕")
    with time_machine.travel(NOW, tick=False):
        enrolment_create(actor=teacher, programme=online.programme, teacher=teacher, source="self")
        client.force_login(teacher)
        page = client.get(reverse("courses:programme_detail", args=[online.programme.code])).content.decode()
        assert "线上学习" in page and reverse("attendance:study", args=[online.pk]) in page
        assert teacher_completion(programme=online.programme, teacher=teacher).missing == [
            "第1次课（网络研修）线上学习"
        ]

        # Confirming before opening the material is refused, and says what to do.
        refused = client.post(reverse("attendance:study", args=[online.pk])).content.decode()
        assert "请先打开学习材料" in refused and not CheckIn.objects.exists()

        material = client.get(reverse("attendance:study_material", args=[online.pk]))
        assert material.status_code == 200 and b"".join(material.streaming_content) == b"%PDF-1.4 study"
        assert MaterialOpening.objects.get(teacher=teacher).opened_at == NOW

        with django_capture_on_commit_callbacks(execute=True):
            done = client.post(reverse("attendance:study", args=[online.pk]), follow=True).content.decode()
        assert "已确认完成学习" in done and "计为出勤" in done

    record = CheckIn.objects.get(teacher=teacher, session=online)
    assert (record.status, record.method) == (Status.PRESENT, Method.STUDY)
    assert teacher_completion(programme=online.programme, teacher=teacher).done
    certificate = Certificate.objects.get(teacher=teacher, programme=online.programme)
    assert certificate.credit_hours == Decimal("20")
    fact = EnrolmentFact.objects.get(teacher=teacher, programme=online.programme)
    assert (fact.sessions_expected, fact.sessions_attended, fact.certified) == (1, 1, True)


def test_study_outside_the_period_or_by_scan_is_refused(client, online):
    teacher = make_teacher()
    with time_machine.travel(NOW, tick=False):
        enrolment_create(actor=teacher, programme=online.programme, teacher=teacher, source="self")
    client.force_login(teacher)
    with time_machine.travel(datetime.datetime(2026, 5, 1, 9, tzinfo=BEIJING), tick=False):
        page = client.get(reverse("attendance:study_material", args=[online.pk]), follow=True).content.decode()
    assert "学习已于 04月30日 22:00 结束" in page and not MaterialOpening.objects.exists()

    from attendance.services import CheckinRefused, checkin_record

    with time_machine.travel(NOW, tick=False), pytest.raises(CheckinRefused, match="无需扫码签到"):
        checkin_record(session=online, teacher=teacher, scanned_at=timezone.now())
