from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "attendance"
    verbose_name = "考勤签到"

    def ready(self):
        from courses.hooks import register_programme_page, register_teacher_panel

        from .views import study_panel

        register_programme_page("考勤与签到", "attendance:programme")
        register_teacher_panel("attendance/_study_panel.html", study_panel)
