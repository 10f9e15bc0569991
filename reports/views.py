"""The bureau's dashboard page and its .xlsx export."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from accounts.models import District
from common.downloads import attachment
from courses.models import Level
from courses.selectors import programmes_visible_to

from . import exports, selectors


@login_required
def dashboard_view(request):
    """Aggregate completion for a year, with filters in the URL and drill-downs."""
    f = selectors.report_filter(request.user, request.GET)
    data = selectors.summary_for_display(user=request.user, f=f, with_schools=bool(f.district))
    detail = selectors.progress_list(user=request.user, f=f, only_not_completed=not (f.programme or f.school))
    page = Paginator(detail, 50).get_page(request.GET.get("page"))
    follow_up = selectors.FollowUp()
    for fact in page:
        fact.missing = follow_up.missing(fact)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "reports/dashboard.html",
        {
            "f": f,
            "data": data,
            "page": page,
            "query": query.urlencode(),
            "levels": Level.choices,
            "districts": District.values,
            "programmes": programmes_visible_to(user=request.user).filter(year=f.year).order_by("start_date"),
            "chart": {
                "levels": [row["level_display"] for row in data["by_level"]],
                "level_enrolments": [row["enrolments"] for row in data["by_level"]],
                "level_completions": [row["completions"] for row in data["by_level"]],
                "districts": [row["teacher__district"] or "未填" for row in data["by_district"]],
                "district_teachers": [row["teachers"] for row in data["by_district"]],
                "district_rates": [row["completion_rate"] for row in data["by_district"]],
                "months": [f"{row['month']}月" for row in data["trend"]],
                "month_enrolments": [row["enrolments"] for row in data["trend"]],
                "month_certificates": [row["certificates"] for row in data["trend"]],
            },
        },
    )


@login_required
def dashboard_export_view(request):
    f = selectors.report_filter(request.user, request.GET)
    data = exports.summary_workbook(
        data=selectors.summary(user=request.user, f=f),
        follow_up=selectors.progress_list(user=request.user, f=f, only_not_completed=True),
    )
    return attachment(data, filename=f"{f.year}年培训完成情况.xlsx")
