"""Capacity under simultaneous enrolment: real threads on PostgreSQL."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from courses.models import Enrolment
from courses.services import enrolment_create
from tests.factories import make_organiser, make_programme, make_teacher, make_unit, run_in_threads


@pytest.mark.django_db(transaction=True)
def test_capacity_holds_when_many_enrol_at_once(postgres_only):
    organiser = make_organiser(make_unit())
    programme = make_programme(organiser=organiser, capacity=5)
    teachers = [make_teacher() for _ in range(20)]
    barrier = threading.Barrier(len(teachers))
    outcomes = []

    def enrol(teacher):
        try:
            barrier.wait()
            enrolment_create(actor=teacher, programme=programme, teacher=teacher, source="self")
            outcomes.append("ok")
        except ValidationError as error:
            outcomes.append("full" if "名额已满" in str(error) else str(error))
        finally:
            connection.close()

    run_in_threads(enrol, [(t,) for t in teachers])
    assert outcomes.count("ok") == 5
    assert outcomes.count("full") == 15
    assert Enrolment.objects.filter(programme=programme).count() == 5


@pytest.mark.django_db(transaction=True)
def test_simultaneous_double_enrolment_gives_one_record(postgres_only):
    organiser = make_organiser(make_unit())
    programme = make_programme(organiser=organiser)
    teacher = make_teacher()
    barrier = threading.Barrier(8)
    outcomes = []

    def enrol():
        try:
            barrier.wait()
            enrolment_create(actor=teacher, programme=programme, teacher=teacher, source="self")
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("duplicate")
        finally:
            connection.close()

    run_in_threads(enrol, [()] * 8)
    assert outcomes.count("ok") == 1
    assert Enrolment.objects.filter(programme=programme, teacher=teacher).count() == 1
