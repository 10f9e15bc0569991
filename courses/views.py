"""Pages for teachers (home, catalogue) and organisers (programme list and roster)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.models import Role, User
from accounts.selectors import teacher_by_id_number
from common.params import year_param

from . import selectors, services
from .forms import AddTeacherForm
from .hooks import PROGRAMME_PAGES, TEACHER_HOME_STATUSES, TEACHER_PROGRAMME_PANELS
from .models import Enrolment, EnrolmentSource, EnrolmentStatus


def _error_text(error: ValidationError) -> str:
    return "；".join(error.messages)


@login_required
def teacher_home_view(request):
    enrolments = list(selectors.teacher_programmes(teacher=request.user))
    ids = [enrolment.programme_id for enrolment in enrolments]
    for status in TEACHER_HOME_STATUSES:
        found = status(teacher=request.user, programme_ids=ids)
        for enrolment in enrolments:
            enrolment.home_status = getattr(enrolment, "home_status", None) or found.get(enrolment.programme_id)
    return render(request, "courses/home.html", {"enrolments": enrolments})


@login_required
def catalogue_view(request):
    programmes = selectors.programme_catalogue(user=request.user)
    return render(request, "courses/catalogue.html", {"programmes": programmes})


@login_required
def programme_detail_view(request, code: str):
    programme = get_object_or_404(selectors.programmes_visible_to(user=request.user), code=code)
    enrolment = None
    panels = []
    if request.user.is_teacher:
        enrolment = Enrolment.objects.filter(programme=programme, teacher=request.user).first()
        if enrolment and enrolment.status == EnrolmentStatus.ENROLLED:
            panels = [
                (name, context(programme=programme, teacher=request.user)) for name, context in TEACHER_PROGRAMME_PANELS
            ]
    return render(
        request,
        "courses/programme_detail.html",
        {
            "programme": programme,
            "sessions": programme.sessions.all(),
            "enrolment": enrolment,
            "panels": panels,
            "can_cancel": bool(enrolment) and selectors.enrolment_can_cancel(user=request.user, enrolment=enrolment),
        },  # fmt: skip
    )


@login_required
@require_POST
def enrol_view(request, code: str):
    programme = get_object_or_404(selectors.programmes_visible_to(user=request.user), code=code)
    try:
        services.enrolment_create(
            actor=request.user, programme=programme, teacher=request.user, source=EnrolmentSource.SELF
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"报名成功：{programme.title}")
    return redirect("courses:programme_detail", code=programme.code)


@login_required
@require_POST
def cancel_view(request, code: str):
    enrolment = get_object_or_404(
        Enrolment.objects.select_related("programme"), programme__code=code, teacher=request.user
    )
    try:
        services.enrolment_cancel(actor=request.user, enrolment=enrolment)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, _error_text(error) if isinstance(error, ValidationError) else str(error))
    else:
        messages.success(request, f"已取消报名：{enrolment.programme.title}")
    return redirect("courses:programme_detail", code=code)


def _staff_only(user: User) -> None:
    if not (user.is_superuser or user.role in {Role.ORGANISER, Role.BUREAU}):
        raise PermissionDenied("此页面仅供培训组织者和教育局使用。")


@login_required
def manage_list_view(request):
    _staff_only(request.user)
    queryset = selectors.programmes_with_counts(queryset=selectors.programmes_visible_to(user=request.user))
    if year := year_param(request.GET.get("year")):
        queryset = queryset.filter(year=year)
    show_closed = request.GET.get("closed") == "1"
    if not show_closed:
        queryset = queryset.filter(closed_at__isnull=True)
    return render(
        request,
        "courses/manage_list.html",
        {
            "programmes": queryset.order_by("-start_date", "code"),
            "year": year,
            "show_closed": show_closed,
            "read_only": not request.user.is_organiser,
        },
    )


@login_required
def manage_detail_view(request, code: str):
    _staff_only(request.user)
    programme = get_object_or_404(selectors.programmes_visible_to(user=request.user), code=code)
    can_manage = selectors.programme_can_manage(user=request.user, programme=programme)
    form = AddTeacherForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("您只能查看，不能修改该项目。")
        if form.is_valid():
            teacher = teacher_by_id_number(id_number=form.cleaned_data["id_number"])
            if teacher is None:
                form.add_error("id_number", "系统中没有这个身份证号的教师，请先通过名单导入或后台添加教师。")
            else:
                try:
                    services.enrolment_create(
                        actor=request.user, programme=programme, teacher=teacher, source=EnrolmentSource.ORGANISER
                    )
                except ValidationError as error:
                    form.add_error(None, _error_text(error))
                else:
                    messages.success(request, f"已添加学员：{teacher.name}")
                    return redirect("courses:manage_detail", code=programme.code)
    roster = selectors.programme_roster(programme=programme)
    page = Paginator(roster, 100).get_page(request.GET.get("page"))
    enrolled = roster.filter(status=EnrolmentStatus.ENROLLED).count()
    return render(
        request,
        "courses/manage_detail.html",
        {
            "programme": programme,
            "sessions": programme.sessions.all(),
            "page": page,
            "enrolled": enrolled,
            "can_manage": can_manage,
            "form": form,
            "related_pages": PROGRAMME_PAGES,
        },
    )
