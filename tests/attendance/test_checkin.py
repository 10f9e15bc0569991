"""QR check-in through the phone pages, with frozen time."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from attendance import tokens
from attendance.models import AttendanceRule, CheckIn, SameDeviceRule
from courses.models import Enrolment
from tests.attendance.conftest import at
from tests.factories import (
    PASSWORD,
    enrol_by_organiser,
    make_organiser,
    make_programme,
    make_teacher,
    run_in_threads,
)


def scan_url(session, moment, kind="in"):
    return reverse("attendance:scan", args=[tokens.make_token(session_id=session.pk, kind=kind, moment=moment)])


def scan(client, url):
    return client.get(url, follow=True)


def test_on_time_scan_signed_in(client, session, enrolled, frozen):
    frozen(at(8, 55))
    client.force_login(enrolled)
    page = scan(client, scan_url(session, at(8, 55)))
    assert page.status_code == 200
    assert "签到成功" in page.content.decode()
    assert page.redirect_chain == []  # signed in: checked in by the scan's own request
    record = CheckIn.objects.get(session=session, teacher=enrolled)
    assert record.status == "present" and record.checked_in_at == at(8, 55)
    assert record.device_id and client.cookies["att_device"].value == record.device_id  # the new phone's id, kept


def test_device_cookie_is_secure_when_the_session_cookie_is(client, session, enrolled, frozen, settings):
    """Attack 6: the same-phone cookie travelled over plain HTTP in production."""
    frozen(at(8, 55))
    client.force_login(enrolled)
    scan(client, scan_url(session, at(8, 55)))
    assert not client.cookies["att_device"]["secure"]  # development over http://127.0.0.1
    settings.SESSION_COOKIE_SECURE = True  # as in training_site.settings.production
    client.cookies.pop("att_device")
    scan(client, scan_url(session, at(8, 56)))
    cookie = client.cookies["att_device"]
    assert cookie["secure"] and cookie["httponly"] and cookie["samesite"] == "Lax"


def test_previous_step_accepted_older_refused(client, session, enrolled, frozen):
    rotation = tokens.rotation_seconds()
    frozen(at(8, 55))
    previous = scan_url(session, at(8, 55) - datetime.timedelta(seconds=rotation))
    stale = scan_url(session, at(8, 55) - datetime.timedelta(seconds=rotation * 2))
    client.force_login(enrolled)
    expired = client.get(stale)
    assert expired.status_code == 410 and "二维码已过期" in expired.content.decode()
    assert not CheckIn.objects.exists()
    assert "签到成功" in scan(client, previous).content.decode()


def test_tampered_or_other_session_token_refused(client, session, enrolled, organiser, frozen):
    frozen(at(8, 55))
    client.force_login(enrolled)
    token = tokens.make_token(session_id=session.pk, kind="in", moment=at(8, 55))
    other_session_id = session.pk + 1
    forged = f"{other_session_id}{token[len(str(session.pk)) :]}"
    for bad in (forged, token[:-2] + "xx", "garbage", token.replace(".in.", ".out.")):
        response = client.get(f"/a/{bad}/")
        assert response.status_code == 400, bad
        assert "二维码无效" in response.content.decode() or "不完整" in response.content.decode()
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize(
    ("moment", "status", "text"),
    [
        (at(8, 20), 403, "签到尚未开始"),
        (at(9, 31), 403, "签到已于"),
    ],
)
def test_outside_the_window_is_refused(client, session, enrolled, frozen, moment, status, text):
    frozen(moment)
    client.force_login(enrolled)
    response = scan(client, scan_url(session, moment))
    assert response.status_code == status and text in response.content.decode()
    assert not CheckIn.objects.exists()


def test_late_after_the_late_mark(client, session, enrolled, frozen):
    frozen(at(9, 15))
    client.force_login(enrolled)
    assert "迟到" in scan(client, scan_url(session, at(9, 15))).content.decode()
    assert CheckIn.objects.get().status == "late"


def test_per_session_window_rule(client, session, enrolled, frozen):
    AttendanceRule.objects.create(
        session=session, opens_before_minutes=60, closes_after_start_minutes=45, late_after_minutes=0
    )
    frozen(at(8, 5))
    client.force_login(enrolled)
    assert "签到成功" in scan(client, scan_url(session, at(8, 5))).content.decode()


def test_scan_then_sign_in_completes_within_grace(client, session, enrolled, frozen):
    frozen(at(8, 50))
    response = client.get(scan_url(session, at(8, 50)))
    assert response.status_code == 302
    login_page = client.get(response["Location"], follow=True).content.decode()
    assert "登录" in login_page
    # The sign-in page says which session's check-in is waiting, and that it completes after signing in.
    assert "签到等待中：</b>法治政府建设专题培训讲座 · " in login_page and "签到将在登录后自动完成" in login_page
    # Three minutes later (the code on the screen has long rotated) the teacher signs in.
    frozen(at(8, 53))
    done = client.post(
        reverse("accounts:login") + "?next=/attendance/complete/",
        {"username": enrolled.mobile, "password": PASSWORD, "next": "/attendance/complete/"},
        follow=True,
    )
    assert "签到成功" in done.content.decode()
    assert CheckIn.objects.get().checked_in_at == at(8, 50)  # the scan time counts


def test_scan_then_sign_in_after_grace_is_refused(client, session, enrolled, frozen):
    frozen(at(8, 50))
    client.get(scan_url(session, at(8, 50)))
    frozen(at(8, 56))
    done = client.post(
        reverse("accounts:login"),
        {"username": enrolled.mobile, "password": PASSWORD, "next": "/attendance/complete/"},
        follow=True,
    )
    assert done.status_code == 410 and "已超过 5 分钟" in done.content.decode()
    assert not CheckIn.objects.exists()


def test_first_sign_in_detour_completes_the_check_in(client, session, lecture, organiser, frozen):
    teacher = make_teacher(password=None, mobile="13911223344")
    enrol_by_organiser(organiser=organiser, programme=lecture, teacher=teacher)
    frozen(at(8, 45))
    client.get(scan_url(session, at(8, 45)))
    client.post(
        reverse("accounts:first_login"),
        {"id_number": teacher.id_number, "mobile": "13911223344", "next": "/attendance/complete/"},
    )
    frozen(at(8, 48))
    done = client.post(
        reverse("accounts:set_password") + "?next=/attendance/complete/",
        {"new_password1": "new-pass-2021", "new_password2": "new-pass-2021", "next": "/attendance/complete/"},
        follow=True,
    )
    assert "签到成功" in done.content.decode()
    assert CheckIn.objects.filter(teacher=teacher).count() == 1


def test_not_enrolled_refused_without_walk_ins(client, session, frozen):
    stranger = make_teacher()
    frozen(at(8, 55))
    client.force_login(stranger)
    response = scan(client, scan_url(session, at(8, 55)))
    assert response.status_code == 403 and "您没有报名" in response.content.decode()
    assert not CheckIn.objects.exists() and not Enrolment.objects.filter(teacher=stranger).exists()


def test_walk_in_enrols_on_the_spot(client, session, lecture, frozen):
    lecture.allow_walk_in = True
    lecture.save()
    stranger = make_teacher()
    frozen(at(8, 55))
    client.force_login(stranger)
    page = scan(client, scan_url(session, at(8, 55))).content.decode()
    assert "签到成功" in page and "现场签到" in page
    assert Enrolment.objects.get(teacher=stranger).source == "walk_in"
    assert CheckIn.objects.get(teacher=stranger).note == "现场签到报名"


def test_double_scan_gives_one_record_and_says_already(client, session, enrolled, frozen):
    frozen(at(8, 55))
    client.force_login(enrolled)
    scan(client, scan_url(session, at(8, 55)))
    frozen(at(8, 58))
    again = scan(client, scan_url(session, at(8, 58))).content.decode()
    assert "已签到" in again and "08:55" in again
    assert CheckIn.objects.count() == 1


def test_disabled_account_and_organiser_cannot_check_in(client, session, enrolled, organiser, frozen):
    frozen(at(8, 55))
    client.force_login(organiser)
    response = scan(client, scan_url(session, at(8, 55)))
    assert response.status_code == 403 and "只有启用的教师账号" in response.content.decode()
    assert not CheckIn.objects.exists()


def test_same_device_flagged_then_refused(client, session, lecture, organiser, frozen):
    first, second, third = make_teacher(), make_teacher(), make_teacher()
    for teacher in (first, second, third):
        enrol_by_organiser(organiser=organiser, programme=lecture, teacher=teacher)
    frozen(at(8, 55))
    client.force_login(first)
    scan(client, scan_url(session, at(8, 55)))
    assert client.cookies["att_device"].value
    client.force_login(second)  # the same phone, another account
    scan(client, scan_url(session, at(8, 55)))
    flagged = CheckIn.objects.get(teacher=second)
    assert "同一手机" in flagged.flag and first.name in flagged.flag
    AttendanceRule.objects.create(session=session, same_device_rule=SameDeviceRule.REFUSE)
    client.force_login(third)
    refused = scan(client, scan_url(session, at(8, 55)))
    assert refused.status_code == 403 and "不能代签" in refused.content.decode()
    assert not CheckIn.objects.filter(teacher=third).exists()


def test_network_ranges_flag_outsiders(client, session, enrolled, frozen):
    AttendanceRule.objects.create(session=session, allowed_networks="10.20.0.0/16")
    frozen(at(8, 55))
    client.force_login(enrolled)
    scan(client, scan_url(session, at(8, 55)))
    assert "不在会场网络范围" in CheckIn.objects.get().flag


def test_check_out_and_attended_minutes(client, session, enrolled, frozen):
    from attendance.selectors import attended_minutes

    frozen(at(8, 55))
    client.force_login(enrolled)
    scan(client, scan_url(session, at(8, 55)))
    frozen(at(10, 50))
    page = scan(client, scan_url(session, at(10, 50), kind="out")).content.decode()
    assert "签退成功" in page
    record = CheckIn.objects.get()
    assert attended_minutes(record, session) == 110  # counted from the start at 09:00, not the 08:55 scan


def test_code_lockout_counts_per_teacher_over_a_window_and_a_success_resets_nothing(client, session, enrolled, frozen):
    """Attack 4: four wrong codes, one right one, four more wrong - the old lockout reset on the
    right code, so guessing never stopped. Now the fifth failure locks for the window."""
    frozen(at(8, 31))
    client.force_login(enrolled)
    right = tokens.session_code(session.pk)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(4):
        assert client.post(reverse("attendance:code"), {"code": wrong}).status_code == 400
    assert "签到成功" in client.post(reverse("attendance:code"), {"code": right}).content.decode()
    assert CheckIn.objects.get().method == "code"
    assert client.post(reverse("attendance:code"), {"code": wrong}).status_code == 400  # the fifth failure
    locked = client.post(reverse("attendance:code"), {"code": right})
    assert locked.status_code == 429 and "错误次数过多" in locked.content.decode()
    frozen(at(9, 0))
    assert client.post(reverse("attendance:code"), {"code": right}).status_code == 429
    frozen(at(9, 2))  # the window (30 minutes) has passed since the failures
    assert client.post(reverse("attendance:code"), {"code": right}).status_code == 200


def test_code_lockout_counts_per_client_address_across_teachers(client, session, lecture, organiser, frozen, settings):
    """Attack 4: one address trying codes under many accounts is limited as a whole."""
    settings.ATTENDANCE_CODE_MAX_FAILURES_PER_ADDRESS = 6
    frozen(at(9, 0))
    right = tokens.session_code(session.pk)
    wrong = "000000" if right != "000000" else "111111"
    statuses = []
    for _ in range(4):
        teacher = make_teacher()
        enrol_by_organiser(organiser=organiser, programme=lecture, teacher=teacher)
        client.force_login(teacher)
        for _ in range(2):
            statuses.append(
                client.post(reverse("attendance:code"), {"code": wrong}, REMOTE_ADDR="10.1.1.1").status_code
            )
    assert statuses == [400] * 6 + [429] * 2
    assert client.post(reverse("attendance:code"), {"code": right}, REMOTE_ADDR="10.1.1.1").status_code == 429
    # The same teacher from another address (another school's network) is not locked by it.
    assert client.post(reverse("attendance:code"), {"code": right}, REMOTE_ADDR="10.2.2.2").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_codes_never_pass_the_limit(postgres_only, settings):
    """Attack 4: twenty simultaneous wrong codes (threads on PostgreSQL): at most five are checked."""
    import threading

    from django.db import connection as default_connection

    from attendance.services import CheckinRefused, checkin_by_code

    unit_organiser = make_organiser()
    today = timezone.localdate()
    programme = make_programme(organiser=unit_organiser, start_date=today, end_date=today)
    session = programme.sessions.get()
    teacher = make_teacher()
    enrol_by_organiser(organiser=unit_organiser, programme=programme, teacher=teacher)
    right = tokens.session_code(session.pk)
    wrong = "000000" if right != "000000" else "111111"
    moment = session.starts_at
    outcomes, lock = [], threading.Lock()
    barrier = threading.Barrier(20)

    def guess():
        try:
            barrier.wait()
            checkin_by_code(teacher=teacher, code=wrong, moment=moment, ip="10.9.9.9", user_agent="", device_id="")
        except CheckinRefused as refused:
            with lock:
                outcomes.append(refused.status)
        finally:
            default_connection.close()

    run_in_threads(guess, [()] * 20)
    # Each entry counts those committed before it: never more than the limit are checked. All twenty
    # may be refused when every entry lands before any counts (about one run in six here) - safe, and
    # no honest phone sends twenty; the sequential test above shows the first wrong codes are checked.
    assert len(outcomes) == 20 and set(outcomes) <= {400, 429}
    assert outcomes.count(400) <= settings.ATTENDANCE_CODE_MAX_FAILURES
    with pytest.raises(CheckinRefused):
        checkin_by_code(teacher=teacher, code=right, moment=moment, ip="10.9.9.9", user_agent="", device_id="")
    assert not CheckIn.objects.exists()


def test_printed_sheet_token_valid_only_in_window(client, session, enrolled, frozen):
    sheet_token = tokens.make_token(session_id=session.pk, kind="sheet")
    frozen(at(7, 0))
    client.force_login(enrolled)
    assert "签到尚未开始" in scan(client, f"/a/{sheet_token}/").content.decode()
    frozen(at(9, 5))
    assert "签到成功" in scan(client, f"/a/{sheet_token}/").content.decode()


def test_code_check_in_then_again_and_an_expired_scan(session, enrolled, frozen):
    frozen(at(8, 55))
    api = APIClient()
    api.force_authenticate(enrolled)
    code = tokens.session_code(session.pk)
    response = api.post("/api/checkins/code/", {"code": code}, format="json")
    assert response.status_code == 201 and response.json()["outcome"] == "checked_in"
    response = api.post("/api/checkins/code/", {"code": code}, format="json")
    assert response.status_code == 200 and response.json()["outcome"] == "already"
    assert CheckIn.objects.filter(session=session, teacher=enrolled).count() == 1

    old = at(8, 55) - datetime.timedelta(seconds=tokens.rotation_seconds() * 2)
    stale = tokens.make_token(session_id=session.pk, kind="in", moment=old)
    response = api.post("/api/checkins/scan/", {"token": stale}, format="json")
    assert response.status_code == 410 and "detail" in response.json()


def test_the_scans_fixed_read_gives_what_select_related_gives(session, django_assert_num_queries):
    """session_for_scan reads the session, its programme and rule in one statement, with the ORM's values."""
    from attendance.selectors import session_for_scan
    from courses.models import Session

    def snapshot(s):
        rule = getattr(s, "attendance_rule", None)
        rows = [s, s.programme] + ([rule] if rule else [])
        return [(type(obj), {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}) for obj in rows]

    def orm(pk):
        return Session.objects.select_related("programme", "attendance_rule").get(pk=pk)

    with django_assert_num_queries(1):
        fixed = session_for_scan(session.pk)
    with django_assert_num_queries(0):
        mine = snapshot(fixed)
        with pytest.raises(AttendanceRule.DoesNotExist):
            fixed.attendance_rule  # noqa: B018 — no rule: the defaults apply, without a query
    assert mine == snapshot(orm(session.pk))
    assert isinstance(fixed.programme.credit_hours, type(orm(session.pk).programme.credit_hours))
    assert fixed.starts_at == session.starts_at and fixed.starts_at.utcoffset() is not None

    AttendanceRule.objects.create(
        session=session, same_device_rule=SameDeviceRule.REFUSE, allowed_networks="10.0.0.0/8"
    )
    with django_assert_num_queries(1):
        fixed = session_for_scan(session.pk)
        assert fixed.attendance_rule.same_device_rule == SameDeviceRule.REFUSE
        assert fixed.attendance_rule.session is fixed
    assert snapshot(fixed) == snapshot(orm(session.pk))
    assert session_for_scan(session.pk + 1000) is None


def test_the_check_ins_fixed_read_answers_as_the_orm_does(session, lecture, organiser, django_assert_num_queries):
    """_scan_state asks, in one statement, what three ORM queries would: the teacher's record of the
    session, whether they are enrolled, and who else checked in from this phone within the rule's minutes."""
    from attendance.selectors import session_for_scan
    from attendance.services import _scan_state
    from attendance.services import checkin_record as record

    first, second, outsider = make_teacher(), make_teacher(), make_teacher()
    for teacher in (first, second):
        enrol_by_organiser(organiser=organiser, programme=lecture, teacher=teacher)
    record(session=session, teacher=first, scanned_at=at(8, 50), device_id="phone-1")
    minutes = AttendanceRule(session=session).same_device_minutes

    def orm(teacher, device, moment):
        since = moment - datetime.timedelta(minutes=minutes)
        other = (
            CheckIn.objects.filter(session=session, device_id=device, checked_in_at__gte=since)
            .exclude(teacher=teacher)
            .order_by("pk")
            .values_list("teacher_id", flat=True)
            .first()
        )
        own = CheckIn.objects.filter(session=session, teacher=teacher).values_list("pk", flat=True).first()
        enrolled = Enrolment.objects.filter(programme=lecture, teacher=teacher, status="enrolled").exists()
        return own, enrolled, other if device else None

    fresh = session_for_scan(session.pk)
    cases = [
        (first, "phone-1", at(8, 55)),  # own record; the phone is only theirs
        (second, "phone-1", at(8, 55)),  # another teacher's phone, within the minutes
        (second, "phone-1", at(8, 50) + datetime.timedelta(minutes=minutes)),  # the last minute still counts
        (second, "phone-1", at(8, 50) + datetime.timedelta(minutes=minutes, seconds=1)),  # past it
        (second, "phone-2", at(8, 55)),  # another phone
        (outsider, "", at(8, 55)),  # not enrolled, no phone id
    ]
    for teacher, device, moment in cases:
        with django_assert_num_queries(1):
            known = _scan_state(session=fresh, teacher=teacher, device_id=device, moment=moment)
        assert (known.record_id, known.enrolled, known.other_teacher_id) == orm(teacher, device, moment)
    assert (
        _scan_state(session=fresh, teacher=second, device_id="phone-1", moment=at(8, 55)).other_teacher_id == first.pk
    )
