"""Organisers' back office for programmes and sessions, scoped to their unit."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from accounts.admin import RoleAccessMixin

from . import selectors, services
from .models import Enrolment, EnrolmentStatus, Programme, Session


class SessionInline(admin.TabularInline):
    model = Session
    extra = 1
    fields = ["title", "starts_at", "ends_at", "venue", "lecturer", "lecturer_title"]

    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return obj is None or selectors.programme_can_manage(user=request.user, programme=obj)

    def has_change_permission(self, request, obj=None):
        return obj is None or selectors.programme_can_manage(user=request.user, programme=obj)

    def has_delete_permission(self, request, obj=None):
        return obj is None or selectors.programme_can_manage(user=request.user, programme=obj)


@admin.register(Programme)
class ProgrammeAdmin(RoleAccessMixin, admin.ModelAdmin):
    list_display = ["code", "title", "level", "kind", "unit", "start_date", "credit_hours", "self_enrol_open"]
    list_filter = ["year", "level", "kind", "unit"]
    search_fields = ["code", "title"]
    inlines = [SessionInline]

    def get_queryset(self, request):
        return selectors.programmes_visible_to(user=request.user)

    def get_exclude(self, request, obj=None):
        return ["unit"] if request.user.is_organiser else []

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        return selectors.programme_can_manage(user=request.user, programme=obj)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser and (obj is None or not obj.enrolments.exists())

    def save_form(self, request, form, change):
        if request.user.is_organiser:
            form.instance.unit = request.user.unit
        return super().save_form(request, form, change)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if request.user.is_organiser:
            # The unit is not on the form; set it before validation so clean() sees it.
            base_init = form.__init__

            def __init__(self, *args, **kw):
                base_init(self, *args, **kw)
                self.instance.unit = request.user.unit

            form.__init__ = __init__
        return form


@admin.register(Enrolment)
class EnrolmentAdmin(RoleAccessMixin, admin.ModelAdmin):
    list_display = ["teacher", "masked_id", "programme", "source", "status", "enrolled_at"]
    list_filter = ["status", "source", "programme__year"]
    search_fields = ["teacher__name", "programme__code", "programme__title"]
    list_select_related = ["teacher", "programme"]
    actions = ["cancel_enrolments"]
    readonly_fields = ["programme", "teacher", "source", "status", "enrolled_at"]

    @admin.display(description="身份证号")
    def masked_id(self, obj):
        return obj.teacher.masked_id_number

    def get_queryset(self, request):
        return selectors.enrolments_visible_to(user=request.user)

    def has_add_permission(self, request, obj=None):
        # Enrolment goes through the programme page or the roster import, which check capacity.
        return False

    @admin.action(description="取消所选报名", permissions=["change"])
    def cancel_enrolments(self, request, queryset):
        done = 0
        for enrolment in queryset.filter(status=EnrolmentStatus.ENROLLED).select_related("programme"):
            try:
                services.enrolment_cancel(actor=request.user, enrolment=enrolment)
                done += 1
            except ValidationError as error:
                self.message_user(request, "；".join(error.messages), messages.ERROR)
        self.message_user(request, f"已取消 {done} 条报名。", messages.SUCCESS)
