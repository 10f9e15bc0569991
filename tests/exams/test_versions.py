"""Question codes and versions through the real edges: the result pages, the admin, the import, the draw."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from exams.models import Attempt, AttemptQuestion, Question, Quiz
from exams.question_io import questions_commit, questions_workbook
from exams.services import attempt_start, attempt_submit, question_create, question_revise, quiz_create
from tests.exams.test_question_import import workbook_bytes

OLD_STEM = "根据教师法，教师享有的权利是（　）。"
NEW_STEM = "根据教师法第七条，下列属于教师权利的是（　）。"


def one_question_quiz(organiser, programme, **extra):
    now = timezone.now()
    return quiz_create(
        actor=organiser, programme=programme, title="一题测试", single_count=1, multiple_count=0, truefalse_count=0,
        max_attempts=3, opens_at=now - datetime.timedelta(hours=1), closes_at=now + datetime.timedelta(days=1),
        **extra,
    )  # fmt: skip


def teachers_right():
    return question_create(
        law="教师法", revision="2009年修正", article="第七条", kind="single", difficulty=1, stem=OLD_STEM,
        explanation="解析：依据教师法第七条。",
        options=[("参加进修或者其他方式的培训", True), ("体罚学生", False), ("拒绝家访", False), ("收取礼金", False)],
    )  # fmt: skip


def take(client, quiz, teacher):
    client.force_login(teacher)
    client.post(reverse("exams:start", args=[quiz.pk]))
    attempt = Attempt.objects.filter(quiz=quiz, teacher=teacher).order_by("-number").first()
    client.post(reverse("exams:submit", args=[attempt.pk]))
    return attempt


def exported_rows(data):
    return list(load_workbook(io.BytesIO(data), read_only=True).worksheets[0].iter_rows(values_only=True))


def test_an_edit_after_answering_is_a_new_version_and_each_attempt_shows_its_own(
    client, organiser, programme, student, admin_user
):
    question = teachers_right()
    quiz = one_question_quiz(organiser, programme)
    first = take(client, quiz, student)
    assert OLD_STEM in client.get(reverse("exams:result", args=[first.pk])).content.decode()

    # The bank's keeper (the superuser; organisers may not change the shared bank) edits the answered question.
    client.force_login(admin_user)
    change = reverse("admin:exams_question_change", args=[question.pk])
    page = client.get(change)
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(stem=NEW_STEM, law="教师法")
    formset = page.context["inline_admin_formsets"][0].formset
    data.update({f"{formset.prefix}-{key}": value for key, value in formset.management_form.initial.items()})
    data[f"{formset.prefix}-TOTAL_FORMS"] = len(formset.initial_forms)
    for index, inline in enumerate(formset.initial_forms):
        for name in inline.fields:
            value = inline[name].value()
            if value is not None and value is not False:
                data[f"{formset.prefix}-{index}-{name}"] = value
    response = client.post(change, data)
    assert response.status_code == 302
    notice = client.get(response.url).content.decode()  # the admin's messages are shown (and used up) here
    assert f"修改已保存为 {question.code} 的第2版" in notice

    versions = list(Question.objects.filter(code=question.code).order_by("version"))
    assert [(q.version, q.is_current, q.stem) for q in versions] == [(1, False, OLD_STEM), (2, True, NEW_STEM)]
    second = take(client, quiz, student)
    old_page = client.get(reverse("exams:result", args=[first.pk])).content.decode()
    new_page = client.get(reverse("exams:result", args=[second.pk])).content.decode()
    assert OLD_STEM in old_page and NEW_STEM not in old_page
    assert NEW_STEM in new_page and OLD_STEM not in new_page

    # The organiser's item analysis follows the code across both versions.
    client.force_login(organiser)
    results = client.get(reverse("exams:results", args=[quiz.pk]))
    (item,) = results.context["items"]
    assert (item["code"], item["versions"], item["n"], item["stem"]) == (question.code, [1, 2], 2, NEW_STEM)
    assert f"{question.code}（第1、2版）" in results.content.decode()


def test_an_edit_before_anyone_answered_is_made_in_place(db):
    question = teachers_right()
    revised = question_revise(question=question, options=[("甲", True), ("乙", False), ("丙", False)], stem="新题干")
    assert revised.pk == question.pk and revised.version == 1
    assert Question.objects.get().stem == "新题干" and question.options.count() == 3


def test_reimporting_the_export_changes_nothing_and_an_edited_row_updates_by_code(
    client, organiser, programme, student
):
    question = teachers_right()
    other = question_create(
        law="宪法", revision="2018年修正", article="第三十三条", kind="truefalse", difficulty=1,
        stem="根据宪法，国家尊重和保障人权。", explanation="解析：宪法第三十三条第三款。",
        options=[("正确", True), ("错误", False)],
    )  # fmt: skip
    quiz = one_question_quiz(organiser, programme, laws=["教师法"])
    first = take(client, quiz, student)

    exported = questions_workbook()
    assert questions_commit(data=exported, filename="题库.xlsx").as_dict() == {
        "new": 0, "updated": 0, "unchanged": 2, "errors": [],
    }  # fmt: skip
    assert Question.objects.count() == 2

    rows = exported_rows(exported)
    headers, body = list(rows[0]), [list(row) for row in rows[1:]]
    edited = next(row for row in body if row[0] == question.code)
    edited[headers.index("题干")] = NEW_STEM
    report = questions_commit(
        data=workbook_bytes(body, headers=headers, title_rows=(), merges=()), filename="题库.xlsx"
    )
    assert report.as_dict() == {"new": 0, "updated": 1, "unchanged": 1, "errors": []}
    assert [row.differs for row in report.rows if row.action == "updated"] == [["题干"]]
    current = Question.objects.get(code=question.code, is_current=True)
    assert (current.version, current.stem) == (2, NEW_STEM)
    assert Question.objects.get(code=other.code).version == 1
    assert AttemptQuestion.objects.get(attempt=first).question_id == question.pk
    assert OLD_STEM in client.get(reverse("exams:result", args=[first.pk])).content.decode()


def test_draw_rules_mix_laws_and_difficulty(client, organiser, programme, student):
    for law, level, count in (("教师法", 1, 4), ("教师法", 3, 4), ("宪法", 3, 4)):
        for i in range(count):
            question_create(
                law=law, revision="—", article="", kind="single", difficulty=level, stem=f"{law}{level}-{i}",
                explanation="解析。", options=[("甲", True), ("乙", False), ("丙", False), ("丁", False)],
            )  # fmt: skip
    rules = [
        {"kind": "single", "count": 2, "laws": ["教师法"], "difficulty": [3]},
        {"kind": "single", "count": 3, "laws": ["宪法"]},
    ]
    quiz = one_question_quiz(organiser, programme, draw_rules=rules)
    assert quiz.question_count == 5
    client.force_login(student)
    assert "5 题（单选 5、多选 0、判断 0）" in client.get(reverse("exams:quiz", args=[quiz.pk])).content.decode()
    attempt = attempt_start(quiz=quiz, teacher=student)
    drawn = sorted(attempt.items.values_list("question__law", "question__difficulty"))
    assert drawn == [("宪法", 3)] * 3 + [("教师法", 3)] * 2

    with pytest.raises(ValidationError, match="只有 4 道"):
        one_question_quiz(organiser, programme, draw_rules=[{"kind": "single", "count": 5, "laws": ["宪法"]}])
    with pytest.raises(ValidationError, match="未知的法律：劳动法"):
        one_question_quiz(organiser, programme, draw_rules=[{"kind": "single", "count": 1, "laws": ["劳动法"]}])


def test_avoid_seen_draws_questions_the_teacher_was_not_given_before(client, organiser, programme, student):
    for i in range(4):
        question_create(
            law="教师法", revision="—", article="", kind="single", difficulty=2, stem=f"题{i}", explanation="解析。",
            options=[("甲", True), ("乙", False), ("丙", False), ("丁", False)],
        )  # fmt: skip
    quiz = one_question_quiz(organiser, programme, avoid_seen=True)
    quiz.single_count = 2
    quiz.save()
    client.force_login(student)
    page = client.get(reverse("exams:quiz", args=[quiz.pk])).content.decode()
    assert "2 题（单选 2、多选 0、判断 0）" in page and "优先抽取您以前没有做过的题" in page
    seen = set()
    for _ in range(2):
        attempt = attempt_start(quiz=quiz, teacher=student)
        codes = set(attempt.items.values_list("question__code", flat=True))
        assert not codes & seen
        seen |= codes
        attempt_submit(attempt=attempt, teacher=student)
    assert len(seen) == 4
    # Nothing unseen is left: the third attempt still gets its two questions.
    third = attempt_start(quiz=quiz, teacher=student)
    assert third.items.count() == 2


def test_a_question_added_in_the_admin_gets_the_next_code_of_its_law(client, admin_user):
    teachers_right()  # JSF-0001
    client.force_login(admin_user)  # the bank's keeper: organisers may not change the shared bank
    options = [("正确", True), ("错误", False)]
    data = {
        "law": "教师法", "revision": "2009年修正", "article": "第八条", "kind": "truefalse", "difficulty": "1",
        "stem": "教师应当关心、爱护全体学生，尊重学生人格。", "explanation": "解析：依据教师法第八条第四项。",
        "is_active": "on", "options-TOTAL_FORMS": "2", "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "0", "options-MAX_NUM_FORMS": "1000",
    }  # fmt: skip
    for index, (text, correct) in enumerate(options):
        data.update({f"options-{index}-position": index, f"options-{index}-text": text})
        if correct:
            data[f"options-{index}-is_correct"] = "on"
    response = client.post(reverse("admin:exams_question_add"), data)
    assert response.status_code == 302
    added = Question.objects.get(stem__startswith="教师应当关心")
    assert (added.code, added.version, added.is_current) == ("JSF-0002", 1, True)
    assert list(added.options.values_list("text", "is_correct")) == options


def test_overlapping_rules_are_filled_narrowest_first_and_kept_in_the_quizs_order(organiser, programme, student):
    for law in ("教师法", "宪法"):
        for i in range(3):
            question_create(
                law=law, revision="—", article="", kind="single", difficulty=2, stem=f"{law}{i}", explanation="解析。",
                options=[("甲", True), ("乙", False), ("丙", False), ("丁", False)],
            )  # fmt: skip
    # The first rule could take any law; only the 宪法 questions leave the second rule its three.
    rules = [{"kind": "single", "count": 3}, {"kind": "single", "count": 3, "laws": ["教师法"]}]
    quiz = one_question_quiz(organiser, programme, draw_rules=rules, shuffle_questions=False)
    attempt = attempt_start(quiz=quiz, teacher=student)
    drawn = list(attempt.items.order_by("position").values_list("question__law", flat=True))
    assert drawn == ["宪法"] * 3 + ["教师法"] * 3


def test_the_quiz_form_offers_the_laws_of_the_bank_and_saves_the_ticked_ones(client, organiser, programme, bank):
    from exams.services import law_upsert

    law_upsert(
        name="学前教育法", title="中华人民共和国学前教育法", revision="2024年", effective_on="2025-06-01", code="XQF"
    )
    client.force_login(organiser)
    page = client.get(reverse("exams:quiz_create", args=[programme.code]))
    html = page.content.decode()
    assert "中华人民共和国学前教育法" in html and 'name="laws"' in html  # a law added as data is offered at once
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields if form[name].value() not in (None, False)}
    today = timezone.localdate()
    data.update(
        title="法治测试", laws=["教师法", "宪法"], single_count=2, multiple_count=0, truefalse_count=2,
        opens_at=f"{today:%Y-%m-%d}T08:00", closes_at=f"{today + datetime.timedelta(days=30):%Y-%m-%d}T22:00",
    )  # fmt: skip
    response = client.post(reverse("exams:quiz_create", args=[programme.code]), data)
    assert response.status_code == 302, response.context["form"].errors
    assert Quiz.objects.get(title="法治测试").laws == ["教师法", "宪法"]
