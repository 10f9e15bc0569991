"""Test data built through the same services the product uses."""

import datetime
import itertools
import threading
from decimal import Decimal

from django.utils import timezone

from accounts.identity import id_check_char
from accounts.models import OrganisingUnit, Role, User
from accounts.services import teacher_create
from courses.models import Programme
from courses.services import programme_create, session_create

_sequence = itertools.count(1)
PASSWORD = "s3cret-pass-2021"


def valid_id_number(n: int | None = None, region: str = "411002", birth: str = "19850315") -> str:
    n = next(_sequence) if n is None else n
    first17 = f"{region}{birth}{n % 1000:03d}"
    return first17 + id_check_char(first17)


def make_teacher(*, password: str | None = PASSWORD, **fields) -> User:
    n = next(_sequence)
    defaults = {
        "name": f"教师{n}",
        "id_number": valid_id_number(n, birth=f"19{70 + n // 1000 % 30}0101"),
        "mobile": f"137{n:08d}",
        "school": "许昌市第一中学",
        "district": "魏都区",
        "subject": "语文",
        "title": "一级教师",
    }
    return teacher_create(**{**defaults, **fields}, password=password)


def make_unit(name: str = "许昌市教育局教师工作科") -> OrganisingUnit:
    unit, _ = OrganisingUnit.objects.get_or_create(name=name)
    return unit


def make_staff(*, role: str, unit: OrganisingUnit | None = None, username: str | None = None, **extra) -> User:
    username = username or f"{role}{next(_sequence)}"
    return User.objects.create_user(
        username=username, password=PASSWORD, name=username, role=role, unit=unit, is_staff=True, **extra
    )


def make_organiser(unit: OrganisingUnit | None = None, **extra) -> User:
    return make_staff(role=Role.ORGANISER, unit=unit or make_unit(), **extra)


def make_bureau(**extra) -> User:
    return make_staff(role=Role.BUREAU, **extra)


def make_bank_manager(**extra) -> User:
    """The bureau's question-bank manager: a bureau account holding the bank permission."""
    from exams.question_io import bank_manager_grant

    manager = make_bureau(**extra)
    bank_manager_grant(manager)
    return manager


def make_programme(*, organiser: User, with_session: bool = True, **fields) -> Programme:
    today = timezone.localdate()
    defaults = {
        "code": f"T{next(_sequence):04d}",
        "title": "法治专题培训",
        "level": "municipal",
        "kind": "lecture",
        "start_date": today,
        "end_date": today + datetime.timedelta(days=2),
        "credit_hours": Decimal("3"),
        "self_enrol_open": True,
    }
    programme = programme_create(actor=organiser, **{**defaults, **fields})
    if with_session:
        start = timezone.make_aware(datetime.datetime.combine(programme.start_date, datetime.time(9)))
        session_create(
            actor=organiser,
            programme=programme,
            title="第一讲",
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=2),
            venue="会议室",
            lecturer="王永浩",
        )
    return programme


def enrol_by_organiser(*, organiser: User, programme: Programme, teacher: User):
    """Enrol as the organiser would have done while the programme ran (the service refuses
    enrolment by ID number into an ended programme), for tests set in the past, such as 2021."""
    import time_machine

    from courses.services import enrolment_create

    before = timezone.make_aware(datetime.datetime.combine(programme.start_date, datetime.time(8)))
    with time_machine.travel(min(before, timezone.now()), tick=False):
        return enrolment_create(actor=organiser, programme=programme, teacher=teacher, source="organiser")


def run_in_threads(target, args_list) -> None:
    """One thread per args tuple, all started, then all joined (the concurrency tests on PostgreSQL)."""
    threads = [threading.Thread(target=target, args=args) for args in args_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def at_once(target, args_list) -> list:
    """Call target(*args) for every args tuple, each in its own thread and database connection, all
    released together by a barrier; returns what each call returned or raised, in order."""
    from django.db import connection

    barrier = threading.Barrier(len(args_list))
    outcomes: list = [None] * len(args_list)

    def one(index, args):
        try:
            barrier.wait()
            outcomes[index] = target(*args)
        except Exception as error:  # noqa: BLE001 - returned to the test, which asserts on it
            outcomes[index] = error
        finally:
            connection.close()

    run_in_threads(one, list(enumerate(args_list)))
    return outcomes
