"""Demo attendance for past programmes: most trainees scanned in, a few late or absent."""

import datetime
import random

from django.db import transaction

from courses.models import Enrolment, EnrolmentStatus, Programme

from .models import CheckIn, Method, Status


@transaction.atomic
def seed_programme_attendance(*, programme: Programme, rng: random.Random, attend_rate: float = 0.93) -> int:
    """Check-ins for a past programme, unless it has some already. Returns how many were written."""
    if CheckIn.objects.filter(session__programme=programme).exists():
        return 0
    teachers = list(
        Enrolment.objects.filter(programme=programme, status=EnrolmentStatus.ENROLLED)
        .order_by("teacher_id")
        .values_list("teacher_id", flat=True)
    )
    rows = []
    for session in programme.sessions.order_by("starts_at"):
        for teacher_id in teachers:
            if rng.random() > attend_rate:
                continue
            late = rng.random() < 0.05
            offset = datetime.timedelta(minutes=rng.randint(11, 25) if late else -rng.randint(0, 25))
            rows.append(
                CheckIn(
                    session=session,
                    teacher_id=teacher_id,
                    status=Status.LATE if late else Status.PRESENT,
                    method=Method.QR,
                    checked_in_at=session.starts_at + offset,
                )  # fmt: skip
            )
    CheckIn.objects.bulk_create(rows, batch_size=2000)
    return len(rows)
