# The dashboard's read-model, taken over from the certificates app with its table and rows
# (certificates_enrolmentfact): the model enters this app's state only; nothing in the database changes.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("certificates", "0006_enrolmentfact_to_reports"),
        ("courses", "0003_enrolment_fewer_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="EnrolmentFact",
                    fields=[
                        ("enrolment", models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name="+", serialize=False, to="courses.enrolment")),
                        ("year", models.PositiveSmallIntegerField()),
                        ("level", models.CharField(max_length=16)),
                        ("district", models.CharField(blank=True, max_length=20)),
                        ("school", models.CharField(blank=True, max_length=100)),
                        ("start_month", models.PositiveSmallIntegerField()),
                        ("certified", models.BooleanField(default=False)),
                        ("credit_hours", models.DecimalField(decimal_places=1, default=0, max_digits=5)),
                        ("certificate_month", models.PositiveSmallIntegerField(null=True)),
                        ("sessions_expected", models.PositiveSmallIntegerField(default=0)),
                        ("sessions_attended", models.PositiveSmallIntegerField(default=0)),
                        ("has_quiz", models.BooleanField(default=False)),
                        ("took_quiz", models.BooleanField(default=False)),
                        ("passed_quiz", models.BooleanField(default=False)),
                        ("first_of_year", models.BooleanField(default=False)),
                        ("first_of_level", models.BooleanField(default=False)),
                        ("programme", models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to="courses.programme")),
                        ("teacher", models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "verbose_name": "完成情况汇总",
                        "verbose_name_plural": "完成情况汇总",
                        "db_table": "certificates_enrolmentfact",
                        "indexes": [models.Index(fields=["year", "district", "school"], name="certificate_year_1356ae_idx")],
                    },
                ),
            ],
        ),
    ]
