"""The shared question bank, read in the site's own pages: organisers choose a quiz's laws knowing what each
holds, the bureau reviews what teachers are asked, and both take the bank away as .xlsx (the import layout).
Teachers never see it (it holds the answer keys). Changing the bank stays the bank manager's (the back office)."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import render

from common.downloads import attachment

from .models import Law, QuestionKind
from .question_io import may_manage_question_bank, may_read_question_bank, questions_workbook
from .selectors import bank_counts_by_law, bank_questions

PER_PAGE = 30


def _staff_only(request) -> None:
    if not may_read_question_bank(request.user):
        raise PermissionDenied("题库含标准答案，仅供培训组织者和教育局查看。")


def _questions(request):
    """The filters as chosen (law, kind, a word of the stem or a code) and the questions they select."""
    kind = request.GET.get("kind", "").strip()
    chosen = {
        "law": request.GET.get("law", "").strip()[:20],
        "kind": kind if kind in QuestionKind.values else "",
        "q": request.GET.get("q", "").strip()[:50],
    }
    return bank_questions(law=chosen["law"], kind=chosen["kind"], word=chosen["q"]), chosen


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
