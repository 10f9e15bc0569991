from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Attempt, Quiz


class QuizSerializer(serializers.ModelSerializer):
    programme = serializers.CharField(source="programme.code", read_only=True)

    class Meta:
        model = Quiz
        fields = [
            "id", "programme", "title", "single_count", "multiple_count", "truefalse_count", "laws", "time_limit_minutes",
            "pass_mark", "max_attempts", "score_policy", "opens_at", "closes_at", "review_policy", "multiple_rule",
            "draw_rules", "avoid_seen",
        ]  # fmt: skip
        read_only_fields = fields


class OptionOutSerializer(serializers.Serializer):
    letter = serializers.CharField()
    id = serializers.IntegerField()
    text = serializers.CharField()


class QuestionOutSerializer(serializers.Serializer):
    """A drawn question as the teacher sees it while answering: no key."""

    id = serializers.IntegerField()
    position = serializers.IntegerField()
    kind = serializers.CharField()
    stem = serializers.CharField()
    selected = serializers.ListField(child=serializers.IntegerField())
    options = OptionOutSerializer(many=True)


class ReviewItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    points = serializers.CharField()
    explanation = serializers.CharField()
    legal_basis = serializers.CharField()
    answer = serializers.ListField(child=serializers.IntegerField())


class AttemptSerializer(serializers.ModelSerializer):
    quiz = serializers.IntegerField(source="quiz_id", read_only=True)
    questions = serializers.SerializerMethodField()
    review = serializers.SerializerMethodField()

    class Meta:
        model = Attempt
        fields = [
            "id",
            "quiz",
            "number",
            "status",
            "started_at",
            "deadline",
            "submitted_at",
            "score",
            "passed",
            "questions",
            "review",
        ]
        read_only_fields = fields

    def _items(self, attempt) -> tuple[bool, list[dict]]:
        """The attempt's items, read once for both fields: with the key only when the review may show
        it (QuestionOutSerializer declares its fields, so the key never reaches `questions`)."""
        from .selectors import attempt_items, review_allowed

        cache = self.context.setdefault("_attempt_items", {})
        if attempt.pk not in cache:
            with_key = review_allowed(attempt=attempt)
            cache[attempt.pk] = (with_key, attempt_items(attempt=attempt, with_key=with_key))
        return cache[attempt.pk]

    def get_questions(self, attempt) -> list[dict]:
        if not self.context.get("with_questions"):
            return []
        return QuestionOutSerializer(self._items(attempt)[1], many=True).data

    # review, score and passed are always present (null until graded / while the review is closed),
    # as the schema says: clients need not guess whether a missing key means "no" or "not yet".
    @extend_schema_field(ReviewItemSerializer(many=True, allow_null=True))
    def get_review(self, attempt) -> list[dict] | None:
        """Answers, correctness and explanations — only when the quiz's review policy allows."""
        if not self.context.get("with_questions"):
            return None
        with_key, items = self._items(attempt)
        if not with_key:
            return None
        return [
            {
                "id": item["id"],
                "points": str(item["points"]),
                "explanation": item["explanation"],
                "legal_basis": item["legal_basis"],
                "answer": [option["id"] for option in item["options"] if option["correct"]],
            }
            for item in items
        ]


class AnswerSerializer(serializers.Serializer):
    question = serializers.IntegerField()
    options = serializers.ListField(child=serializers.IntegerField(), allow_empty=True)


class ResultRowSerializer(serializers.Serializer):
    teacher = serializers.IntegerField(source="teacher.pk")
    name = serializers.CharField(source="teacher.name")
    id_number = serializers.CharField(source="teacher.masked_id_number")
    school = serializers.CharField(source="teacher.school")
    attempts = serializers.IntegerField()
    score = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    minutes = serializers.FloatField(allow_null=True)
    passed = serializers.BooleanField()
