"""Pages: the projector QR, the phone check-in, code entry, manual marking, reports."""

import datetime
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import User
from common.downloads import attachment
from courses.models import Session
from courses.selectors import programme_can_manage, programmes_visible_to
from training_site.client import client_address

from . import exports, selectors, services, tokens
from .models import Status
from .qr import qr_svg

PENDING_KEY = "pending_checkin"
DEVICE_COOKIE = "att_device"


def _device_id(request) -> str:
    """The phone's device id: its cookie, or a new one that _with_device_cookie will set."""
    return request.COOKIES.get(DEVICE_COOKIE, "")[:64] or secrets.token_hex(16)


def _client(request, device_id: str | None = None) -> dict:
    return {
        "ip": client_address(request) or None,
        "user_agent": request.META.get("HTTP_USER_AGENT", ""),
        "device_id": device_id if device_id is not None else request.COOKIES.get(DEVICE_COOKIE, "")[:64],
    }


def _with_device_cookie(request, response, device_id: str | None = None):
    if not request.COOKIES.get(DEVICE_COOKIE):
        # Secure whenever the session cookie is (production): the device id must not travel over plain HTTP.
        response.set_cookie(
            DEVICE_COOKIE,
            device_id or secrets.token_hex(16),
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def _result(request, *, outcome: str, session=None, record=None, message: str = "", status: int = 200, walk_in=False):
    return render(
        request,
        "attendance/result.html",
        {"outcome": outcome, "session": session, "record": record, "message": message, "walk_in": walk_in},
        status=status,
    )


@never_cache
@require_GET
def scan_view(request, token: str):
    """The QR's URL: check the token at once; check in now if signed in, else remember it and
    complete after the sign-in detour."""
    now = timezone.now()
    try:
        session, kind = services.token_session(token=token, moment=now)
    except services.CheckinRefused as refused:
        return _with_device_cookie(
            request, _result(request, outcome="refused", message=str(refused), status=refused.status)
        )
    user = request.user
    if user.is_authenticated and not user.must_change_password:
        # Signed in already, as most phones in the hall are: check in within this one request.
        device_id = _device_id(request)
        response = _check_in(request, session=session, kind=kind, scanned_at=now, device_id=device_id)
        return _with_device_cookie(request, response, device_id)
    request.session[PENDING_KEY] = {
        "session": session.pk,
        "kind": kind,
        "scanned_at": now.isoformat(),
        # What the sign-in page says the check-in is waiting for (accounts cannot ask attendance).
        "label": f"{session.programme.title} · {session.title}（{session.when}）{'签退' if kind == 'out' else ''}",
        "grace_minutes": settings.ATTENDANCE_SIGN_IN_GRACE_SECONDS // 60,
    }
    response = redirect("attendance:complete")
    return _with_device_cookie(request, response)


def _check_in(request, *, session: Session, kind: str, scanned_at, device_id: str | None = None):
    try:
        result = services.checkin_scan(
            token_session_kind=(session, kind),
            teacher=request.user,
            scanned_at=scanned_at,
            **_client(request, device_id),
        )
    except services.CheckinRefused as refused:
        return _result(request, outcome="refused", session=session, message=str(refused), status=refused.status)
    return _result(request, outcome=result.outcome, session=session, record=result.record, walk_in=result.walk_in)


@never_cache
@login_required
@require_GET
def complete_view(request):
    """Finish the scan remembered in the session, if it is within the sign-in grace period."""
    pending = request.session.pop(PENDING_KEY, None)
    if not pending:
        return _result(request, outcome="refused", message="没有待完成的签到，请扫描现场屏幕上的二维码。", status=400)
    scanned_at = parse_datetime(pending["scanned_at"])
    session = Session.objects.select_related("programme").filter(pk=pending["session"]).first()
    grace = datetime.timedelta(seconds=settings.ATTENDANCE_SIGN_IN_GRACE_SECONDS)
    if session is None:
        return _result(request, outcome="refused", message="该课次已不存在。", status=404)
    if timezone.now() - scanned_at > grace:
        minutes = settings.ATTENDANCE_SIGN_IN_GRACE_SECONDS // 60
        return _result(
            request,
            outcome="refused",
            session=session,
            message=f"扫码已超过 {minutes} 分钟，签到未完成。请重新扫描现场屏幕上的二维码。",
            status=410,
        )
    return _check_in(request, session=session, kind=pending["kind"], scanned_at=scanned_at)


@login_required
@require_http_methods(["GET", "POST"])
def code_view(request):
    if request.method == "POST":
        try:
            result = services.checkin_by_code(
                teacher=request.user, code=request.POST.get("code", ""), moment=timezone.now(), **_client(request)
            )
        except services.CheckinRefused as refused:
            return render(request, "attendance/code.html", {"error": str(refused)}, status=refused.status)
        return _result(
            request, outcome=result.outcome, session=result.record.session, record=result.record, walk_in=result.walk_in
        )
    return render(request, "attendance/code.html")


def _session_for(request, pk: int, *, manage: bool) -> Session:
    visible = programmes_visible_to(user=request.user).values("pk")
    session = get_object_or_404(Session.objects.select_related("programme"), pk=pk, programme__in=visible)
    if request.user.is_teacher:
        raise PermissionDenied("此页面仅供培训组织者使用。")
    if manage and not programme_can_manage(user=request.user, programme=session.programme):
        raise PermissionDenied("只有项目所属单位的组织者可以操作签到。")
    return session


def _checkin_url(request, session: Session, kind: str) -> str:
    return request.build_absolute_uri(
        reverse("attendance:scan", args=[tokens.make_token(session_id=session.pk, kind=kind, moment=timezone.now())])
    )


@login_required
def projector_view(request, pk: int):
    session = _session_for(request, pk, manage=True)
    kind = "out" if request.GET.get("kind") == "out" else "in"
    return render(
        request,
        "attendance/projector.html",
        {
            "session": session,
            "kind": kind,
            "rotation": tokens.rotation_seconds(),
            "window": selectors.window_for(session),
            "live": selectors.session_live(session=session),
            "url": _checkin_url(request, session, kind),
        },
    )


@never_cache
@login_required
def live_view(request, pk: int):
    """What the projector polls: a fresh QR, the count and the latest names."""
    session = _session_for(request, pk, manage=True)
    kind = "out" if request.GET.get("kind") == "out" else "in"
    url = _checkin_url(request, session, kind)
    live = selectors.session_live(session=session)
    return JsonResponse({**live, "url": url, "qr_svg": qr_svg(url), "rotation": tokens.rotation_seconds()})


@login_required
def sheet_view(request, pk: int):
    """A printable fallback: a QR valid only inside the window, and the 6-digit code."""
    session = _session_for(request, pk, manage=True)
    url = request.build_absolute_uri(
        reverse("attendance:scan", args=[tokens.make_token(session_id=session.pk, kind="sheet")])
    )
    return render(
        request,
        "attendance/sheet.html",
        {
            "session": session,
            "qr": qr_svg(url),
            "code": tokens.session_code(session.pk),
            "window": selectors.window_for(session),
            "code_url": request.build_absolute_uri(reverse("attendance:code")),
        },
    )


@login_required
def rule_view(request, pk: int):
    """The session's check-in rule, set through attendance_rule_set; back to the session with a message."""
    from .forms import AttendanceRuleForm

    session = _session_for(request, pk, manage=True)
    rule = selectors.rule_for(session)
    form = AttendanceRuleForm(request.POST or None, initial=AttendanceRuleForm.initial_from(rule))
    if request.method == "POST" and form.is_valid():
        try:
            services.attendance_rule_set(actor=request.user, session=session, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in getattr(error, "message_dict", {None: error.messages}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"已保存“{session.title}”的签到规则。")
            return redirect("attendance:session", pk=session.pk)
    return render(request, "attendance/rule_form.html", {"session": session, "form": form})


def _window_text(window) -> str:
    opens, closes = timezone.localtime(window.opens), timezone.localtime(window.closes)
    return f"{opens:%H:%M}–{closes:%H:%M} 有效"


@login_required
def sheet_pdf_view(request, pk: int):
    """The sign-in sheet as a PDF to print: enrolled teachers with a signature column, the QR and the code."""
    from .sheet_pdf import sign_in_sheet_pdf

    session = _session_for(request, pk, manage=True)
    url = request.build_absolute_uri(
        reverse("attendance:scan", args=[tokens.make_token(session_id=session.pk, kind="sheet")])
    )
    rows = [row for row in selectors.session_report(session=session) if row["teacher"].is_teacher]
    data = sign_in_sheet_pdf(
        session=session,
        rows=rows,
        qr_url=url,
        code=tokens.session_code(session.pk),
        window=_window_text(selectors.window_for(session)),
    )
    return attachment(
        data, filename=f"{session.programme.code}-签到单.pdf", content_type="application/pdf", inline=True
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_view(request, pk: int):
    """The session's attendance: counts, search, flags, and manual marking by the organiser."""
    session = _session_for(request, pk, manage=False)
    can_manage = programme_can_manage(user=request.user, programme=session.programme)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("您只能查看考勤，不能修改。")
        teacher = get_object_or_404(User, pk=request.POST.get("teacher"))
        try:
            services.attendance_mark(
                actor=request.user,
                session=session,
                teacher=teacher,
                status=request.POST.get("status", ""),
                reason=request.POST.get("reason", ""),
            )
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, f"已更新 {teacher.name} 的考勤。")
        return redirect(f"{reverse('attendance:session', args=[session.pk])}?q={request.POST.get('q', '')}")
    rows = selectors.session_report(session=session)
    summary = selectors.session_summary(rows)
    query = (request.GET.get("q") or "").strip()
    if query:
        rows = [
            row
            for row in rows
            if query in row["teacher"].name
            or (row["teacher"].mobile and query in row["teacher"].mobile)
            or (row["teacher"].id_number and row["teacher"].id_number.endswith(query.upper()))
        ]
    flagged = request.GET.get("flagged") == "1"
    if flagged:
        rows = [row for row in rows if row["record"] and row["record"].flag]
    return render(
        request,
        "attendance/session.html",
        {
            "session": session,
            "rows": rows[:300],
            "truncated": len(rows) > 300,
            "summary": summary,
            "q": query,
            "flagged": flagged,
            "can_manage": can_manage,
            "statuses": Status.choices,
            "window": selectors.window_for(session),
        },
    )


@login_required
def programme_view(request, code: str):
    programme = get_object_or_404(programmes_visible_to(user=request.user), code=code)
    if request.user.is_teacher:
        raise PermissionDenied("此页面仅供培训组织者和教育局使用。")
    sessions = list(programme.sessions.all())
    teachers = list(selectors.programme_attendance(programme=programme)[:500])
    total = len(sessions)
    return render(
        request,
        "attendance/programme.html",
        {
            "programme": programme,
            "sessions": sessions,
            "teachers": teachers,
            "total": total,
            "can_manage": programme_can_manage(user=request.user, programme=programme),
        },
    )


def _xlsx(data: bytes, filename: str):
    return attachment(data, filename=filename)


@login_required
def session_export_view(request, pk: int):
    session = _session_for(request, pk, manage=False)
    return _xlsx(exports.session_workbook(session=session), f"{session.programme.code}-课次{session.pk}-考勤.xlsx")


@login_required
def programme_export_view(request, code: str):
    programme = get_object_or_404(programmes_visible_to(user=request.user), code=code)
    if request.user.is_teacher:
        raise PermissionDenied("教师不能导出考勤。")
    return _xlsx(exports.programme_workbook(programme=programme), f"{programme.code}-考勤汇总.xlsx")


def _study_session(request, pk: int) -> Session:
    session = get_object_or_404(
        Session.objects.select_related("programme"), pk=pk, programme__in=programmes_visible_to(user=request.user)
    )
    if not session.is_online:
        raise Http404("不是线上课次。")
    return session


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def study_view(request, pk: int):
    """An online session's study page: open the material, then confirm having studied it."""
    session = _study_session(request, pk)
    error = ""
    if request.method == "POST":
        try:
            result = services.study_complete(session=session, teacher=request.user, moment=timezone.now())
        except services.CheckinRefused as refused:
            error = str(refused)
        else:
            if result.outcome == "studied":
                messages.success(request, f"已确认完成学习：{session.title}")
            return redirect("attendance:study", pk=session.pk)
    context = selectors.study_state(session=session, teacher=request.user)
    return render(request, "attendance/study.html", {"session": session, "error": error, **context})


@never_cache
@login_required
@require_GET
def study_material_view(request, pk: int):
    """Record the opening, then hand over the material: the file itself or a redirect to the link."""
    session = _study_session(request, pk)
    try:
        services.study_material_open(session=session, teacher=request.user, moment=timezone.now())
    except services.CheckinRefused as refused:
        messages.error(request, str(refused))
        return redirect("attendance:study", pk=session.pk)
    if session.material_file:
        name = session.material_file.name.rsplit("/", 1)[-1]
        return FileResponse(session.material_file.open("rb"), filename=name)
    return redirect(session.material_url)


def study_panel(*, programme, teacher) -> dict:
    """The teacher's programme page: each online session with its study state."""
    return {"sessions": selectors.teacher_study_sessions(programme=programme, teacher=teacher)}
