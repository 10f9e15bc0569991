"""Project-wide API pieces: errors from services become 400s with field errors; the schema documents the refusals."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions, serializers
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {
                ("non_field_errors" if field == "__all__" else field): msgs for field, msgs in exc.message_dict.items()
            }
        else:
            detail = {"non_field_errors": exc.messages}
        exc = serializers.ValidationError(detail)
    return drf_exception_handler(exc, context)


class ErrorSerializer(serializers.Serializer):
    """What every refusal answers: one Chinese sentence."""

    detail = serializers.CharField(help_text="原因（中文）")


class ValidationErrorSerializer(serializers.Serializer):
    """A 400: the reasons per field (non_field_errors for the whole request), each a list of Chinese sentences."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)


class ProjectAutoSchema(AutoSchema):
    """drf-spectacular's schema plus the refusals each operation can answer, so clients (and the
    contract test) know them: 403 where a sign-in or a role is needed (DRF answers 403, not 401,
    to a missing sign-in when session authentication comes first), 404 where the path names an
    object or a paginated list is asked for a page past its end, 400 where a request body is
    validated, 429 where the view is throttled. A view's own
    `extend_schema(responses=…)` adds the others (409, 410, …) and wins on the same code."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        view = self.view
        errors = {}
        checks = view.get_permissions()
        if checks and not any(isinstance(permission, permissions.AllowAny) for permission in checks):
            errors["403"] = ErrorSerializer
        if "{" in self.path:
            errors["404"] = ErrorSerializer
        elif self.method == "GET" and self._is_list_view() and self._get_paginator() is not None:
            errors["404"] = ErrorSerializer  # ?page= past the last page
        if self.method in ("POST", "PUT", "PATCH") and self.get_request_serializer() is not None:
            errors["400"] = ValidationErrorSerializer
        if view.get_throttles():
            errors["429"] = ErrorSerializer
        for code, serializer in errors.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(serializer, code, direction=direction)
        return responses
