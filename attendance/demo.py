"""Demo attendance: past programmes' check-ins (most trainees scanned in, a few late or absent) and
check-in windows for this year's demo sessions, written through the attendance services."""

import datetime
import random

from django.utils import timezone

from accounts.models import User
from courses.demo import current_specs
from courses.models import Enrolment, EnrolmentStatus, Programme

from .models import CheckIn, Method, Status
from .services import RecordedCheckin, attendance_rule_set, checkins_bulk_record


def seed_programme_attendance(
    *, programme: Programme, actor: User, rng: random.Random, attend_rate: float = 0.93
) -> int:
    """Check-ins for a past programme, unless it has some already. Returns how many were written."""
    if CheckIn.objects.filter(session__programme=programme).exists():
        return 0
    teachers = list(
        Enrolment.objects.filter(programme=programme, status=EnrolmentStatus.ENROLLED)
        .order_by("teacher_id")
        .values_list("teacher_id", flat=True)
    )
    written = 0
    for session in programme.sessions.order_by("starts_at"):
        records = []
        for teacher_id in teachers:
            if rng.random() > attend_rate:
                continue
            late = rng.random() < 0.05
            offset = datetime.timedelta(minutes=rng.randint(11, 25) if late else -rng.randint(0, 25))
            records.append(
                RecordedCheckin(
                    teacher_id=teacher_id,
                    status=Status.LATE if late else Status.PRESENT,
                    checked_in_at=session.starts_at + offset,
                    method=Method.QR,
                )  # fmt: skip
            )
        written += checkins_bulk_record(actor=actor, session=session, records=records)
    return written


def open_current_sessions(*, actor: User, today: datetime.date) -> int:
    """This year's demo sessions marked open_all_session take check-ins for their whole length (the
    online unit, today's lecture), so the projector and a phone can be tried whenever the demo runs."""
    opened = 0
    for spec in current_specs(today):
        programme = Programme.objects.filter(code=spec["code"]).first()
        if programme is None:
            continue
        sessions = {(s.title, s.starts_at): s for s in programme.sessions.all()}
        for item in spec["sessions"]:
            session = sessions.get((item["title"], item["starts_at"]))
            if session is None or not item["open_all_session"] or hasattr(session, "attendance_rule"):
                continue
            minutes = int((session.ends_at - session.starts_at).total_seconds() // 60)
            start = timezone.localtime(session.starts_at)
            midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
            attendance_rule_set(
                actor=actor, session=session, closes_after_start_minutes=minutes,
                late_after_minutes=minutes, opens_before_minutes=int((start - midnight).total_seconds() // 60),
            )  # fmt: skip
            opened += 1
    return opened
