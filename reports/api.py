"""The dashboard's figures for API clients (read-only)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from common.params import YEAR_MAX, YEAR_MIN, year_param
from training_site.api import ValidationErrorSerializer

from .selectors import report_filter, summary_for_display


class BreakdownSerializer(serializers.Serializer):
    key = serializers.CharField()
    label = serializers.CharField()
    enrolments = serializers.IntegerField()
    teachers = serializers.IntegerField()
    completions = serializers.IntegerField()
    completion_rate = serializers.FloatField()
    credit_hours = serializers.FloatField()


class SummarySerializer(serializers.Serializer):
    year = serializers.IntegerField()
    distinct_teachers = serializers.IntegerField(help_text="培训教师人数（去重）")
    enrolments = serializers.IntegerField()
    completions = serializers.IntegerField()
    completion_rate = serializers.FloatField()
    certificates = serializers.IntegerField(help_text="有效证书（撤销的不计）")
    credit_hours = serializers.FloatField()
    attendance_rate = serializers.FloatField()
    quiz_pass_rate = serializers.FloatField()
    by_level = BreakdownSerializer(many=True)
    by_district = BreakdownSerializer(many=True)
    by_programme = BreakdownSerializer(many=True)
    trend = serializers.ListField(child=serializers.DictField())


def _breakdown(rows, key_field, label_field):
    return [
        {
            "key": row.get(key_field) or "",
            "label": row.get(label_field) or row.get(key_field) or "",
            **{k: row[k] for k in ("enrolments", "teachers", "completions", "completion_rate", "credit_hours")},
        }
        for row in rows
    ]


class SummaryView(APIView):
    """The year's figures for the bureau (all programmes) or an organiser (the unit's). Read-only."""

    @extend_schema(
        parameters=[
            OpenApiParameter("year", {"type": "integer", "minimum": YEAR_MIN, "maximum": YEAR_MAX}, required=True),
            OpenApiParameter("level", str),
            OpenApiParameter("district", str),
            OpenApiParameter("programme", str),
        ],
        responses={200: SummarySerializer, 400: ValidationErrorSerializer},
    )
    def get(self, request):
        if year_param(request.query_params.get("year")) is None:
            return Response(
                {"year": [f"请提供 {YEAR_MIN} 到 {YEAR_MAX} 之间的年度，如 ?year=2021"]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        data = summary_for_display(
            user=request.user, f=report_filter(request.user, request.query_params), with_schools=False
        )
        data["by_level"] = _breakdown(data["by_level"], "programme__level", "level_display")
        data["by_district"] = _breakdown(data["by_district"], "teacher__district", "teacher__district")
        data["by_programme"] = _breakdown(data["by_programme"], "programme__code", "programme__title")
        data.pop("by_school")
        return Response(SummarySerializer(data).data)
