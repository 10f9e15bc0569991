"""Certificates API: list, issue, revoke, re-issue, PDF, credit hours; and the public verification."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts.identity import mask_name
from accounts.models import User
from courses.selectors import programmes_visible_to
from training_site.api import ErrorSerializer
from training_site.site import site_url

from . import selectors, services
from .models import Certificate
from .pdf import certificate_pdf


class CertificateSerializer(serializers.ModelSerializer):
    programme = serializers.CharField(source="programme.code", read_only=True)
    teacher_id_number = serializers.CharField(source="teacher.masked_id_number", read_only=True)

    class Meta:
        model = Certificate
        fields = [
            "id", "programme", "teacher", "teacher_id_number", "serial", "version", "status", "trainee_name",
            "programme_title", "level", "start_date", "end_date", "credit_hours", "issued_at", "revoked_at", "revoke_reason",
        ]  # fmt: skip
        read_only_fields = fields


class PublicCertificateSerializer(serializers.Serializer):
    """What anyone may see: never the ID number, phone or school."""

    status = serializers.CharField()
    serial = serializers.CharField()
    version = serializers.IntegerField()
    trainee = serializers.CharField()
    programme_title = serializers.CharField()
    level = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    credit_hours = serializers.DecimalField(max_digits=5, decimal_places=1)
    issued_at = serializers.DateTimeField()
    issuer = serializers.CharField()


class IssueSerializer(serializers.Serializer):
    programme = serializers.CharField(help_text="项目编号")
    teacher = serializers.IntegerField(help_text="教师 ID")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class CreditHoursSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    total = serializers.DecimalField(max_digits=7, decimal_places=1)
    by_level = serializers.DictField(child=serializers.DecimalField(max_digits=7, decimal_places=1))


class CertificateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = CertificateSerializer
    queryset = Certificate.objects.none()

    def get_queryset(self):
        return selectors.certificates_visible_to(user=self.request.user).order_by("-issued_at")

    def _writer(self):
        if not (self.request.user.is_superuser or self.request.user.is_organiser):
            raise PermissionDenied("只有培训组织者可以颁发或撤销证书。")

    @extend_schema(request=IssueSerializer, responses={201: CertificateSerializer, 404: ErrorSerializer})
    @action(detail=False, methods=["post"])
    def issue(self, request):
        """Issue to a trainee who completed (400 with what is missing otherwise)."""
        self._writer()
        body = IssueSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        programme = get_object_or_404(
            programmes_visible_to(user=request.user), code=body.validated_data["programme"].upper()
        )
        teacher = get_object_or_404(User, pk=body.validated_data["teacher"])
        certificate = services.certificate_issue(programme=programme, teacher=teacher, actor=request.user)
        return Response(CertificateSerializer(certificate).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReasonSerializer, responses=CertificateSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        self._writer()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        certificate = services.certificate_revoke(
            certificate=self.get_object(), actor=request.user, reason=body.validated_data["reason"]
        )
        return Response(CertificateSerializer(certificate).data)

    @extend_schema(request=ReasonSerializer, responses={201: CertificateSerializer})
    @action(detail=True, methods=["post"])
    def reissue(self, request, pk=None):
        self._writer()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        certificate = services.certificate_reissue(
            certificate=self.get_object(), actor=request.user, reason=body.validated_data["reason"]
        )
        return Response(CertificateSerializer(certificate).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/pdf"): OpenApiResponse(description="证书 PDF")})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        certificate = self.get_object()
        if request.user.is_bureau and not request.user.is_superuser:
            raise PermissionDenied("教育局账号不能下载个人证书。")
        return HttpResponse(certificate_pdf(certificate, site=site_url(request)), content_type="application/pdf")

    @extend_schema(responses=CreditHoursSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="credit-hours", pagination_class=None)
    def credit_hours(self, request):
        """The signed-in teacher's hours per year and level, from valid certificates."""
        if not request.user.is_teacher:
            raise PermissionDenied("台账请使用 .xlsx 导出。")
        return Response(CreditHoursSerializer(selectors.credit_hours_by_year(teacher=request.user), many=True).data)


class VerifyThrottle(AnonRateThrottle):
    scope = "verify"


class PublicVerifyView(APIView):
    """Anyone may verify: 200 valid, 410 revoked, 404 unknown. Rate-limited."""

    permission_classes = [permissions.AllowAny]
    authentication_classes = []
    throttle_classes = [VerifyThrottle]

    @extend_schema(
        responses={
            200: PublicCertificateSerializer,
            410: PublicCertificateSerializer,
            404: OpenApiResponse(description="未找到"),
        }
    )
    def get(self, request, code: str):
        certificate = selectors.certificate_by_code_or_serial(text=code)
        if certificate is None:
            return Response({"detail": "未找到该证书。"}, status=status.HTTP_404_NOT_FOUND)
        data = PublicCertificateSerializer(
            {
                "status": certificate.status,
                "serial": certificate.serial,
                "version": certificate.version,
                "trainee": mask_name(certificate.trainee_name),
                "programme_title": certificate.programme_title,
                "level": certificate.level_display,
                "start_date": certificate.start_date,
                "end_date": certificate.end_date,
                "credit_hours": certificate.credit_hours,
                "issued_at": certificate.issued_at,
                "issuer": f"许昌市教育局（{certificate.unit_name}）",
            }
        ).data
        response = Response(data, status=status.HTTP_200_OK if certificate.is_valid else status.HTTP_410_GONE)
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response
