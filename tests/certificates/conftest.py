import datetime

import pytest
from django.utils import timezone

from attendance.services import checkin_record, checkout_record
from certificates.services import completion_rule_set
from courses.services import enrolment_create, session_create
from tests.factories import make_programme, make_teacher


@pytest.fixture
def course(organiser):
    """A two-session programme that started yesterday, with a completion rule (all sessions)."""
    today = timezone.localdate()
    programme = make_programme(
        organiser=organiser, title="法治政府建设专题培训", with_session=False,
        start_date=today - datetime.timedelta(days=1), end_date=today + datetime.timedelta(days=1),
    )  # fmt: skip
    for offset, title in ((-1, "第一讲"), (0, "第二讲")):
        start = timezone.make_aware(
            datetime.datetime.combine(today + datetime.timedelta(days=offset), datetime.time(9))
        )
        session_create(
            actor=organiser,
            programme=programme,
            title=title,
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=2),
        )
    completion_rule_set(actor=None, programme=programme, auto_issue=False)
    return programme


def enrol(programme, organiser, name="王永浩"):
    teacher = make_teacher(name=name)
    enrolment_create(actor=organiser, programme=programme, teacher=teacher, source="organiser")
    return teacher


def attend(programme, teacher, sessions=None, *, checkout=False):
    for session in sessions or programme.sessions.all():
        checkin_record(session=session, teacher=teacher, scanned_at=session.starts_at)
        if checkout:
            checkout_record(session=session, teacher=teacher, scanned_at=session.ends_at)
