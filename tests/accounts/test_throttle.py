"""Sign-in throttling locks an account, not a school's shared address, and logs no ID number."""

import logging

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.factories import PASSWORD, make_teacher

pytestmark = pytest.mark.django_db


def _attempt(client, identifier, password, ip):
    return client.post(reverse("accounts:login"), {"username": identifier, "password": password}, REMOTE_ADDR=ip)


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=3)
def test_account_is_locked_but_colleagues_behind_the_same_address_are_not(client, caplog):
    victim, colleague = make_teacher(), make_teacher()
    with caplog.at_level(logging.DEBUG):
        for _ in range(3):
            _attempt(client, victim.id_number.lower(), "wrong-password", "10.1.1.1")
        locked = _attempt(client, victim.id_number, PASSWORD, "10.1.1.1")
    assert locked.status_code == 429 and "暂时锁定" in locked.content.decode()
    # The same account from another address is still locked (by account, not by address).
    assert _attempt(client, victim.mobile, PASSWORD, "10.9.9.9").status_code == 429
    # A colleague at the same school address signs in normally.
    assert _attempt(client, colleague.mobile, PASSWORD, "10.1.1.1").status_code == 302
    assert victim.id_number not in caplog.text and victim.id_number.lower() not in caplog.text
    from axes.models import AccessAttempt

    stored = " ".join(AccessAttempt.objects.values_list("username", flat=True))
    assert victim.id_number not in stored and victim.mobile not in stored


def test_axes_records_the_same_client_address_as_every_other_limit(client, settings):
    from axes.models import AccessAttempt

    settings.AXES_ENABLED = True  # one override mechanism only: mixing it with override_settings leaked
    teacher = make_teacher()
    client.post(
        reverse("accounts:login"),
        {"username": teacher.mobile, "password": "wrong-password"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.1",
    )
    assert AccessAttempt.objects.get().ip_address == "10.0.0.1"  # no trusted proxy: the header is ignored
    settings.TRUSTED_PROXY_COUNT = 1
    client.post(
        reverse("accounts:login"),
        {"username": teacher.mobile, "password": "wrong-password"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.2",
    )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.0.0.1", "198.51.100.2"}


def test_first_sign_in_guessing_is_throttled(client):
    teacher = make_teacher(password=None, mobile="13912345678")
    for _ in range(5):
        client.post(reverse("accounts:first_login"), {"id_number": teacher.id_number, "mobile": "13900000000"})
    blocked = client.post(reverse("accounts:first_login"), {"id_number": teacher.id_number, "mobile": "13912345678"})
    assert "失败次数过多" in blocked.content.decode()
    assert not client.session.get("_auth_user_id")


def test_production_settings_pass_the_deploy_check():
    import os
    import subprocess
    import sys

    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "training_site.settings.production",
        "SECRET_KEY": "x" * 20 + "production-secret-for-the-deploy-check-only-0123456789",
        "ALLOWED_HOSTS": "px.example.gov.cn",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    refused = subprocess.run(
        [sys.executable, "manage.py", "check"], env={**env, "SECRET_KEY": "short"}, capture_output=True, text=True
    )
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr


def test_collectstatic_works_with_production_settings(tmp_path):
    import os
    import subprocess
    import sys

    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "training_site.settings.production",
        "SECRET_KEY": "x" * 20 + "production-secret-for-the-deploy-check-only-0123456789",
        "ALLOWED_HOSTS": "px.example.gov.cn",
    }
    result = subprocess.run(
        [sys.executable, "-c", f"import django,os;from django.conf import settings;django.setup();settings.STATIC_ROOT={str(tmp_path)!r};"
         "from django.core.management import call_command;call_command('collectstatic','--noinput','-v','0')"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "staticfiles.json").exists()
