"""Pages: the teacher's certificates and hours, the public verification, the organiser's issuing."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.identity import mask_name
from common.downloads import attachment
from common.params import year_param
from courses.models import EnrolmentStatus
from courses.selectors import programme_can_manage, programmes_visible_to
from training_site.client import client_address
from training_site.site import site_url

from . import exports, selectors, services
from .forms import CertificateStyleForm, CompletionRuleForm
from .models import Certificate, CertificateJob, CertificateStatus, JobKind
from .pdf import certificate_filename, certificate_pdf


def home_status(*, teacher, programme_ids: list[int]) -> dict:
    """The teacher's home: 已结业 and the certificate, for programmes with a valid one (one query)."""
    found = Certificate.objects.filter(teacher=teacher, programme_id__in=programme_ids, status=CertificateStatus.VALID)
    return {
        certificate.programme_id: {
            "label": "已结业",
            "url": reverse("certificates:pdf", args=[certificate.pk]),
            "link_text": f"证书 {certificate.serial}（PDF）",
        }
        for certificate in found.order_by("version")
    }


def completion_panel(*, programme, teacher) -> dict:
    """The teacher's programme page: done, or what is still missing."""
    rule = selectors.rule_for(programme)
    return {
        "certificate": Certificate.objects.filter(
            programme=programme, teacher=teacher, status=CertificateStatus.VALID
        ).first(),
        "completion": selectors.teacher_completion(programme=programme, teacher=teacher, rule=rule),
        "rule_text": rule.describe(),
    }


@login_required
def mine_view(request):
    if not request.user.is_teacher:
        return redirect("courses:manage_list")
    return render(
        request,
        "certificates/mine.html",
        {
            "certificates": selectors.certificates_visible_to(user=request.user).order_by("-issued_at"),
            "years": selectors.credit_hours_by_year(teacher=request.user),
        },
    )


@login_required
def pdf_view(request, pk: int):
    certificate = get_object_or_404(selectors.certificates_visible_to(user=request.user), pk=pk)
    if not request.user.is_teacher and not programme_can_manage(user=request.user, programme=certificate.programme):
        raise PermissionDenied("只有学员本人和项目所属单位的组织者可以下载证书。")
    return attachment(
        certificate_pdf(certificate, site=site_url(request)),
        filename=certificate_filename(certificate),
        content_type="application/pdf",
    )


def _rate_limited(request) -> bool:
    key = f"verify-rate:{client_address(request)}"
    count = cache.get(key, 0) + 1
    cache.set(key, count, timeout=60)
    return count > settings.VERIFY_RATE_PER_MINUTE


def _public(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "no-store"
    return response


def _verify_page(request, certificate, *, query: str = "", status: int = 200):
    context = {
        "certificate": certificate,
        "query": query,
        "masked_name": mask_name(certificate.trainee_name) if certificate else "",
    }
    return _public(render(request, "certificates/verify.html", context, status=status))


def verify_code_view(request, code: str):
    """The URL in the QR: valid, revoked, or a plain 404."""
    if _rate_limited(request):
        return _public(render(request, "certificates/verify.html", {"limited": True}, status=429))
    certificate = Certificate.objects.filter(verification_code=code.lower()).first()
    if certificate is None:
        return _public(render(request, "certificates/verify.html", {"not_found": True, "query": code}, status=404))
    return _verify_page(request, certificate)


def verify_search_view(request):
    query = (request.GET.get("q") or "").strip()
    if not query:
        return _verify_page(request, None)
    if _rate_limited(request):
        return _public(render(request, "certificates/verify.html", {"limited": True, "query": query}, status=429))
    certificate = selectors.certificate_by_code_or_serial(text=query)
    if certificate is None:
        return _public(render(request, "certificates/verify.html", {"not_found": True, "query": query}, status=404))
    return _verify_page(request, certificate, query=query)


def _managed(request, code: str):
    programme = get_object_or_404(programmes_visible_to(user=request.user), code=code)
    if request.user.is_teacher:
        raise PermissionDenied("此页面仅供培训组织者和教育局使用。")
    return programme


CERTIFICATES_PER_PAGE = 30


def _list_query(params) -> dict:
    """The certificate list's filters and page, as the list and the revoke form pass them on."""
    query = {key: params.get(key, "").strip()[:50] for key in ("q", "status", "page") if params.get(key, "").strip()}
    if query.get("status") not in (None, *CertificateStatus.values):
        del query["status"]
    return query


@login_required
def programme_view(request, code: str):
    programme = _managed(request, code)
    rule = selectors.rule_for(programme)
    chosen = _list_query(request.GET)
    certificates = selectors.programme_certificates(
        programme=programme,
        status=chosen.get("status", ""),
        word=chosen.get("q", ""),
    )
    page = Paginator(certificates, CERTIFICATES_PER_PAGE).get_page(chosen.get("page"))
    filters = {key: value for key, value in chosen.items() if key != "page"}
    return render(
        request,
        "certificates/programme.html",
        {
            "programme": programme,
            "rule": rule,
            "completed": len(selectors.completed_teacher_ids(programme=programme, rule=rule)),
            "enrolled": programme.enrolments.filter(status=EnrolmentStatus.ENROLLED).count(),
            "certificates": page,
            "page": page,
            "chosen": chosen,
            "filters": urlencode(filters),
            "statuses": CertificateStatus.choices,
            "certificate_count": Certificate.objects.filter(programme=programme).count(),
            "can_manage": programme_can_manage(user=request.user, programme=programme),
            "jobs": selectors.jobs_with_progress(programme.certificate_jobs.all())[:5],
        },
    )


@login_required
def rule_view(request, code: str):
    """The programme's completion rule, set through completion_rule_set."""
    programme = _managed(request, code)
    if not programme_can_manage(user=request.user, programme=programme):
        raise PermissionDenied("只有项目所属单位的组织者可以设置结业规则。")
    rule = selectors.rule_for(programme)
    form = CompletionRuleForm(request.POST or None, initial=CompletionRuleForm.initial_from(rule))
    if request.method == "POST" and form.is_valid():
        try:
            rule = services.completion_rule_set(actor=request.user, programme=programme, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in getattr(error, "message_dict", {None: error.messages}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"已保存结业规则：{rule.describe()}。")
            return redirect("certificates:programme", code=programme.code)
    return render(request, "certificates/rule_form.html", {"programme": programme, "form": form})


@login_required
def style_view(request, code: str):
    """The organising unit's certificate wording, signatory and seal (certificate_style_set)."""
    programme = _managed(request, code)
    if not programme_can_manage(user=request.user, programme=programme):
        raise PermissionDenied("只有项目所属单位的组织者可以设置证书样式。")
    style = selectors.certificate_style_for(unit_id=programme.unit_id)
    initial = {"issuer": style.issuer, "signatory": style.signatory}
    form = CertificateStyleForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["seal"]
        try:
            services.certificate_style_set(
                actor=request.user,
                unit=programme.unit,
                issuer=form.cleaned_data["issuer"],
                signatory=form.cleaned_data["signatory"],
                seal_png=upload.read() if upload else None,
                remove_seal=form.cleaned_data["remove_seal"],
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"已保存{programme.unit.name}的证书样式，此后生成的证书 PDF 按此打印。")
            return redirect("certificates:programme", code=programme.code)
    return render(
        request,
        "certificates/style_form.html",
        {"programme": programme, "form": form, "has_seal": bool(style.seal_png), "is_default": style.unit_id is None},
    )


@login_required
@require_POST
def job_create_view(request, code: str):
    programme = _managed(request, code)
    kind = JobKind.ZIP if request.POST.get("kind") == "zip" else JobKind.ISSUE
    try:
        job = services.job_create(programme=programme, actor=request.user, kind=kind, site=site_url(request))
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("certificates:programme", code=programme.code)
    return redirect("certificates:job", pk=job.pk)


def _own_job(request, pk: int) -> CertificateJob:
    job = get_object_or_404(selectors.jobs_with_progress(CertificateJob.objects.select_related("programme")), pk=pk)
    if not programme_can_manage(user=request.user, programme=job.programme):
        raise Http404
    return job


@never_cache
@login_required
def job_view(request, pk: int):
    job = _own_job(request, pk)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "status": job.status,
                "total": job.total,
                "done": job.done,
                "percent": job.percent,
                "message": job.message,
                "has_file": bool(job.file),
            }
        )
    return render(request, "certificates/job.html", {"job": job})


@login_required
def job_download_view(request, pk: int):
    job = _own_job(request, pk)
    if not job.file:
        raise Http404("文件尚未生成。")
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=f"{job.programme.code}-证书.zip")


@login_required
@require_POST
def revoke_view(request, pk: int):
    """Revoke, or revoke and re-issue, after a confirmation: the button's dialog (confirmed=1) or, without it
    (no script, a replayed form), a page of our own that says what will happen and asks again."""
    certificate = get_object_or_404(
        selectors.certificates_visible_to(user=request.user).select_related("programme", "teacher"), pk=pk
    )
    action = "reissue" if request.POST.get("action") == "reissue" else "revoke"
    reason = request.POST.get("reason", "").strip()
    if request.POST.get("confirmed") != "1":
        if not programme_can_manage(user=request.user, programme=certificate.programme):
            raise PermissionDenied("只有项目所属单位的组织者可以撤销证书。")
        return render(
            request,
            "certificates/revoke_confirm.html",
            {
                "certificate": certificate,
                "action": action,
                "reason": reason,
                "chosen": _list_query(request.POST),
                "back_query": urlencode(_list_query(request.POST)),
            },
        )
    try:
        if action == "reissue":
            new = services.certificate_reissue(certificate=certificate, actor=request.user, reason=reason)
            messages.success(request, f"已重新颁发 {new.serial}（第{new.version}版）。")
        else:
            services.certificate_revoke(certificate=certificate, actor=request.user, reason=reason)
            messages.success(request, f"已撤销 {certificate.serial}。")
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    back = reverse("certificates:programme", args=[certificate.programme.code])
    query = _list_query(request.POST)
    return redirect(f"{back}?{urlencode(query)}" if query else back)


@login_required
def ledger_export_view(request):
    if request.user.is_teacher:
        raise PermissionDenied("教师请在“我的证书与学时”查看本人学时。")
    year = year_param(request.GET.get("year"))
    data = exports.ledger_workbook(user=request.user, year=year)
    return attachment(data, filename=f"学时台账{year or ''}.xlsx")
