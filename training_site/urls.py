from django.contrib import admin
from django.db import connection
from django.http import JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from accounts.api import TeacherViewSet
from attendance.api import AttendanceReportViewSet, CheckInViewSet
from certificates.api import CertificateViewSet, PublicVerifyView
from courses.api import EnrolmentViewSet, ProgrammeViewSet, RosterViewSet, SessionViewSet
from exams.api import AttemptViewSet, QuizViewSet
from reports.api import SummaryView
from training_site.views import favicon_view, home_view, not_found_view

admin.site.site_header = "许昌市教育局 教师法治培训 后台"
admin.site.site_title = "教师法治培训后台"
admin.site.index_title = "管理"

router = DefaultRouter()
router.register("programmes", ProgrammeViewSet, basename="programme")
router.register("rosters", RosterViewSet, basename="roster")
router.register("sessions", SessionViewSet, basename="session")
router.register("enrolments", EnrolmentViewSet, basename="enrolment")
router.register("teachers", TeacherViewSet, basename="teacher")
router.register("checkins", CheckInViewSet, basename="checkin")
router.register("attendance", AttendanceReportViewSet, basename="attendance")
router.register("quizzes", QuizViewSet, basename="quiz")
router.register("attempts", AttemptViewSet, basename="attempt")
router.register("certificates", CertificateViewSet, basename="certificate")


def healthz(request):
    """Liveness and database reachability, for load balancers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": connection.vendor})


urlpatterns = [
    path("", home_view, name="home"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon_view, name="favicon"),
    path("accounts/", include("accounts.urls")),
    path("", include("courses.urls")),
    path("", include("attendance.urls")),
    path("", include("exams.urls")),
    path("", include("certificates.urls")),
    path("", include("reports.urls")),
    path("admin/", admin.site.urls),
    path("api/public/certificates/<str:code>/", PublicVerifyView.as_view(), name="public_verify"),
    path("api/reports/summary/", SummaryView.as_view(), name="report_summary"),
    path("api/", include(router.urls)),
    path("api/auth/token/", obtain_auth_token, name="api_token"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api_docs"),
]

handler404 = not_found_view
