from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "attendance"
    verbose_name = "考勤签到"

    def ready(self):
        from courses.hooks import register_programme_page, register_session_delete_guard, register_teacher_panel

        from .views import study_panel

        register_programme_page("考勤与签到", "attendance:programme")
        register_teacher_panel("attendance/_study_panel.html", study_panel)
        register_session_delete_guard(_session_has_checkins)


def _session_has_checkins(session) -> str:
    from .models import CheckIn

    count = CheckIn.objects.filter(session=session).count()
    if count:
        return f"课次“{session.title}”已有 {count} 条签到记录，不能删除；如时间有变，请修改课次。"
    return ""
