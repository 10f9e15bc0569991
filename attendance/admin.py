"""Back office: per-session attendance rules; check-in records are read here, changed on the pages."""

from django.contrib import admin

from courses.admin import ProgrammeScopedAdmin
from courses.models import Session
from courses.selectors import programmes_visible_to

from .models import AttendanceRule, CheckIn


@admin.register(AttendanceRule)
class AttendanceRuleAdmin(ProgrammeScopedAdmin):
    list_display = [
        "session",
        "opens_before_minutes",
        "closes_after_start_minutes",
        "late_after_minutes",
        "requires_checkout",
        "same_device_rule",
    ]
    programme_path = "session__programme"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "session":
            visible = programmes_visible_to(user=request.user).values("pk")
            kwargs["queryset"] = Session.objects.filter(programme__in=visible).select_related("programme")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(CheckIn)
class CheckInAdmin(ProgrammeScopedAdmin):
    list_display = ["teacher", "session", "status", "method", "checked_in_at", "checked_out_at", "flag"]
    list_filter = ["status", "method"]
    search_fields = ["teacher__name", "session__title", "session__programme__code"]
    list_select_related = ["teacher", "session", "session__programme"]
    programme_path = "session__programme"
    read_only_rows = True
