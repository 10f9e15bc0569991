"""Faults: the database going away mid-request, an import killed midway, backup and restore."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from accounts.models import User
from courses.models import Enrolment
from tests.factories import valid_id_number
from tests.faults import database_dies_at
from tests.rosters import roster_bytes


def test_database_lost_during_a_roster_commit_leaves_nothing_and_says_so(client, organiser, programme):
    client.force_login(organiser)
    data = roster_bytes(
        [
            ["甲", valid_id_number(301), "13911110000", "学校", "魏都区"],
            ["乙", valid_id_number(302), "13911110001", "学校", "魏都区"],
        ]
    )
    preview = client.post(
        reverse("courses:roster_upload", args=[programme.code]), {"file": SimpleUploadedFile("a.xlsx", data)}
    )
    token = preview.context["token"]
    client.raise_request_exception = False
    # the last write of the commit, after the teachers and enrolments (PostgreSQL writes those by COPY,
    # which Django's execute wrappers do not see)
    with database_dies_at("INSERT INTO certificates_enrolmentfact"):
        response = client.post(reverse("courses:roster_confirm", args=[programme.code]), {"token": token})
    assert response.status_code == 503
    assert "数据库暂时无法连接" in response.content.decode() and response["Retry-After"] == "30"
    assert not User.objects.filter(id_number__in=[valid_id_number(301), valid_id_number(302)]).exists()
    assert not Enrolment.objects.exists()


def test_database_lost_during_an_api_write_answers_503_json(organiser, programme):
    from rest_framework.test import APIClient

    api = APIClient(raise_request_exception=False)
    api.force_authenticate(organiser)
    with database_dies_at('UPDATE "courses_programme"'):
        response = api.patch(f"/api/programmes/{programme.code}/", {"title": "新名称"}, format="json")
    assert response.status_code == 503 and "数据库暂时无法连接" in response.json()["detail"]
    programme.refresh_from_db()
    assert programme.title == "法治政府建设专题培训讲座"


@pytest.mark.django_db(transaction=True)
def test_import_killed_midway_leaves_nothing(tmp_path):
    import os
    import signal
    import subprocess
    import sys

    from tests.factories import make_organiser, make_programme, make_unit

    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("a separate process cannot see the in-memory SQLite test database; runs on PostgreSQL in CI")
    organiser = make_organiser(make_unit())
    programme = make_programme(organiser=organiser)
    rows = [
        [f"教师{i}", valid_id_number(i, birth=f"19{70 + i // 1000 % 30}0101"), "", "学校", "魏都区"]
        for i in range(6000)
    ]
    path = tmp_path / "big.xlsx"
    path.write_bytes(roster_bytes(rows))
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        if connection.vendor == "postgresql"
        else f"sqlite:///{db['NAME']}"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "training_site.settings.test", "DATABASE_URL": url}
    process = subprocess.Popen(
        [sys.executable, "-u", "manage.py", "import_roster", str(path), "--programme", programme.code, "--as-user", organiser.username, "--verbosity", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    for line in process.stdout:
        if "正在写入" in line:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert not Enrolment.objects.filter(programme=programme).exists()
    assert not User.objects.filter(name__startswith="教师").exists()


def _counts(cursor, tables):
    counts = {}
    for table in tables:
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


@pytest.mark.django_db(transaction=True)
def test_backup_then_restore_into_a_fresh_database_keeps_every_row(tmp_path):
    import io
    import shutil
    import sqlite3
    import subprocess

    from django.core.management import call_command

    from tests.certificates.conftest import attend, enrol
    from tests.factories import make_organiser, make_programme, make_unit

    organiser = make_organiser(make_unit())
    programme = make_programme(organiser=organiser)
    for i in range(5):
        attend(programme, enrol(programme, organiser, name=f"学员{i}"))
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        before = _counts(cursor, tables)
    assert before["courses_enrolment"] == 5 and before["attendance_checkin"] == 5

    backup = tmp_path / "backup.dump"
    call_command("backup_db", str(backup), stdout=io.StringIO())
    if connection.vendor == "sqlite":
        restored = sqlite3.connect(backup)  # restoring SQLite is putting this file in place
        after = _counts(restored.cursor(), tables)
        restored.close()
    else:
        import psycopg

        db = connection.settings_dict
        fresh = f"{db['NAME']}_restore"
        dsn = {"host": db["HOST"], "port": db["PORT"], "user": db["USER"], "password": db["PASSWORD"] or None}
        with psycopg.connect(**dsn, dbname="postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
            admin.execute(f'CREATE DATABASE "{fresh}"')
        try:
            subprocess.run(
                [
                    shutil.which("pg_restore"),
                    "--no-owner",
                    "-h",
                    db["HOST"],
                    "-p",
                    str(db["PORT"]),
                    "-U",
                    db["USER"],
                    "-d",
                    fresh,
                    str(backup),
                ],
                check=True,
            )
            with psycopg.connect(**dsn, dbname=fresh) as restored:
                after = _counts(restored.cursor(), tables)
        finally:
            with psycopg.connect(**dsn, dbname="postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{fresh}"')
    assert after == before
