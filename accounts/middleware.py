"""Until a required password change is done, a signed-in user can do nothing else."""

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
