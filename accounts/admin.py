"""The back office for people. Access follows the role, not Django's permission table.

People (the user admin) are the superuser's alone: a teacher's identity, password and contact
details belong to the teacher, never to the organiser who enrols them, and the read-only bureau
reads no more personal data than its reports need. Organisers and the bureau keep the admin for
their unit's programmes, sessions, quizzes and rules (see each app's admin).
"""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied

from .models import OrganisingUnit, Role, User
from .services import teacher_reset_first_login


def is_back_office(user) -> bool:
    return user.is_active and (user.is_superuser or user.role in {Role.ORGANISER, Role.BUREAU})


def admin_allowed(user) -> bool:
    """Who opens the admin at all: the superuser, whose back office it is, and the bureau's keeper of the
    shared question bank (issue 14: a bureau account holding the bank's change permission). Organisers and
    the bureau work in the site's own pages; the admin neither opens nor is linked for them."""
    return bool(
        user.is_authenticated and user.is_active and (user.is_superuser or user.has_perm("exams.change_question"))
    )


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


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Superuser only: every permission below answers False for anyone else, so the change form,
    the password form (/admin/accounts/user/<id>/password/) and the actions are closed to them."""

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

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def user_change_password(self, request, id, form_url=""):
        # Django's view asks has_change_permission too; said again here because this form is
        # the account-takeover edge if a permission above is ever widened.
        if not self.has_module_permission(request):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    @admin.action(permissions=["change"], description="重置为首次登录（教师用身份证号和手机号重新设置密码）")
    def reset_first_login(self, request, queryset):
        count = 0
        for teacher in queryset.filter(role=Role.TEACHER):
            teacher_reset_first_login(actor=request.user, teacher=teacher)
            self.log_change(request, teacher, "重置为首次登录")
            count += 1
        self.message_user(request, f"已重置 {count} 位教师为首次登录状态。", messages.SUCCESS)
