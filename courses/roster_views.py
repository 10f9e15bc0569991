"""Organiser pages for the roster: template, upload → preview → confirm, error rows, export."""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.downloads import attachment
from common.excel import WorkbookRefused

from . import selectors
from .exports import may_export_full_ids, roster_export
from .roster import RosterHasErrors, error_rows_workbook, roster_commit, roster_preview, template_workbook

UPLOAD_DIR = "roster-uploads"
SESSION_KEY = "roster_uploads"


def _xlsx(data: bytes, filename: str):
    return attachment(data, filename=filename)


def _managed_programme(request, code: str):
    programme = get_object_or_404(selectors.programmes_visible_to(user=request.user), code=code)
    if not selectors.programme_can_manage(user=request.user, programme=programme):
        raise PermissionDenied("只有项目所属单位的组织者可以导入名单。")
    return programme


def _stored_upload(request, programme, token: str) -> tuple[bytes, dict]:
    info = request.session.get(SESSION_KEY, {}).get(token)
    if not info or info["programme"] != programme.code:
        raise Http404("上传记录已失效，请重新上传名单。")
    path = f"{UPLOAD_DIR}/{token}.xlsx"
    if not default_storage.exists(path):
        raise Http404("上传的文件已被清理，请重新上传名单。")
    with default_storage.open(path, "rb") as handle:
        return handle.read(), info


@login_required
@require_GET
def roster_template_view(request):
    if request.user.is_teacher:
        raise PermissionDenied("名单模板供培训组织者使用。")
    return _xlsx(template_workbook(), "培训学员名单模板.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def roster_upload_view(request, code: str):
    programme = _managed_programme(request, code)
    context = {"programme": programme}
    if request.method == "POST":
        upload = request.FILES.get("file")
        sheet = (request.POST.get("sheet") or "").strip() or None
        if upload is None:
            context["error"] = "请选择要上传的 .xlsx 名单文件。"
            return render(request, "courses/roster_upload.html", context, status=400)
        data = upload.read()
        try:
            report = roster_preview(
                actor=request.user, programme=programme, data=data, filename=upload.name, sheet=sheet
            )
        except WorkbookRefused as error:
            context["error"] = str(error)
            return render(request, "courses/roster_upload.html", context, status=400)
        token = uuid.uuid4().hex
        default_storage.save(f"{UPLOAD_DIR}/{token}.xlsx", ContentFile(data))
        uploads = request.session.get(SESSION_KEY, {})
        uploads[token] = {"programme": programme.code, "name": upload.name, "sheet": sheet}
        request.session[SESSION_KEY] = uploads
        context.update(
            report=report,
            summary=report.as_dict(),
            token=token,
            filename=upload.name,
            valid_count=len(report.rows) - len(report.error_rows),
        )
        return render(request, "courses/roster_preview.html", context)
    return render(request, "courses/roster_upload.html", context)


@login_required
@require_POST
def roster_confirm_view(request, code: str):
    programme = _managed_programme(request, code)
    token = request.POST.get("token", "")
    data, info = _stored_upload(request, programme, token)
    valid_only = request.POST.get("valid_only") == "1"
    try:
        report = roster_commit(
            actor=request.user,
            programme=programme,
            data=data,
            filename=info["name"],
            sheet=info["sheet"],
            valid_rows_only=valid_only,
        )
    except RosterHasErrors as refused:
        messages.error(request, f"{refused}请下载错误行修改后重新上传。")
        return render(
            request,
            "courses/roster_preview.html",
            {
                "programme": programme,
                "report": refused.report,
                "summary": refused.report.as_dict(),
                "valid_count": len(refused.report.rows) - len(refused.report.error_rows),
                "token": token,
                "filename": info["name"],
            },
            status=400,
        )
    except WorkbookRefused as error:
        messages.error(request, str(error))
        return redirect("courses:roster_upload", code=programme.code)
    default_storage.delete(f"{UPLOAD_DIR}/{token}.xlsx")
    request.session[SESSION_KEY] = {k: v for k, v in request.session.get(SESSION_KEY, {}).items() if k != token}
    summary = report.as_dict()
    left_out = len(report.error_rows)
    if valid_only and left_out:
        messages.warning(
            request,
            f"已导入无误的行：新增 {summary['new']} 人，更新 {summary['updated']} 人，未变 {summary['unchanged']} 人。"
            f"有错误的 {left_out} 行没有导入：请在项目的名单中核对，改好这些行后再上传（只含这些行或完整名单均可，已导入的不会重复）。",
        )
    elif summary["new"] or summary["updated"]:
        messages.success(
            request,
            f"导入完成：新增 {summary['new']} 人，更新 {summary['updated']} 人，未变 {summary['unchanged']} 人。",
        )
    else:
        messages.success(request, f"名单中的 {summary['unchanged']} 人均已在项目中且信息未变，没有写入任何内容。")
    return redirect("courses:manage_detail", code=programme.code)


@login_required
@require_POST
def roster_cancel_view(request, code: str):
    """The organiser does not import this file: it is deleted now, not left waiting with its personal data."""
    programme = _managed_programme(request, code)
    token = request.POST.get("token", "")
    if token in request.session.get(SESSION_KEY, {}):
        default_storage.delete(f"{UPLOAD_DIR}/{token}.xlsx")
        request.session[SESSION_KEY] = {k: v for k, v in request.session[SESSION_KEY].items() if k != token}
    messages.success(request, "已取消导入，上传的名单文件已删除。")
    return redirect("courses:manage_detail", code=programme.code)


@login_required
@require_GET
def roster_errors_view(request, code: str, token: str):
    programme = _managed_programme(request, code)
    data, info = _stored_upload(request, programme, token)
    try:
        report = roster_preview(
            actor=request.user, programme=programme, data=data, filename=info["name"], sheet=info["sheet"]
        )
    except WorkbookRefused as error:
        raise Http404(str(error)) from error
    return _xlsx(error_rows_workbook(report), f"{programme.code}-错误行.xlsx")


@login_required
@require_GET
def roster_export_view(request, code: str):
    programme = get_object_or_404(selectors.programmes_visible_to(user=request.user), code=code)
    if request.user.is_teacher:
        raise PermissionDenied("教师不能导出名单。")
    full_ids = request.GET.get("full_id") == "1"
    if full_ids and not (
        selectors.programme_can_manage(user=request.user, programme=programme) and may_export_full_ids(request.user)
    ):
        raise PermissionDenied("导出完整身份证号需要“可导出完整身份证号”权限，请联系系统管理员授权。")
    data = roster_export(actor=request.user, programme=programme, full_ids=full_ids)
    return _xlsx(data, f"{programme.code}-学员名单{'-完整身份证号' if full_ids else ''}.xlsx")
