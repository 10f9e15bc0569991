"""Back office: completion rules per programme (organisers of the unit), certificates read-only."""

from django.contrib import admin

from accounts.admin import RoleAccessMixin
from courses.models import Programme
from courses.selectors import programme_can_manage, programmes_visible_to

from .models import Certificate, CertificateJob, CompletionRule


@admin.register(CompletionRule)
class CompletionRuleAdmin(RoleAccessMixin, admin.ModelAdmin):
    list_display = [
        "programme",
        "attendance_mode",
        "attendance_ratio",
        "minimum_minutes",
        "quiz_required",
        "auto_issue",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(programme__in=programmes_visible_to(user=request.user).values("pk"))

    def get_changeform_initial_data(self, request):
        return {"programme": request.GET.get("programme")}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "programme":
            visible = programmes_visible_to(user=request.user)
            if not request.user.is_superuser:
                visible = visible.filter(unit_id=request.user.unit_id)
            kwargs["queryset"] = Programme.objects.filter(pk__in=visible.values("pk"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        return programme_can_manage(user=request.user, programme=obj.programme)


@admin.register(Certificate)
class CertificateAdmin(RoleAccessMixin, admin.ModelAdmin):
    list_display = ["serial", "version", "trainee_name", "programme_title", "status", "issued_at"]
    list_filter = ["status", "serial_year", "level"]
    search_fields = ["serial", "trainee_name", "programme_title"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(programme__in=programmes_visible_to(user=request.user).values("pk"))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CertificateJob)
class CertificateJobAdmin(RoleAccessMixin, admin.ModelAdmin):
    list_display = ["programme", "kind", "status", "done", "total", "created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(programme__in=programmes_visible_to(user=request.user).values("pk"))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False
