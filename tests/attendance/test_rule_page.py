"""A session's check-in rule is set on the session's page (attendance_rule_set), not in the admin."""

from django.urls import reverse

from attendance.models import AttendanceRule


def _post(**overrides):
    data = {
        "opens_before_minutes": "45",
        "closes_after_start_minutes": "20",
        "late_after_minutes": "5",
        "same_device_rule": "flag",
        "same_device_minutes": "10",
        "allowed_networks": "",
    }
    return {**data, **overrides}


def test_the_organiser_sets_the_window_on_the_page(client, organiser, programme):
    session = programme.sessions.get()
    client.force_login(organiser)
    assert (
        reverse("attendance:rule", args=[session.pk])
        in client.get(reverse("attendance:session", args=[session.pk])).content.decode()
    )
    response = client.post(reverse("attendance:rule", args=[session.pk]), _post(), follow=True)
    assert "已保存“第一讲”的签到规则。" in response.content.decode()
    rule = AttendanceRule.objects.get(session=session)
    assert (rule.opens_before_minutes, rule.closes_after_start_minutes, rule.late_after_minutes) == (45, 20, 5)


def test_late_after_the_close_is_refused_and_nothing_saved(client, organiser, programme):
    session = programme.sessions.get()
    client.force_login(organiser)
    page = client.post(reverse("attendance:rule", args=[session.pk]), _post(late_after_minutes="40")).content.decode()
    assert "迟到时间不能晚于停止签到时间。" in page
    assert not AttendanceRule.objects.filter(session=session).exists()
