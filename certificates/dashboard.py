"""The bureau's dashboard page, its .xlsx export, the API summary and the terminal command share this."""

from django.core.exceptions import PermissionDenied

from accounts.models import District
from courses.models import Level

from .reports import ReportFilter


def report_filter(user, params) -> ReportFilter:
    """Filters from the URL (so a view can be shared); the bureau sees all, organisers their unit."""
    if user.is_teacher:
        raise PermissionDenied("数据看板仅供教育局和培训组织者使用。")
    from django.utils import timezone

    year = params.get("year", "")
    return ReportFilter(
        year=int(year) if str(year).isdigit() else timezone.localdate().year,
        level=params.get("level", "") if params.get("level", "") in Level.values else "",
        district=params.get("district", "") if params.get("district", "") in District.values else "",
        programme=(params.get("programme") or "").strip().upper()[:32],
        school=(params.get("school") or "").strip()[:100],
    )
