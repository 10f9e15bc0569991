"""REST endpoints for programmes, sessions and enrolments; every write calls a service."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.identity import normalise_id_number
from accounts.models import Role, User

from . import selectors, services
from .models import EnrolmentSource
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
    permission_classes = [permissions.IsAuthenticated, ReadOnlyForBureau]
    lookup_field = "code"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        queryset = selectors.programmes_visible_to(user=self.request.user).order_by("-start_date", "code")
        year = self.request.query_params.get("year")
        if year and year.isdigit():
            queryset = queryset.filter(year=int(year))
        return queryset

    def perform_create(self, serializer):
        serializer.instance = services.programme_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.programme_update(
            actor=self.request.user, programme=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.programme_delete(actor=self.request.user, programme=instance)


class SessionViewSet(viewsets.ModelViewSet):
    serializer_class = SessionSerializer
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
            teacher = User.objects.filter(id_number=normalise_id_number(raw_id), role=Role.TEACHER).first()
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
