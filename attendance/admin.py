"""Back office: per-session attendance rules; check-in records are read here, changed on the pages."""

from django.contrib import admin

from accounts.admin import RoleAccessMixin
from courses.models import Session
from courses.selectors import programme_can_manage, programmes_visible_to

from .models import AttendanceRule, CheckIn


@admin.register(AttendanceRule)
class AttendanceRuleAdmin(RoleAccessMixin, admin.ModelAdmin):
    list_display = [
        "session",
        "opens_before_minutes",
        "closes_after_start_minutes",
        "late_after_minutes",
        "requires_checkout",
        "same_device_rule",
    ]
    autocomplete_fields = []

    def get_queryset(self, request):
        visible = programmes_visible_to(user=request.user).values("pk")
        return super().get_queryset(request).filter(session__programme__in=visible).select_related("session")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "session":
            visible = programmes_visible_to(user=request.user).values("pk")
            kwargs["queryset"] = Session.objects.filter(programme__in=visible).select_related("programme")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        return programme_can_manage(user=request.user, programme=obj.session.programme)


@admin.register(CheckIn)
class CheckInAdmin(RoleAccessMixin, admin.ModelAdmin):
    list_display = ["teacher", "session", "status", "method", "checked_in_at", "checked_out_at", "flag"]
    list_filter = ["status", "method"]
    search_fields = ["teacher__name", "session__title", "session__programme__code"]
    list_select_related = ["teacher", "session", "session__programme"]

    def get_queryset(self, request):
        visible = programmes_visible_to(user=request.user).values("pk")
        return super().get_queryset(request).filter(session__programme__in=visible)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
