from django.apps import AppConfig


class ExamsConfig(AppConfig):
    name = "exams"
    verbose_name = "法治知识测试"

    def ready(self):
        from courses.hooks import register_programme_page, register_teacher_panel

        from .views import quiz_panel

        register_programme_page("法治知识测试", "exams:programme")
        register_teacher_panel("exams/_quiz_panel.html", quiz_panel)
