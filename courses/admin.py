"""Organisers' back office for programmes and sessions, scoped to their unit."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpResponseRedirect
from import_export.admin import ImportMixin

from accounts.admin import RoleAccessMixin

from . import selectors, services
from .models import Enrolment, EnrolmentStatus, Programme, Session
from .resources import (
    RosterConfirmImportForm,
    RosterImportForm,
    RosterResource,
    RosterUploadStorage,
    RosterXLSX,
    may_import_rosters,
    programmes_for_roster_import,
    summary_message,
)
from .xlsx_admin import refused_on_confirm


class SessionInline(admin.TabularInline):
    model = Session
    extra = 1
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}  # a typed address without a scheme
    fields = [
        "title", "starts_at", "ends_at", "venue", "lecturer", "lecturer_title",
        "delivery", "material_title", "material_url", "material_file",
    ]  # fmt: skip

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

    def save_related(self, request, form, formsets, change):
        # The superuser's admin keeps programme_update's rule: every session within the programme's dates.
        super().save_related(request, form, formsets, change)
        programme = form.instance
        outside = [s for s in programme.sessions.all() if not services.session_within(s, programme)]
        if outside:
            raise ValidationError(f"已有课次“{outside[0].title}”不在新的项目日期之内，请先调整课次。")

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            with transaction.atomic():
                return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            self.message_user(request, "；".join(error.messages) + "（未保存）", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

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


class RosterImportMixin(ImportMixin):
    """The admin's roster import: import-export's pages around courses.roster (see courses/resources.py)."""

    resource_classes = [RosterResource]
    import_form_class = RosterImportForm
    confirm_form_class = RosterConfirmImportForm
    import_template_name = "admin/courses/enrolment/roster_import.html"
    tmp_storage_class = RosterUploadStorage
    skip_import_confirm = False
    skip_admin_log = True  # roster_commit writes in bulk; the rows carry no saved instances to log

    def get_import_formats(self):
        return [RosterXLSX]

    def has_import_permission(self, request):
        return may_import_rosters(request.user)

    def get_import_form_kwargs(self, request):
        return {**super().get_import_form_kwargs(request), "user": request.user}

    def get_import_form_initial(self, request):
        code = (request.GET.get("programme") or "").strip().upper()
        programme = programmes_for_roster_import(user=request.user).filter(code=code).first() if code else None
        return {"programme": programme.pk} if programme else {}

    def get_confirm_form_kwargs(self, request, import_form=None):
        return {**super().get_confirm_form_kwargs(request, import_form), "user": request.user}

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial.update(programme=import_form.cleaned_data["programme"].pk, sheet=import_form.cleaned_data["sheet"])
        return initial

    def get_import_data_kwargs(self, **kwargs):
        # The programme comes from the validated form (only programmes the user manages), never the URL.
        form = kwargs.pop("form")
        kwargs.pop("request", None)
        return {**kwargs, "programme": form.cleaned_data["programme"], "sheet": form.cleaned_data["sheet"] or None}

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        # A refused file is never confirmed: do not keep its personal data waiting on disk.
        context = getattr(response, "context_data", None) or {}
        form = context.get("form")
        upload = form.cleaned_data.get("import_file") if form is not None and hasattr(form, "cleaned_data") else None
        name = getattr(upload, "tmp_storage_name", None)
        if name and not context.get("confirm_form"):
            self.get_tmp_storage_class()(name=name, **self.get_tmp_storage_class_kwargs()).remove()
        return response

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            # The database changed between preview and confirm (e.g. the programme filled up):
            # roster_commit wrote nothing; show why, as the preview would.
            return self._refused_on_confirm(result, request)
        return super().process_result(result, request)

    def add_success_message(self, result, request):
        messages.success(request, f"{result.programme}：{summary_message(result.summary)}")

    def _refused_on_confirm(self, result, request):
        form = self.get_import_form_class(request)(
            self.get_import_formats(),
            self.get_import_resource_classes(request),
            user=request.user,
            initial={"programme": result.programme.pk},
        )
        messages.error(request, "确认导入时名单未通过检查，未导入任何数据。请按下列原因修改后重新上传。")
        return refused_on_confirm(self, request, result=result, form=form, title="导入名单")


@admin.register(Enrolment)
class EnrolmentAdmin(RoleAccessMixin, RosterImportMixin, admin.ModelAdmin):
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


class ProgrammeScopedAdmin(RoleAccessMixin, admin.ModelAdmin):
    """For models that hang off a programme: lists show the programmes the user may see, the
    programme choice offers those the user manages, and only their managers may change a row.
    programme_path is the lookup from the model to its programme."""

    programme_path = "programme"
    read_only_rows = False

    def _programme_of(self, obj):
        for part in self.programme_path.split("__"):
            obj = getattr(obj, part)
        return obj

    def get_queryset(self, request):
        visible = selectors.programmes_visible_to(user=request.user).values("pk")
        return super().get_queryset(request).filter(**{f"{self.programme_path}__in": visible})

    def get_changeform_initial_data(self, request):
        return {"programme": request.GET.get("programme")} if "programme" in request.GET else {}

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "programme":
            visible = selectors.programmes_visible_to(user=request.user)
            if not request.user.is_superuser:
                visible = visible.filter(unit_id=request.user.unit_id)
            kwargs["queryset"] = Programme.objects.filter(pk__in=visible.values("pk"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request, obj=None):
        return not self.read_only_rows and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        if self.read_only_rows:
            return False
        if obj is None:
            return super().has_change_permission(request)
        return selectors.programme_can_manage(user=request.user, programme=self._programme_of(obj))
