"""Back office: completion rules per programme (organisers of the unit); certificates and jobs read-only."""

from django.contrib import admin

from courses.admin import ProgrammeScopedAdmin

from .models import Certificate, CertificateJob, CompletionRule


@admin.register(CompletionRule)
class CompletionRuleAdmin(ProgrammeScopedAdmin):
    list_display = [
        "programme",
        "attendance_mode",
        "attendance_ratio",
        "minimum_minutes",
        "quiz_required",
        "auto_issue",
    ]


@admin.register(Certificate)
class CertificateAdmin(ProgrammeScopedAdmin):
    list_display = ["serial", "version", "trainee_name", "programme_title", "status", "issued_at"]
    list_filter = ["status", "serial_year", "level"]
    search_fields = ["serial", "trainee_name", "programme_title"]
    read_only_rows = True


@admin.register(CertificateJob)
class CertificateJobAdmin(ProgrammeScopedAdmin):
    list_display = ["programme", "kind", "status", "total", "created_at", "finished_at"]
    read_only_rows = True
