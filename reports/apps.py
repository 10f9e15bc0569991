from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "数据看板"

    def ready(self):
        from . import receivers  # noqa: F401 - keeps the facts equal to the records
