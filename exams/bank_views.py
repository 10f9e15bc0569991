"""The shared question bank, read in the site's own pages: organisers choose a quiz's laws knowing what each
holds, the bureau reviews what teachers are asked, and both take the bank away as .xlsx (the import layout).
Teachers never see it (it holds the answer keys). Changing the bank stays the bank manager's (the back office)."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.shortcuts import render

from common.downloads import attachment

from .models import Law, Question, QuestionKind
from .question_io import may_manage_question_bank, questions_workbook
from .selectors import bank_counts_by_law

PER_PAGE = 30


def _staff_only(request) -> None:
    user = request.user
    if not (user.is_superuser or user.is_organiser or user.is_bureau):
        raise PermissionDenied("题库含标准答案，仅供培训组织者和教育局查看。")


def _questions(request):
    """The current versions, filtered by law, kind and a word of the stem; with the filters as chosen."""
    law = request.GET.get("law", "").strip()
    kind = request.GET.get("kind", "").strip()
    word = request.GET.get("q", "").strip()[:50]
    questions = Question.objects.filter(is_current=True)
    if law:
        questions = questions.filter(law_id=law)
    if kind in QuestionKind.values:
        questions = questions.filter(kind=kind)
    else:
        kind = ""
    if word:
        questions = questions.filter(Q(stem__contains=word) | Q(code__iexact=word))
    return questions.order_by("law__position", "code"), {"law": law, "kind": kind, "q": word}


@login_required
def bank_view(request):
    _staff_only(request)
    questions, chosen = _questions(request)
    page = Paginator(questions.select_related("law").prefetch_related("options"), PER_PAGE).get_page(
        request.GET.get("page")
    )
    counts = bank_counts_by_law()
    laws = [
        {
            "law": law,
            "single": counts.get(law.name, {}).get(QuestionKind.SINGLE, 0),
            "multiple": counts.get(law.name, {}).get(QuestionKind.MULTIPLE, 0),
            "truefalse": counts.get(law.name, {}).get(QuestionKind.TRUEFALSE, 0),
        }
        for law in Law.objects.all()
    ]
    query = urlencode({key: value for key, value in chosen.items() if value})
    return render(
        request,
        "exams/bank.html",
        {
            "laws": laws,
            "page": page,
            "chosen": chosen,
            "kinds": QuestionKind.choices,
            "query": query,
            "may_manage": may_manage_question_bank(request.user),
        },
    )


@login_required
def bank_export_view(request):
    _staff_only(request)
    questions, chosen = _questions(request)
    name = f"法治知识题库{('-' + chosen['law']) if chosen['law'] else ''}.xlsx"
    return attachment(questions_workbook(questions), filename=name)
