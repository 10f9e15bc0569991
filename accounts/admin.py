"""The back office for people. Access follows the role, not Django's permission table."""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Q

from .models import OrganisingUnit, Role, User
from .selectors import teachers_visible_to
from .services import teacher_reset_first_login


def is_back_office(user) -> bool:
    return user.is_active and (user.is_superuser or user.role in {Role.ORGANISER, Role.BUREAU})


class RoleAccessMixin:
    """Organisers and the bureau see the back office; only organisers (and superusers) write."""

    def has_module_permission(self, request):
        return is_back_office(request.user)

    def has_view_permission(self, request, obj=None):
        return is_back_office(request.user)

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser or request.user.is_organiser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser or request.user.is_organiser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(OrganisingUnit)
class OrganisingUnitAdmin(RoleAccessMixin, admin.ModelAdmin):
    list_display = ["name", "short_name"]
    search_fields = ["name"]

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser


class TeacherForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["name", "id_number", "mobile", "school", "district", "subject", "title", "is_active"]

    def clean_id_number(self):
        from .identity import normalise_id_number

        return normalise_id_number(self.cleaned_data.get("id_number")) or None

    def clean_mobile(self):
        from .identity import normalise_mobile

        return normalise_mobile(self.cleaned_data.get("mobile")) or None


@admin.register(User)
class UserAdmin(RoleAccessMixin, DjangoUserAdmin):
    list_display = ["name", "masked_id", "mobile", "school", "district", "subject", "role", "is_active"]
    list_filter = ["role", "district", "is_active"]
    # The ID number is deliberately not searchable: admin search puts the query in the URL.
    search_fields = ["name", "mobile", "school", "username"]
    ordering = ["id"]
    list_per_page = 50
    actions = ["reset_first_login"]
    fieldsets = (
        ("账号", {"fields": ("username", "password", "role", "unit", "is_active", "is_staff", "is_superuser")}),
        ("个人信息", {"fields": ("name", "id_number", "mobile", "school", "district", "subject", "title")}),
        ("时间", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"fields": ("username", "name", "role", "unit", "password1", "password2")}),)

    @admin.display(description="身份证号")
    def masked_id(self, obj):
        return obj.masked_id_number

    def get_queryset(self, request):
        if request.user.is_superuser or request.user.is_bureau:
            return super().get_queryset(request)
        visible = teachers_visible_to(user=request.user).values("pk")
        return User.objects.filter(Q(pk__in=visible) | Q(pk=request.user.pk))

    def get_form(self, request, obj=None, **kwargs):
        if not request.user.is_superuser:
            kwargs["form"] = TeacherForm
            kwargs["fields"] = TeacherForm.Meta.fields
            return admin.ModelAdmin.get_form(self, request, obj, **kwargs)
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if not request.user.is_superuser:
            return ((None, {"fields": TeacherForm.Meta.fields}),)
        return super().get_fieldsets(request, obj)

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        if not request.user.is_organiser:
            return False
        return obj is None or obj.role == Role.TEACHER

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.role = Role.TEACHER
            if not change:
                obj.set_unusable_password()
        super().save_model(request, obj, form, change)

    @admin.action(permissions=["change"], description="重置为首次登录（教师用身份证号和手机号重新设置密码）")
    def reset_first_login(self, request, queryset):
        count = 0
        for teacher in queryset.filter(role=Role.TEACHER):
            teacher_reset_first_login(teacher=teacher)
            count += 1
        self.message_user(request, f"已重置 {count} 位教师为首次登录状态。", messages.SUCCESS)
