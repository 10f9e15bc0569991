"""REST endpoints for programmes, sessions and enrolments; every write calls a service."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from accounts.selectors import teacher_by_id_number
from common.excel import WorkbookRefused
from common.params import year_param

from . import selectors, services
from .models import Enrolment, EnrolmentSource, Programme, Session
from .roster import RosterHasErrors, roster_commit, roster_preview
from .serializers import EnrolmentSerializer, ProgrammeSerializer, SessionSerializer


class ReadOnlyForBureau(permissions.BasePermission):
    """The bureau reads everything and writes nothing; teachers write only enrolments."""

    message = "您的角色只能查看，不能修改。"

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        user = request.user
        if user.is_superuser or user.is_organiser:
            return True
        return user.is_teacher and getattr(view, "teacher_may_write", False)


class ProgrammeViewSet(viewsets.ModelViewSet):
    serializer_class = ProgrammeSerializer
    queryset = Programme.objects.none()  # for the schema; get_queryset scopes by role
    permission_classes = [permissions.IsAuthenticated, ReadOnlyForBureau]
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        queryset = selectors.programmes_visible_to(user=self.request.user).order_by("-start_date", "code")
        if raw := self.request.query_params.get("year", "").strip():
            year = year_param(raw)
            queryset = queryset.filter(year=year) if year else queryset.none()
        return queryset

    def perform_create(self, serializer):
        serializer.instance = services.programme_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.programme_update(
            actor=self.request.user, programme=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.programme_delete(actor=self.request.user, programme=instance)


class RosterUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="名单 .xlsx 文件")
    sheet = serializers.CharField(required=False, allow_blank=True, help_text="工作表名称，默认第一个")


RosterResultSerializer = inline_serializer(
    name="RosterResult",
    fields={
        "new": serializers.IntegerField(),
        "updated": serializers.IntegerField(),
        "unchanged": serializers.IntegerField(),
        "committed": serializers.BooleanField(),
        "errors": serializers.ListField(
            child=inline_serializer(
                name="RosterError",
                fields={
                    "row": serializers.IntegerField(allow_null=True, help_text="Excel 中显示的行号"),
                    "column": serializers.CharField(help_text="文件中的表头"),
                    "message": serializers.CharField(),
                },
            )
        ),
        "differences": serializers.ListField(
            child=inline_serializer(
                name="RosterDifference",
                fields={
                    "row": serializers.IntegerField(help_text="Excel 中显示的行号"),
                    "column": serializers.CharField(help_text="文件中的表头"),
                    "message": serializers.CharField(help_text="与已有教师记录的差异；导入不会修改这些信息"),
                },
            ),
            help_text="已有教师的姓名、手机号、学校、区县与名单不同之处：只提示，不写入。",
        ),
        "notices": serializers.ListField(
            child=serializers.CharField(),
            help_text="无需修改但应知道的情况，如 Excel 中被隐藏、已一并导入的行",
        ),
    },
)


def _refused_file(message: str) -> Response:
    """A file refused as a whole answers the documented RosterResult: one error without a row."""
    body = {"new": 0, "updated": 0, "unchanged": 0, "committed": False, "differences": [], "notices": []}
    return Response({**body, "errors": [{"row": None, "column": "", "message": message}]}, status=400)


class RosterViewSet(viewsets.GenericViewSet):
    """Roster import for programmatic clients: the same code as the organiser page."""

    parser_classes = [MultiPartParser, FormParser]
    serializer_class = RosterUploadSerializer
    permission_classes = [permissions.IsAuthenticated, ReadOnlyForBureau]
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return selectors.programmes_visible_to(user=self.request.user)

    def _run(self, request, service):
        programme = self.get_object()
        upload = RosterUploadSerializer(data=request.data)
        if not upload.is_valid():
            problems = "；".join(str(message) for messages in upload.errors.values() for message in messages)
            return _refused_file(f"请以 multipart 字段 file 上传 .xlsx 名单文件：{problems}")
        file = upload.validated_data["file"]
        kwargs = {
            "actor": request.user,
            "programme": programme,
            "data": file.read(),
            "filename": file.name,
            "sheet": upload.validated_data.get("sheet") or None,
        }
        try:
            report = service(**kwargs)
        except RosterHasErrors as refused:
            return Response({**refused.report.as_dict(), "committed": False}, status=status.HTTP_400_BAD_REQUEST)
        except WorkbookRefused as error:
            return _refused_file(str(error))
        return Response({**report.as_dict(), "committed": report.committed})

    @extend_schema(request=RosterUploadSerializer, responses={200: RosterResultSerializer, 400: RosterResultSerializer})
    @action(detail=True, methods=["post"], url_path="preview")
    def preview(self, request, code=None):
        """Check a roster file: counts of new / updated / unchanged rows and every error row. Writes nothing."""
        return self._run(request, roster_preview)

    @extend_schema(request=RosterUploadSerializer, responses={200: RosterResultSerializer, 400: RosterResultSerializer})
    @action(detail=True, methods=["post"], url_path="commit")
    def commit(self, request, code=None):
        """Import the whole file in one transaction, or nothing when any row has an error (400)."""
        return self._run(request, roster_commit)


class SessionViewSet(viewsets.ModelViewSet):
    serializer_class = SessionSerializer
    queryset = Session.objects.none()  # for the schema; get_queryset scopes by role
    permission_classes = [permissions.IsAuthenticated, ReadOnlyForBureau]

    def get_queryset(self):
        queryset = selectors.sessions_visible_to(user=self.request.user)
        programme = self.request.query_params.get("programme")
        if programme:
            queryset = queryset.filter(programme__code=programme)
        return queryset

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        programme = data.pop("programme")
        serializer.instance = services.session_create(actor=self.request.user, programme=programme, **data)

    def perform_update(self, serializer):
        data = dict(serializer.validated_data)
        programme = data.pop("programme", serializer.instance.programme)
        if programme != serializer.instance.programme:
            raise ValidationError({"programme": "课次不能移到其他项目。"})
        serializer.instance = services.session_update(actor=self.request.user, session=serializer.instance, **data)

    def perform_destroy(self, instance):
        services.session_delete(actor=self.request.user, session=instance)


class EnrolmentViewSet(
    mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Teachers see and create their own; organisers their unit's; the bureau reads all."""

    serializer_class = EnrolmentSerializer
    queryset = Enrolment.objects.none()  # for the schema; get_queryset scopes by role
    permission_classes = [permissions.IsAuthenticated, ReadOnlyForBureau]
    teacher_may_write = True

    def get_queryset(self):
        queryset = selectors.enrolments_visible_to(user=self.request.user).order_by("id")
        programme = self.request.query_params.get("programme")
        if programme:
            queryset = queryset.filter(programme__code=programme)
        return queryset

    def perform_create(self, serializer):
        user = self.request.user
        programme = serializer.validated_data["programme"]
        raw_id = serializer.validated_data.get("teacher_id_number_input")
        if user.is_teacher:
            teacher, source = user, EnrolmentSource.SELF
        else:
            if not raw_id:
                raise ValidationError({"teacher_id_number_input": "请填写要报名的教师身份证号。"})
            teacher = teacher_by_id_number(id_number=raw_id)
            if teacher is None:
                raise ValidationError({"teacher_id_number_input": "系统中没有这个身份证号的教师。"})
            source = EnrolmentSource.ORGANISER
        serializer.instance = services.enrolment_create(actor=user, programme=programme, teacher=teacher, source=source)

    @extend_schema(request=None, responses=EnrolmentSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        enrolment = self.get_object()
        enrolment = services.enrolment_cancel(actor=request.user, enrolment=enrolment)
        return Response(EnrolmentSerializer(enrolment).data)
