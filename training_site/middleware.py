"""A database that has gone away gives a clear page, not a stack trace; the transaction is already rolled back."""

import logging

from django.db import InterfaceError, OperationalError
from django.http import JsonResponse
from django.shortcuts import render

logger = logging.getLogger("training.database")


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable during %s %s: %s", request.method, request.path, type(exception).__name__)
        message = "数据库暂时无法连接，您刚才的操作没有保存。请稍后重试。"
        if request.path.startswith("/api/"):
            response = JsonResponse({"detail": message}, status=503)
        else:
            response = render(request, "503.html", {"message": message}, status=503)
        response["Retry-After"] = "30"
        return response


errors_logger = logging.getLogger("django.request")


class FriendlyErrorsMiddleware:
    """With DEBUG on, normal pages still answer 404 and 500 with the Chinese pages a teacher understands;
    a developer who wants Django's technical pages sets DEBUG_TECHNICAL_ERRORS=1. With DEBUG off Django
    already uses handler404 and 500.html, and this does nothing.

    Sits after CommonMiddleware, so a path missing its slash is still redirected first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def _active(self) -> bool:
        from django.conf import settings

        return settings.DEBUG and not settings.DEBUG_TECHNICAL_ERRORS

    def __call__(self, request):
        response = self.get_response(request)
        # No route matched: Django would show its technical "Page not found" page.
        if self._active() and response.status_code == 404 and getattr(request, "resolver_match", None) is None:
            return self._not_found(request)
        return response

    def _not_found(self, request):
        from .views import not_found_view

        return not_found_view(request)

    def process_exception(self, request, exception):
        from django.core.exceptions import PermissionDenied
        from django.http import Http404

        if not self._active() or isinstance(exception, PermissionDenied):
            return None
        if isinstance(exception, Http404):
            return self._not_found(request)
        errors_logger.error("Internal Server Error: %s", request.path, exc_info=exception)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": "服务器出错，请稍后重试。"}, status=500)
        return render(request, "500.html", status=500)
