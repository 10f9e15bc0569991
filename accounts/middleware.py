"""Until a required password change is done, a signed-in user can do nothing else."""

from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse


class PasswordChangeRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            allowed = {reverse("accounts:set_password"), reverse("accounts:logout"), reverse("accounts:logout_confirm")}
            # A scanned QR is remembered first, so the check-in completes after the new password.
            if request.path not in allowed and not request.path.startswith(("/static/", "/a/")):
                if request.path.startswith("/api/"):
                    return JsonResponse({"detail": "请先设置新密码后再使用系统。"}, status=403)
                return redirect(f"{reverse('accounts:set_password')}?next={request.get_full_path()}")
        return self.get_response(request)


class AdminForSuperuserMiddleware:
    """The admin is the superuser's back office: any other signed-in person gets a 403 with where to work
    instead, never the admin's sign-in form (anonymous visitors still get it, for the superuser)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if request.path.startswith("/admin/") and user is not None and user.is_authenticated:
            from .admin import admin_allowed

            if not admin_allowed(user):
                raise PermissionDenied(
                    "后台仅供系统管理员使用；培训项目、名单、考勤、测试和证书请在本站的“培训项目”页面中办理。"
                )
        return self.get_response(request)
