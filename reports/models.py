"""The bureau's read-model: one narrow row per active enrolment, derived from the records."""

from django.conf import settings
from django.db import models

from courses.models import Programme


class EnrolmentFact(models.Model):
    """One row per active enrolment with what the dashboard counts, kept up to date.

    The bureau's figures are aggregates over this narrow table instead of ten passes over
    enrolments with per-row subqueries (bench/dashboard.py: 17 s → under 300 ms at 300,000).
    reports.facts keeps it equal to the direct computation (tested).
    """

    # A summary derived from the records, not a record: its keys are not checked by the database
    # (three foreign-key checks per row cost a fifth of a 20,000-row roster import's commit); the
    # ORM still deletes a fact with its enrolment, programme or teacher.
    enrolment = models.OneToOneField(
        "courses.Enrolment", on_delete=models.CASCADE, primary_key=True, related_name="+", db_constraint=False
    )
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )
    year = models.PositiveSmallIntegerField()
    level = models.CharField(max_length=16)
    district = models.CharField(max_length=20, blank=True)
    school = models.CharField(max_length=100, blank=True)
    start_month = models.PositiveSmallIntegerField()
    certified = models.BooleanField(default=False)
    credit_hours = models.DecimalField(max_digits=5, decimal_places=1, default=0)
    certificate_month = models.PositiveSmallIntegerField(null=True)
    sessions_expected = models.PositiveSmallIntegerField(default=0)
    sessions_attended = models.PositiveSmallIntegerField(default=0)
    has_quiz = models.BooleanField(default=False)
    took_quiz = models.BooleanField(default=False)
    passed_quiz = models.BooleanField(default=False)
    # Exactly one fact per teacher and year (and per teacher, year and level) is marked: the one with
    # the lowest enrolment id. Distinct-teacher counts become plain counts of marked rows, grouped by
    # anything that belongs to the teacher (district, school) — no per-group sort of 300,000 ids.
    first_of_year = models.BooleanField(default=False)
    first_of_level = models.BooleanField(default=False)

    class Meta:
        db_table = "certificates_enrolmentfact"  # created by the certificates app before reports had its own
        verbose_name = "完成情况汇总"
        verbose_name_plural = "完成情况汇总"
        indexes = [models.Index(fields=["year", "district", "school"])]

    def __str__(self) -> str:
        return f"{self.programme_id}/{self.teacher_id}"
