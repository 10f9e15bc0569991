"""The landing page sends each role where its work is; the 404 handler."""

from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views import defaults

from courses.views import teacher_home_view


@login_required
def home_view(request):
    if request.user.is_teacher:
        return teacher_home_view(request)
    if request.user.is_bureau:
        return redirect("reports:dashboard")
    return redirect("courses:manage_list")


def favicon_view(request):
    """/favicon.ico, which browsers ask for on their own: the project's icon."""
    from django.templatetags.static import static

    return redirect(static("favicon.svg"), permanent=True)


def not_found_view(request, exception=None):
    """404: the API answers JSON as its schema documents (also for paths no route matches); pages get the page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "未找到。"}, status=404)
    return defaults.page_not_found(request, exception, template_name="404.html")
