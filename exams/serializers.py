from rest_framework import serializers

from .models import Attempt, Quiz


class QuizSerializer(serializers.ModelSerializer):
    programme = serializers.CharField(source="programme.code", read_only=True)

    class Meta:
        model = Quiz
        fields = [
            "id", "programme", "title", "single_count", "multiple_count", "truefalse_count", "laws", "time_limit_minutes",
            "pass_mark", "max_attempts", "score_policy", "opens_at", "closes_at", "review_policy", "multiple_rule",
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

    def get_questions(self, attempt) -> list[dict]:
        from .selectors import attempt_items

        if not self.context.get("with_questions"):
            return []
        return QuestionOutSerializer(attempt_items(attempt=attempt), many=True).data

    def to_representation(self, attempt):
        data = super().to_representation(attempt)
        if data.get("review") is None:
            data.pop("review", None)
        if data.get("score") is None:
            data.pop("score", None)
            data.pop("passed", None)
        return data

    def get_review(self, attempt) -> list[dict] | None:
        """Answers, correctness and explanations — only when the quiz's review policy allows."""
        from .selectors import attempt_items, review_allowed

        if not self.context.get("with_questions") or not review_allowed(attempt=attempt):
            return None
        return [
            {
                "id": item["id"],
                "points": str(item["points"]),
                "explanation": item["explanation"],
                "legal_basis": item["legal_basis"],
                "answer": [option["id"] for option in item["options"] if option["correct"]],
            }
            for item in attempt_items(attempt=attempt, with_key=True)
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
