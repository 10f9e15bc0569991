"""REST endpoint for teacher records, scoped by role; writes go through services."""

from rest_framework import mixins, permissions, viewsets

from .models import User
from .selectors import teachers_visible_to
from .serializers import TeacherSerializer
from .services import teacher_create, teacher_update


class OrganiserWrites(permissions.BasePermission):
    """Organisers create teachers (a new account waits for its first sign-in); changing an existing
    teacher's name, mobile (the first sign-in's secret), school or district is the teacher's or the
    superuser's business, never the enrolling organiser's."""

    message = "只有培训组织者可以新建教师；已有教师的信息由教师本人登录后修改，或由系统管理员更正。"

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return True
        if view.action == "create":
            return request.user.is_superuser or request.user.is_organiser
        return request.user.is_superuser


class TeacherViewSet(
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = TeacherSerializer
    queryset = User.objects.none()  # for the schema; get_queryset scopes by role
    permission_classes = [permissions.IsAuthenticated, OrganiserWrites]

    def get_queryset(self):
        queryset = teachers_visible_to(user=self.request.user).order_by("id")
        school = self.request.query_params.get("school")
        if school:
            queryset = queryset.filter(school=school)
        return queryset

    def perform_create(self, serializer):
        serializer.instance = teacher_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = teacher_update(teacher=serializer.instance, **serializer.validated_data)
