from rest_framework import serializers

from .models import CheckIn, Status


class CheckInSerializer(serializers.ModelSerializer):
    teacher_name = serializers.CharField(source="teacher.name", read_only=True)
    teacher_id_number = serializers.CharField(source="teacher.masked_id_number", read_only=True)
    session_title = serializers.CharField(source="session.title", read_only=True)
    programme = serializers.CharField(source="session.programme.code", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = CheckIn
        fields = [
            "id", "session", "session_title", "programme", "teacher", "teacher_name", "teacher_id_number",
            "status", "status_display", "method", "checked_in_at", "checked_out_at", "flag", "note",
        ]  # fmt: skip
        read_only_fields = fields


class ScanSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="二维码中的签到令牌（/a/<token>/ 中的部分）")


class CodeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=6, help_text="打印签到单上的6位签到码")


class MarkSerializer(serializers.Serializer):
    session = serializers.IntegerField()
    teacher = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class CheckinOutcomeSerializer(serializers.Serializer):
    outcome = serializers.CharField(help_text="checked_in / late / already / checked_out / already_out")
    walk_in = serializers.BooleanField()
    record = CheckInSerializer()


class SessionReportRowSerializer(serializers.Serializer):
    teacher = serializers.IntegerField(source="teacher.pk")
    name = serializers.CharField(source="teacher.name")
    id_number = serializers.CharField(source="teacher.masked_id_number")
    school = serializers.CharField(source="teacher.school")
    status = serializers.CharField()
    checked_in_at = serializers.DateTimeField(source="record.checked_in_at", allow_null=True, default=None)
    flag = serializers.CharField(source="record.flag", default="")


class SessionReportSerializer(serializers.Serializer):
    session = serializers.IntegerField()
    summary = serializers.DictField(child=serializers.IntegerField())
    rows = SessionReportRowSerializer(many=True)


class ProgrammeAttendanceRowSerializer(serializers.Serializer):
    teacher = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    id_number = serializers.CharField(source="masked_id_number")
    school = serializers.CharField()
    sessions_attended = serializers.IntegerField()
    sessions_late = serializers.IntegerField()
    sessions_excused = serializers.IntegerField()
    ratio = serializers.FloatField()
