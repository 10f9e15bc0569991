from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = "培训证书"

    def ready(self):
        from courses.hooks import register_programme_page, register_teacher_home_status, register_teacher_panel

        from . import receivers  # noqa: F401 - connects the automatic issue
        from .views import completion_panel, home_status

        register_programme_page("结业与证书", "certificates:programme")
        register_teacher_panel("certificates/_completion_panel.html", completion_panel)
        register_teacher_home_status(home_status)
