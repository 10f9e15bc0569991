import datetime
import zoneinfo

import pytest
import time_machine

from tests.factories import enrol_by_organiser, make_programme, make_teacher

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
START = datetime.datetime(2021, 9, 14, 9, 0, tzinfo=SHANGHAI)


def at(hour: int, minute: int = 0, second: int = 0) -> datetime.datetime:
    return START.replace(hour=hour, minute=minute, second=second)


@pytest.fixture
def lecture(organiser):
    """The 2021-09-14 lecture: one session 09:00–11:30, check-in 08:30–09:30, late after 09:10."""
    return make_programme(
        organiser=organiser,
        title="法治政府建设专题培训讲座",
        start_date=datetime.date(2021, 9, 14),
        end_date=datetime.date(2021, 9, 14),
        self_enrol_open=False,
    )


@pytest.fixture
def session(lecture):
    session = lecture.sessions.get()
    assert session.starts_at == START
    return session


@pytest.fixture
def enrolled(lecture, organiser):
    teacher = make_teacher(name="王永浩")
    enrol_by_organiser(organiser=organiser, programme=lecture, teacher=teacher)
    return teacher


@pytest.fixture
def frozen():
    travellers = []

    def freeze(moment):
        traveller = time_machine.travel(moment, tick=False)
        traveller.start()
        travellers.append(traveller)

    yield freeze
    for traveller in reversed(travellers):
        traveller.stop()
