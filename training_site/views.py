"""The landing page sends each role where its work is."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from courses.views import teacher_home_view


@login_required
def home_view(request):
    if request.user.is_teacher:
        return teacher_home_view(request)
    if request.user.is_bureau:
        return redirect("certificates:dashboard")
    return redirect("courses:manage_list")
