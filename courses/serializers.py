from rest_framework import serializers

from accounts.models import OrganisingUnit

from .models import Enrolment, Programme, Session


class SessionSerializer(serializers.ModelSerializer):
    programme = serializers.SlugRelatedField(slug_field="code", queryset=Programme.objects.all())

    class Meta:
        model = Session
        fields = ["id", "programme", "title", "starts_at", "ends_at", "venue", "lecturer", "lecturer_title"]


class ProgrammeSerializer(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="name", queryset=OrganisingUnit.objects.all(), required=False)
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    year = serializers.IntegerField(required=False, min_value=2000, max_value=2100)

    class Meta:
        model = Programme
        fields = [
            "id", "code", "title", "level", "level_display", "kind", "kind_display", "unit", "year",
            "start_date", "end_date", "credit_hours", "capacity", "self_enrol_open", "allow_walk_in", "audience", "description",
        ]  # fmt: skip
        # Uniqueness is the service's to answer, in Chinese, with the code named.
        extra_kwargs = {"code": {"validators": []}}


class EnrolmentSerializer(serializers.ModelSerializer):
    programme = serializers.SlugRelatedField(slug_field="code", queryset=Programme.objects.all())
    teacher_name = serializers.CharField(source="teacher.name", read_only=True)
    teacher_id_number = serializers.CharField(source="teacher.masked_id_number", read_only=True)
    teacher = serializers.PrimaryKeyRelatedField(read_only=True)
    teacher_id_number_input = serializers.CharField(
        write_only=True, required=False, help_text="组织者为他人报名时填写教师身份证号；教师本人报名时留空。"
    )

    class Meta:
        model = Enrolment
        fields = [
            "id", "programme", "teacher", "teacher_name", "teacher_id_number", "teacher_id_number_input",
            "source", "status", "enrolled_at",
        ]  # fmt: skip
        read_only_fields = ["source", "status", "enrolled_at"]
        validators = []
