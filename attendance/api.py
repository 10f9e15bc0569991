"""Attendance API: scan and code check-in for teachers, marking and reports for organisers."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound
from rest_framework.response import Response

from accounts.models import User
from common.params import id_param
from courses.models import Session
from courses.selectors import programmes_visible_to
from training_site.api import ErrorSerializer
from training_site.client import client_address

from . import selectors, services
from .models import CheckIn
from .serializers import (
    CheckinOutcomeSerializer,
    CheckInSerializer,
    CodeSerializer,
    MarkSerializer,
    ProgrammeAttendanceRowSerializer,
    ScanSerializer,
    SessionReportRowSerializer,
    SessionReportSerializer,
)


class Refused(APIException):
    default_detail = "签到未完成。"

    def __init__(self, refused: services.CheckinRefused):
        super().__init__(detail=str(refused))
        self.status_code = refused.status


def _client(request) -> dict:
    return {
        "ip": client_address(request) or None,
        "user_agent": request.META.get("HTTP_USER_AGENT", ""),
        "device_id": "",
    }


class CheckInViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Teachers see their own records; organisers their unit's; the bureau all."""

    serializer_class = CheckInSerializer
    queryset = CheckIn.objects.none()

    def get_queryset(self):
        records = selectors.checkins_visible_to(user=self.request.user).order_by("id")
        if raw := self.request.query_params.get("session", "").strip():
            session = id_param(raw)
            records = records.filter(session_id=session) if session else records.none()
        return records

    def _outcome(self, result):
        code = status.HTTP_201_CREATED if result.outcome in ("checked_in", "late") else status.HTTP_200_OK
        data = {"outcome": result.outcome, "walk_in": result.walk_in, "record": CheckInSerializer(result.record).data}
        return Response(data, status=code)

    @extend_schema(
        request=ScanSerializer,
        responses={200: CheckinOutcomeSerializer, 201: CheckinOutcomeSerializer, 410: ErrorSerializer},
    )
    @action(detail=False, methods=["post"])
    def scan(self, request):
        """Check in (or out) with the token from the projector's QR, as the signed-in teacher."""
        body = ScanSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        now = timezone.now()
        try:
            target = services.token_session(token=body.validated_data["token"], moment=now)
            result = services.checkin_scan(
                token_session_kind=target, teacher=request.user, scanned_at=now, **_client(request)
            )
        except services.CheckinRefused as refused:
            raise Refused(refused) from refused
        return self._outcome(result)

    @extend_schema(
        request=CodeSerializer,
        responses={200: CheckinOutcomeSerializer, 201: CheckinOutcomeSerializer, 429: ErrorSerializer},
    )
    @action(detail=False, methods=["post"])
    def code(self, request):
        """Check in with the 6-digit code of the printed sheet."""
        body = CodeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            result = services.checkin_by_code(
                teacher=request.user, code=body.validated_data["code"], moment=timezone.now(), **_client(request)
            )
        except services.CheckinRefused as refused:
            raise Refused(refused) from refused
        return self._outcome(result)

    @extend_schema(
        request=MarkSerializer,
        responses={
            200: CheckInSerializer,
            404: OpenApiResponse(ErrorSerializer, description="课次或教师不存在（或无权查看）"),
        },
    )
    @action(detail=False, methods=["post"])
    def mark(self, request):
        """An organiser marks a teacher present / late / excused (with reason) / absent; audited."""
        if not (request.user.is_superuser or request.user.is_organiser):
            raise PermissionDenied("只有培训组织者可以修改考勤。")
        body = MarkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        visible = programmes_visible_to(user=request.user).values("pk")
        session = (
            Session.objects.select_related("programme")
            .filter(pk=body.validated_data["session"], programme__in=visible)
            .first()
        )
        if session is None:
            raise NotFound("没有找到该课次，或该课次不属于您的单位。")
        teacher = User.objects.filter(pk=body.validated_data["teacher"]).first()
        if teacher is None:
            raise NotFound("没有找到该教师。")
        record = services.attendance_mark(
            actor=request.user,
            session=session,
            teacher=teacher,
            status=body.validated_data["status"],
            reason=body.validated_data.get("reason", ""),
        )
        return Response(CheckInSerializer(record).data)


class AttendanceReportViewSet(viewsets.GenericViewSet):
    """Reports for organisers (their unit) and the bureau (all); teachers are refused."""

    queryset = Session.objects.none()
    serializer_class = SessionReportSerializer

    def _staff(self):
        if self.request.user.is_teacher:
            raise PermissionDenied("教师不能查看考勤报表。")

    @extend_schema(responses=SessionReportSerializer)
    @action(detail=False, methods=["get"], url_path=r"sessions/(?P<session_id>\d+)", pagination_class=None)
    def session(self, request, session_id=None):
        self._staff()
        visible = programmes_visible_to(user=request.user).values("pk")
        session = get_object_or_404(Session, pk=session_id, programme__in=visible)
        rows = selectors.session_report(session=session)
        rows_data = SessionReportRowSerializer(rows, many=True).data
        return Response({"session": session.pk, "summary": selectors.session_summary(rows), "rows": rows_data})

    @extend_schema(responses=ProgrammeAttendanceRowSerializer(many=True))
    @action(detail=False, methods=["get"], url_path=r"programmes/(?P<code>[^/]+)", pagination_class=None)
    def programme(self, request, code=None):
        self._staff()
        programme = get_object_or_404(programmes_visible_to(user=request.user), code=code)
        total = programme.sessions.count()
        teachers = list(selectors.programme_attendance(programme=programme))
        for teacher in teachers:
            teacher.ratio = round(teacher.sessions_attended / total, 4) if total else 0.0
        return Response(ProgrammeAttendanceRowSerializer(teachers, many=True).data)
