"""Quiz API: teachers list quizzes, start, answer and submit; organisers and the bureau read results."""

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from training_site.api import ErrorSerializer

from . import selectors, services
from .models import Attempt, AttemptStatus, Quiz
from .serializers import AnswerSerializer, AttemptSerializer, QuizSerializer, ResultRowSerializer


class Refused(APIException):
    def __init__(self, refused: services.QuizRefused):
        super().__init__(detail=str(refused))
        self.status_code = refused.status


class QuizViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = QuizSerializer
    queryset = Quiz.objects.none()

    def get_queryset(self):
        return selectors.quizzes_visible_to(user=self.request.user).order_by("-opens_at", "id")

    @extend_schema(request=None, responses={201: AttemptSerializer, 200: AttemptSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """Start an attempt (or resume the open one): drawn questions, option order and deadline, no answer key."""
        quiz = self.get_object()
        already_open = Attempt.objects.filter(quiz=quiz, teacher=request.user, status=AttemptStatus.OPEN).exists()
        try:
            attempt = services.attempt_start(quiz=quiz, teacher=request.user)
        except services.QuizRefused as refused:
            raise Refused(refused) from refused
        data = AttemptSerializer(attempt, context={"with_questions": True}).data
        return Response(data, status=status.HTTP_200_OK if already_open else status.HTTP_201_CREATED)

    @extend_schema(responses=ResultRowSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def results(self, request, pk=None):
        """Each enrolled teacher's counting score (organisers of the unit and the bureau)."""
        if request.user.is_teacher:
            raise PermissionDenied("教师不能查看全体成绩。")
        quiz = self.get_object()
        services.attempts_grade_expired(quiz=quiz)
        return Response(ResultRowSerializer(selectors.results_table(quiz=quiz), many=True).data)


class AttemptViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A teacher's own attempts; organisers read their unit's; the bureau all."""

    serializer_class = AttemptSerializer
    queryset = Attempt.objects.none()

    def get_queryset(self):
        return selectors.attempts_visible_to(user=self.request.user).order_by("-started_at")

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "with_questions": self.action != "list"}

    def _own(self):
        attempt = self.get_object()
        if attempt.teacher_id != self.request.user.pk:
            raise PermissionDenied("只能操作自己的作答。")
        return attempt

    @extend_schema(request=AnswerSerializer, responses={200: AnswerSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        """Save the answer to one question (sent on every change)."""
        attempt = self._own()
        body = AnswerSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            services.attempt_answer(
                attempt=attempt,
                teacher=request.user,
                question_id=body.validated_data["question"],
                option_ids=body.validated_data["options"],
            )
        except services.QuizRefused as refused:
            raise Refused(refused) from refused
        return Response(body.validated_data)

    @extend_schema(request=None, responses=AttemptSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit and grade; a repeated submit returns the same result."""
        attempt = services.attempt_submit(attempt=self._own(), teacher=request.user)
        return Response(AttemptSerializer(attempt, context={"with_questions": True}).data)
