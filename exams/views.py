"""Teacher pages (quizzes, attempt with autosave, result and review) and organiser results."""

import json
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from common.downloads import attachment
from courses.selectors import programme_can_manage, programmes_visible_to

from . import exports, selectors, services
from .models import Attempt, Quiz

RESULTS_PER_PAGE = 100


def _refused(request, error: services.QuizRefused):
    return render(request, "exams/refused.html", {"message": str(error)}, status=error.status)


def _with_state(quizzes) -> list:
    """Each quiz with what the teacher may still do, from the one-place rules."""
    quizzes, now = list(quizzes), timezone.now()
    for quiz in quizzes:
        quiz.remaining = selectors.attempts_remaining(quiz=quiz, used=quiz.used, now=now)
        quiz.is_open_now = selectors.quiz_open_now(quiz=quiz, now=now)
        quiz.is_closed = now >= quiz.closes_at
    return quizzes


@login_required
def quiz_list_view(request):
    if not request.user.is_teacher:
        return redirect("courses:manage_list")
    quizzes = _with_state(selectors.quizzes_for_teacher(teacher=request.user))
    return render(request, "exams/quiz_list.html", {"quizzes": quizzes})


def quiz_panel(*, programme, teacher) -> dict:
    """The teacher's programme page: its quizzes, linked, with their state."""
    return {"quizzes": _with_state(selectors.quizzes_for_teacher(teacher=teacher).filter(programme=programme))}


@login_required
def quiz_detail_view(request, pk: int):
    quiz = (
        get_object_or_404(selectors.quizzes_for_teacher(teacher=request.user), pk=pk)
        if request.user.is_teacher
        else None
    )
    if quiz is None:
        return redirect("exams:results", pk=pk)
    services.attempts_grade_expired(quiz=quiz, teacher=request.user)
    attempts = Attempt.objects.filter(quiz=quiz, teacher=request.user).order_by("number")
    counting = selectors.counting_attempt(quiz=quiz, teacher=request.user)
    now = timezone.now()
    return render(
        request,
        "exams/quiz_detail.html",
        {
            "quiz": quiz,
            "attempts": attempts,
            "counting": counting,
            "remaining": selectors.attempts_remaining(quiz=quiz, used=len(attempts), now=now),
            "open_attempt": next((a for a in attempts if a.is_open), None),
            "is_open_now": selectors.quiz_open_now(quiz=quiz, now=now),
        },
    )


@login_required
@require_POST
def attempt_start_view(request, pk: int):
    quiz = get_object_or_404(Quiz.objects.select_related("programme"), pk=pk)
    try:
        attempt = services.attempt_start(quiz=quiz, teacher=request.user)
    except services.QuizRefused as refused:
        return _refused(request, refused)
    return redirect("exams:attempt", pk=attempt.pk)


def _own_attempt(request, pk: int) -> Attempt:
    return get_object_or_404(Attempt.objects.select_related("quiz", "quiz__programme"), pk=pk, teacher=request.user)


@never_cache
@login_required
def attempt_view(request, pk: int):
    attempt = _own_attempt(request, pk)
    if attempt.is_open and timezone.now() > attempt.deadline + services.ANSWER_GRACE:
        services.attempt_submit(attempt=attempt, teacher=request.user)
        attempt.refresh_from_db()
    if not attempt.is_open:
        return redirect("exams:result", pk=attempt.pk)
    items = selectors.attempt_items(attempt=attempt)
    return render(
        request,
        "exams/attempt.html",
        {
            "attempt": attempt,
            "items": items,
            "answered": sum(1 for item in items if item["selected"]),
            "seconds_left": max(0, int((attempt.deadline - timezone.now()).total_seconds())),
        },
    )


@login_required
@require_POST
def attempt_answer_view(request, pk: int):
    """Autosave: {"question": id, "options": [ids]} → {"saved": true}."""
    attempt = _own_attempt(request, pk)
    try:
        body = json.loads(request.body or b"{}")
        question_id = int(body["question"])
        option_ids = [int(option) for option in body.get("options", [])]
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"saved": False, "error": "请求格式不正确。"}, status=400)
    try:
        services.attempt_answer(attempt=attempt, teacher=request.user, question_id=question_id, option_ids=option_ids)
    except services.QuizRefused as refused:
        return JsonResponse({"saved": False, "error": str(refused)}, status=refused.status)
    return JsonResponse(
        {"saved": True, "seconds_left": max(0, int((attempt.deadline - timezone.now()).total_seconds()))}
    )


@login_required
@require_POST
def attempt_submit_view(request, pk: int):
    attempt = _own_attempt(request, pk)
    services.attempt_submit(attempt=attempt, teacher=request.user)
    return redirect("exams:result", pk=attempt.pk)


@never_cache
@login_required
def attempt_result_view(request, pk: int):
    attempt = _own_attempt(request, pk)
    if attempt.is_open:
        return redirect("exams:attempt", pk=attempt.pk)
    review = selectors.review_allowed(attempt=attempt)
    return render(
        request,
        "exams/result.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "review": review,
            "items": selectors.attempt_items(attempt=attempt, with_key=True) if review else [],
            "remaining": selectors.attempts_remaining(
                quiz=attempt.quiz, used=Attempt.objects.filter(quiz=attempt.quiz, teacher=request.user).count()
            ),
        },
    )


def _staff_quiz(request, pk: int) -> Quiz:
    if request.user.is_teacher:
        raise PermissionDenied("此页面仅供培训组织者和教育局使用。")
    visible = programmes_visible_to(user=request.user).values("pk")
    return get_object_or_404(Quiz.objects.select_related("programme"), pk=pk, programme__in=visible)


@login_required
def results_view(request, pk: int):
    quiz = _staff_quiz(request, pk)
    services.attempts_grade_expired(quiz=quiz)
    rows = selectors.results_table(quiz=quiz)
    school = request.GET.get("school", "").strip()
    result = request.GET.get("result", "")
    shown = [
        row
        for row in rows
        if (not school or row["teacher"].school == school)
        and (
            not result
            or (result == "passed" and row["passed"])
            or (result == "failed" and row["attempt"] and not row["passed"])
            or (result == "absent" and not row["attempt"])
        )
    ]
    page = Paginator(shown, RESULTS_PER_PAGE).get_page(request.GET.get("page"))
    query = urlencode({key: value for key, value in (("school", school), ("result", result)) if value})
    return render(
        request,
        "exams/results.html",
        {
            "quiz": quiz,
            "rows": page,
            "page": page,
            "shown_count": len(shown),
            "schools": sorted({row["teacher"].school for row in rows if row["teacher"].school}),
            "school": school,
            "result": result,
            "query": query,
            "stats": selectors.quiz_statistics(quiz=quiz, rows=rows),
            "items": selectors.item_analysis(quiz=quiz),
            "can_manage": programme_can_manage(user=request.user, programme=quiz.programme),
        },
    )


@login_required
def results_export_view(request, pk: int):
    quiz = _staff_quiz(request, pk)
    services.attempts_grade_expired(quiz=quiz)
    return attachment(exports.results_workbook(quiz=quiz), filename=f"{quiz.programme.code}-测试成绩.xlsx")


@login_required
def programme_quizzes_view(request, code: str):
    if request.user.is_teacher:
        raise PermissionDenied("此页面仅供培训组织者和教育局使用。")
    programme = get_object_or_404(programmes_visible_to(user=request.user), code=code)
    return render(
        request,
        "exams/programme.html",
        {
            "programme": programme,
            "quizzes": selectors.programme_quizzes(programme=programme, include_withdrawn=True),
            "can_manage": programme_can_manage(user=request.user, programme=programme),
        },
    )
