"""The organiser's quiz set-up pages: create, edit, delete or withdraw (停用) — writes through exams.services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from courses.selectors import programme_can_manage, programmes_visible_to

from . import selectors, services
from .forms import QuizSetupForm, apply_errors
from .models import QuestionKind, Quiz

COUNT_FIELDS = {"single_count": QuestionKind.SINGLE, "multiple_count": QuestionKind.MULTIPLE,
                "truefalse_count": QuestionKind.TRUEFALSE}  # fmt: skip


def _managed(request, programme):
    if not programme_can_manage(user=request.user, programme=programme):
        raise PermissionDenied("只有项目所属单位的组织者可以管理该项目的测试。")


def _managed_quiz(request, pk: int) -> Quiz:
    visible = programmes_visible_to(user=request.user).values("pk")
    quiz = get_object_or_404(Quiz.objects.select_related("programme"), pk=pk, programme__in=visible)
    _managed(request, quiz.programme)
    return quiz


def _back(programme):
    return redirect("exams:programme", code=programme.code)


def _render(request, form, programme, quiz):
    by_law = selectors.bank_counts_by_law()
    chosen = form["laws"].value() or []
    laws = chosen or list(by_law)
    available = {field: sum(by_law.get(law, {}).get(kind, 0) for law in laws) for field, kind in COUNT_FIELDS.items()}
    return render(
        request,
        "exams/quiz_form.html",
        {
            "form": form,
            "programme": programme,
            "quiz": quiz,
            "available": available,
            "bank": by_law,
            "count_kinds": {field: str(kind) for field, kind in COUNT_FIELDS.items()},
        },
    )


@login_required
def quiz_create_view(request, code: str):
    programme = get_object_or_404(programmes_visible_to(user=request.user), code=code)
    _managed(request, programme)
    form = QuizSetupForm(request.POST or None, initial={"title": "课后法治知识测试"})
    if request.method == "POST" and form.is_valid():
        try:
            quiz = services.quiz_create(actor=request.user, programme=programme, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"已创建测试“{quiz.title}”（{quiz.question_count} 题）。")
            return _back(programme)
    return _render(request, form, programme, None)


@login_required
def quiz_edit_view(request, pk: int):
    quiz = _managed_quiz(request, pk)
    form = QuizSetupForm(request.POST or None, initial=QuizSetupForm.initial_from(quiz))
    if request.method == "POST" and form.is_valid():
        try:
            services.quiz_update(actor=request.user, quiz=quiz, **form.cleaned_data)
        except ValidationError as error:
            quiz.refresh_from_db()
            apply_errors(form, error)
        else:
            messages.success(request, f"已保存测试“{quiz.title}”。")
            return _back(quiz.programme)
    return _render(request, form, quiz.programme, quiz)


@login_required
def quiz_delete_view(request, pk: int):
    quiz = _managed_quiz(request, pk)
    if request.method == "POST":
        try:
            services.quiz_delete(actor=request.user, quiz=quiz)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, f"已删除测试“{quiz.title}”。")
        return _back(quiz.programme)
    return render(request, "exams/quiz_delete.html", {"quiz": quiz, "programme": quiz.programme})


@login_required
@require_POST
def quiz_withdraw_view(request, pk: int):
    quiz = _managed_quiz(request, pk)
    try:
        if request.POST.get("reinstate"):
            services.quiz_reinstate(actor=request.user, quiz=quiz)
            messages.success(request, f"已恢复测试“{quiz.title}”：重新开放作答并计入结业要求。")
        else:
            services.quiz_withdraw(actor=request.user, quiz=quiz)
            messages.success(request, f"已停用测试“{quiz.title}”：不再开放作答，不计入结业要求；已有作答记录保留。")
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    return _back(quiz.programme)
