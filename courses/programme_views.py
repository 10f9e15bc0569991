"""The organiser's pages for setting up a programme: create, edit, copy, close, and its sessions.

Every write goes through courses.services; every save returns to the programme's page with a message.
"""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import ProgrammeCopyForm, ProgrammeForm, SessionForm, apply_errors
from .models import Programme, Session


def _managed_programme(request, code: str) -> Programme:
    programme = get_object_or_404(selectors.programmes_visible_to(user=request.user), code=code)
    if not selectors.programme_can_manage(user=request.user, programme=programme):
        raise PermissionDenied("您只能查看，不能修改该项目：只有项目所属单位的组织者可以修改。")
    return programme


def _back(programme: Programme):
    return redirect("courses:manage_detail", code=programme.code)


@login_required
def programme_create_view(request):
    if not (request.user.is_organiser or request.user.is_superuser):
        raise PermissionDenied("只有培训组织者可以创建培训项目。")
    if request.user.is_superuser and not request.user.is_organiser:
        raise PermissionDenied("系统管理员请在后台创建项目（需要指定组织单位）。")
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            programme = services.programme_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"已创建培训项目“{programme.title}”（{programme.code}，{programme.year} 年度）。")
            return _back(programme)
    return render(request, "courses/programme_form.html", {"form": form, "programme": None})


@login_required
def programme_edit_view(request, code: str):
    programme = _managed_programme(request, code)
    form = ProgrammeForm(request.POST or None, initial=ProgrammeForm.initial_from(programme))
    if request.method == "POST" and form.is_valid():
        try:
            services.programme_update(actor=request.user, programme=programme, **form.cleaned_data)
        except ValidationError as error:
            programme.refresh_from_db()
            apply_errors(form, error)
        else:
            messages.success(request, f"已保存项目“{programme.title}”。")
            return _back(programme)
    return render(request, "courses/programme_form.html", {"form": form, "programme": programme})


def proposed_copy_code(programme: Programme, years: int = 1) -> str:
    """FZ2021-0914 → FZ2022-0914; a code without its year gets the new year appended."""
    year = str(programme.year)
    if year in programme.code:
        return programme.code.replace(year, str(programme.year + years), 1)
    return f"{re.sub(r'-+$', '', programme.code)}-{programme.year + years}"


@login_required
def programme_copy_view(request, code: str):
    programme = _managed_programme(request, code)
    form = ProgrammeCopyForm(request.POST or None, initial={"code": proposed_copy_code(programme), "years": 1})
    if request.method == "POST" and form.is_valid():
        try:
            copy = services.programme_copy(actor=request.user, programme=programme, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                f"已复制为 {copy.year} 年度的“{copy.title}”（{copy.code}），含 {copy.sessions.count()} 个课次；"
                "请核对日期、课次和名额，确认无误后再开放报名。",
            )
            return _back(copy)
    return render(request, "courses/programme_copy.html", {"form": form, "programme": programme})


@login_required
@require_POST
def programme_close_view(request, code: str):
    programme = _managed_programme(request, code)
    try:
        if request.POST.get("reopen"):
            services.programme_reopen(actor=request.user, programme=programme)
            messages.success(request, f"已重新打开项目“{programme.title}”；如需接受报名，请在编辑项目中开放自主报名。")
        else:
            services.programme_close(actor=request.user, programme=programme)
            messages.success(request, f"已关闭项目“{programme.title}”：不再接受报名，已有记录保持不变。")
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    return _back(programme)


@login_required
def session_create_view(request, code: str):
    programme = _managed_programme(request, code)
    form = SessionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            session = services.session_create(actor=request.user, programme=programme, **form.service_fields())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"已添加课次“{session.title}”（{session.when}）。")
            return _back(programme)
    return render(request, "courses/session_form.html", {"form": form, "programme": programme, "session": None})


def _managed_session(request, code: str, pk: int) -> Session:
    programme = _managed_programme(request, code)
    session = get_object_or_404(Session, pk=pk, programme=programme)
    session.programme = programme
    return session


@login_required
def session_edit_view(request, code: str, pk: int):
    session = _managed_session(request, code, pk)
    form = SessionForm(request.POST or None, request.FILES or None, initial=SessionForm.initial_from(session))
    if request.method == "POST" and form.is_valid():
        try:
            services.session_update(actor=request.user, session=session, **form.service_fields())
        except ValidationError as error:
            session.refresh_from_db()
            apply_errors(form, error)
        else:
            messages.success(request, f"已保存课次“{session.title}”（{session.when}）。")
            return _back(session.programme)
    return render(
        request, "courses/session_form.html", {"form": form, "programme": session.programme, "session": session}
    )


@login_required
def session_delete_view(request, code: str, pk: int):
    session = _managed_session(request, code, pk)
    if request.method == "POST":
        try:
            services.session_delete(actor=request.user, session=session)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, f"已删除课次“{session.title}”。")
        return _back(session.programme)
    return render(request, "courses/session_delete.html", {"programme": session.programme, "session": session})
