"""Writes of the quiz system: the bank, quizzes, attempts, answers and grading.

Answers are saved one change at a time; submit is idempotent; an attempt left open past
its deadline is graded on what was saved, whoever touches it next (the teacher, the
organiser's results, the certificates, or `manage.py grade_expired_attempts`).
"""

import datetime
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from accounts.models import User
from courses.models import Enrolment, EnrolmentStatus, Programme
from courses.selectors import programme_can_manage

from .models import Attempt, AttemptQuestion, AttemptStatus, Law, MultipleRule, Option, Question, QuestionKind, Quiz
from .selectors import attempts_remaining, quiz_open_now
from .signals import attempts_bulk_recorded

ANSWER_GRACE = datetime.timedelta(seconds=30)
TRUE_FALSE = ("正确", "错误")
QUIZ_FIELDS = {
    "title", "single_count", "multiple_count", "truefalse_count", "laws", "time_limit_minutes", "pass_mark",
    "max_attempts", "score_policy", "opens_at", "closes_at", "shuffle_questions", "shuffle_options",
    "review_policy", "multiple_rule",
}  # fmt: skip


class QuizRefused(Exception):
    """A quiz action that cannot happen; the message says why, in Chinese."""

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.status = status


def question_problems(
    *, law: str, kind: str, options: list[tuple[str, bool]], stem: str = "", explanation: str = ""
) -> list[str]:
    """Every reason a question is not acceptable; empty when it is. Used by the admin, the import and the loader."""
    problems = []
    if law not in Law.values:
        problems.append(f"未知的法律“{law}”，可选：{'、'.join(Law.values)}。")
    if kind not in QuestionKind.values:
        problems.append(f"未知的题型“{kind}”，可选：单选题、多选题、判断题。")
    if not (stem or "").strip():
        problems.append("题干不能为空。")
    if not (explanation or "").strip():
        problems.append("解析不能为空：请写明依据。")
    texts = [text.strip() for text, _correct in options]
    correct = sum(1 for _text, is_correct in options if is_correct)
    if any(not text for text in texts):
        problems.append("选项不能为空。")
    if len(set(texts)) != len(texts):
        problems.append("选项有重复。")
    if kind == QuestionKind.SINGLE:
        if len(options) < 2:
            problems.append("单选题至少要有两个选项。")
        if correct != 1:
            problems.append(f"单选题必须恰有一个正确选项（现在 {correct} 个）。")
    elif kind == QuestionKind.MULTIPLE:
        if len(options) < 3:
            problems.append("多选题至少要有三个选项。")
        if correct < 2:
            problems.append(f"多选题至少要有两个正确选项（现在 {correct} 个）。")
    elif kind == QuestionKind.TRUEFALSE:
        if len(options) != 2 or sorted(texts) != sorted(TRUE_FALSE):
            problems.append("判断题必须恰有两个选项：“正确”和“错误”。")
        if correct != 1:
            problems.append("判断题必须恰有一个正确答案。")
    return problems


@transaction.atomic
def question_create(
    *, law, revision, article, kind, difficulty, stem, explanation, options: list[tuple[str, bool]]
) -> Question:
    problems = question_problems(law=law, kind=kind, options=options, stem=stem, explanation=explanation)
    if problems:
        raise ValidationError(problems)
    question = Question(
        law=law, revision=revision, article=article or "", kind=kind, difficulty=difficulty,
        stem=stem.strip(), explanation=explanation.strip(),
    )  # fmt: skip
    question.full_clean()
    question.save()
    Option.objects.bulk_create(
        [
            Option(question=question, text=text.strip(), is_correct=correct, position=i)
            for i, (text, correct) in enumerate(options)
        ]
    )
    return question


@transaction.atomic
def question_bank_load(*, items: list[dict]) -> int:
    """Load questions from the fixture format; a question already in the bank (same law and stem) is kept as is."""
    existing = set(Question.objects.values_list("law", "stem"))
    created = 0
    for index, item in enumerate(items, start=1):
        if (item["law"], item["stem"].strip()) in existing:
            continue
        try:
            question_create(
                law=item["law"], revision=item["revision"], article=item.get("article", ""), kind=item["kind"],
                difficulty=item.get("difficulty", 2), stem=item["stem"], explanation=item["explanation"],
                options=[(option["text"], bool(option["correct"])) for option in item["options"]],
            )  # fmt: skip
        except ValidationError as error:
            raise ValidationError(f"第{index}题（{item['stem'][:20]}…）：{'；'.join(error.messages)}") from error
        created += 1
    return created


def _require_manager(actor: User, programme: Programme) -> None:
    if not programme_can_manage(user=actor, programme=programme):
        raise PermissionDenied("只有项目所属单位的组织者可以管理该项目的测试。")


@transaction.atomic
def quiz_create(*, actor: User, programme: Programme, **fields) -> Quiz:
    _require_manager(actor, programme)
    unknown = set(fields) - QUIZ_FIELDS
    if unknown:
        raise ValidationError(f"未知字段：{', '.join(sorted(unknown))}")
    quiz = Quiz(programme=programme, **fields)
    quiz.full_clean()
    _check_bank(quiz)
    quiz.save()
    return quiz


@transaction.atomic
def quiz_update(*, actor: User, quiz: Quiz, **fields) -> Quiz:
    """Change a quiz's settings; the same checks as creating it (a draw the bank can satisfy)."""
    _require_manager(actor, quiz.programme)
    unknown = set(fields) - QUIZ_FIELDS
    if unknown:
        raise ValidationError(f"未知字段：{', '.join(sorted(unknown))}")
    for key, value in fields.items():
        setattr(quiz, key, value)
    quiz.full_clean()
    _check_bank(quiz)
    quiz.save()
    return quiz


def _pool(quiz: Quiz, kind: str):
    questions = Question.objects.filter(is_active=True, kind=kind)
    if quiz.laws:
        questions = questions.filter(law__in=quiz.laws)
    return questions


def _check_bank(quiz: Quiz) -> None:
    for kind, count in (
        (QuestionKind.SINGLE, quiz.single_count),
        (QuestionKind.MULTIPLE, quiz.multiple_count),
        (QuestionKind.TRUEFALSE, quiz.truefalse_count),
    ):
        available = _pool(quiz, kind).count()
        if count > available:
            raise ValidationError(
                {"single_count": f"题库中可用的{QuestionKind(kind).label}只有 {available} 道，不够抽取 {count} 道。"}
            )


def _draw(quiz: Quiz, rng: random.Random) -> list[tuple[int, list[int]]]:
    """Question ids with their option order, for one attempt."""
    drawn: list[int] = []
    for kind, count in (
        (QuestionKind.SINGLE, quiz.single_count),
        (QuestionKind.MULTIPLE, quiz.multiple_count),
        (QuestionKind.TRUEFALSE, quiz.truefalse_count),
    ):
        if not count:
            continue
        pool = list(_pool(quiz, kind).values_list("pk", flat=True))
        if len(pool) < count:
            raise QuizRefused("题库题目不足，暂时无法开始测试，请联系组织者。", status=409)
        drawn.extend(rng.sample(pool, count))
    if quiz.shuffle_questions:
        rng.shuffle(drawn)
    options: dict[int, list[int]] = {}
    for question_id, option_id in (
        Option.objects.filter(question_id__in=drawn).order_by("position", "id").values_list("question_id", "pk")
    ):
        options.setdefault(question_id, []).append(option_id)
    result = []
    for question_id in drawn:
        order = options[question_id]
        if quiz.shuffle_options:
            rng.shuffle(order)
        result.append((question_id, order))
    return result


def _enrolled(quiz: Quiz, teacher: User) -> bool:
    return Enrolment.objects.filter(
        programme_id=quiz.programme_id, teacher=teacher, status=EnrolmentStatus.ENROLLED
    ).exists()


def attempt_start(*, quiz: Quiz, teacher: User, now=None) -> Attempt:
    """Resume the teacher's open attempt, or start a new one within the limit.

    The attempt number is unique per teacher and quiz and at most max_attempts, and a
    teacher has at most one open attempt: concurrent starts give one attempt.
    """
    now = now or timezone.now()
    if not teacher.is_teacher or not _enrolled(quiz, teacher):
        raise QuizRefused("您没有报名该培训项目，不能参加这个测试。", status=403)
    attempts_grade_expired(now=now, quiz=quiz, teacher=teacher)
    open_attempt = Attempt.objects.filter(quiz=quiz, teacher=teacher, status=AttemptStatus.OPEN).first()
    if open_attempt:
        return open_attempt
    if not quiz_open_now(quiz=quiz, now=now):
        if now < quiz.opens_at:
            raise QuizRefused(f"测试尚未开放：{timezone.localtime(quiz.opens_at):%Y-%m-%d %H:%M} 开放。", status=403)
        raise QuizRefused(f"测试已于 {timezone.localtime(quiz.closes_at):%Y-%m-%d %H:%M} 关闭。", status=403)
    used = Attempt.objects.filter(quiz=quiz, teacher=teacher).count()
    if not attempts_remaining(quiz=quiz, used=used, now=now):
        # A simultaneous start may have just created the last attempt: resume it rather than refuse.
        open_attempt = Attempt.objects.filter(quiz=quiz, teacher=teacher, status=AttemptStatus.OPEN).first()
        if open_attempt:
            return open_attempt
        raise QuizRefused(f"您已用完全部 {quiz.max_attempts} 次作答机会。", status=403)
    drawn = _draw(quiz, random.Random(secrets.randbits(64)))
    try:
        with transaction.atomic():
            attempt = Attempt.objects.create(
                quiz=quiz,
                teacher=teacher,
                number=used + 1,
                started_at=now,
                deadline=min(now + datetime.timedelta(minutes=quiz.time_limit_minutes), quiz.closes_at),
            )
            AttemptQuestion.objects.bulk_create(
                [
                    AttemptQuestion(attempt=attempt, question_id=question_id, position=i, option_order=order)
                    for i, (question_id, order) in enumerate(drawn, start=1)
                ]
            )
    except IntegrityError:
        # A simultaneous start won: use its attempt rather than exceed the limit.
        existing = Attempt.objects.filter(quiz=quiz, teacher=teacher, status=AttemptStatus.OPEN).first()
        if existing:
            return existing
        raise QuizRefused("刚刚已开始过一次作答，请刷新页面。", status=409) from None
    return attempt


def _own_attempt(attempt: Attempt, teacher: User) -> None:
    if attempt.teacher_id != teacher.pk:
        raise PermissionDenied("这不是您的作答。")


def attempt_answer(
    *, attempt: Attempt, teacher: User, question_id: int, option_ids: list[int], now=None
) -> AttemptQuestion:
    """Save one question's answer as the teacher changes it."""
    now = now or timezone.now()
    _own_attempt(attempt, teacher)
    if not attempt.is_open:
        raise QuizRefused("本次作答已交卷，不能再修改答案。", status=409)
    if now > attempt.deadline + ANSWER_GRACE:
        attempt_submit(attempt=attempt, teacher=teacher, now=now)
        raise QuizRefused("已超过作答截止时间，系统已按已保存的答案自动交卷。", status=409)
    item = AttemptQuestion.objects.select_related("question").filter(attempt=attempt, question_id=question_id).first()
    if item is None:
        raise QuizRefused("这道题不在本次作答中。", status=400)
    chosen = list(dict.fromkeys(int(option) for option in option_ids))
    if any(option not in item.option_order for option in chosen):
        raise QuizRefused("所选选项不属于这道题。", status=400)
    if item.question.kind != QuestionKind.MULTIPLE and len(chosen) > 1:
        raise QuizRefused("单选题和判断题只能选一个答案。", status=400)
    item.selected = chosen
    item.answered_at = now
    item.save(update_fields=["selected", "answered_at"])
    return item


def _item_points(item: AttemptQuestion, correct_ids: set[int], rule: str) -> Decimal:
    selected = set(item.selected or [])
    if not selected:
        return Decimal(0)
    if item.question.kind != QuestionKind.MULTIPLE or rule == MultipleRule.ALL_OR_NOTHING:
        return Decimal(1) if selected == correct_ids else Decimal(0)
    if selected - correct_ids:
        return Decimal(0)  # a wrong option chosen: no credit
    return (Decimal(len(selected)) / Decimal(len(correct_ids))).quantize(Decimal("0.0001"))


def _grade(attempt: Attempt, *, status: str, at) -> Attempt:
    items = list(attempt.items.select_related("question"))
    correct: dict[int, set[int]] = {}
    for question_id, option_id in Option.objects.filter(
        question_id__in=[i.question_id for i in items], is_correct=True
    ).values_list("question_id", "pk"):
        correct.setdefault(question_id, set()).add(option_id)
    total = Decimal(0)
    for item in items:
        item.points = _item_points(item, correct.get(item.question_id, set()), attempt.quiz.multiple_rule)
        total += item.points
    AttemptQuestion.objects.bulk_update(items, ["points"])
    attempt.score = (total / len(items) * 100).quantize(Decimal("0.01")) if items else Decimal(0)
    attempt.passed = attempt.score >= attempt.quiz.pass_mark
    attempt.status = status
    attempt.submitted_at = at
    attempt.save(update_fields=["score", "passed", "status", "submitted_at"])
    return attempt


@transaction.atomic
def attempt_submit(*, attempt: Attempt, teacher: User, now=None) -> Attempt:
    """Grade once: a double tap or a second request returns the same result."""
    now = now or timezone.now()
    _own_attempt(attempt, teacher)
    locked = Attempt.objects.select_for_update().select_related("quiz").get(pk=attempt.pk)
    if not locked.is_open:
        return locked
    if now > locked.deadline + ANSWER_GRACE:
        return _grade(locked, status=AttemptStatus.EXPIRED, at=locked.deadline)
    return _grade(locked, status=AttemptStatus.SUBMITTED, at=now)


def attempts_grade_expired(*, now=None, quiz: Quiz | None = None, teacher: User | None = None) -> int:
    """Grade every open attempt past its deadline (plus grace) on the answers saved so far."""
    now = now or timezone.now()
    due = Attempt.objects.filter(status=AttemptStatus.OPEN, deadline__lt=now - ANSWER_GRACE)
    if quiz is not None:
        due = due.filter(quiz=quiz)
    if teacher is not None:
        due = due.filter(teacher=teacher)
    graded = 0
    for attempt_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            locked = Attempt.objects.select_for_update().select_related("quiz").get(pk=attempt_id)
            if locked.is_open:
                _grade(locked, status=AttemptStatus.EXPIRED, at=locked.deadline)
                graded += 1
    return graded


@dataclass(frozen=True)
class RecordedAttempt:
    """One finished attempt to record in bulk: who, when, and how the teacher answered.

    `choose(kind, option_ids, correct_ids)` returns the option ids the teacher ticked for one drawn
    question (option_ids in the drawn order; an empty list leaves the question unanswered)."""

    teacher_id: int
    started_at: datetime.datetime
    minutes: int
    choose: Callable[[str, list[int], set[int]], list[int]]


@transaction.atomic
def attempts_bulk_record(*, quiz: Quiz, attempts: list[RecordedAttempt], rng: random.Random) -> int:
    """Record finished attempts of many teachers at once (results brought over from paper or another
    system, and the demo): each is drawn by the quiz's own rules, answered, and graded by the same
    scoring as a submitted attempt, so results, item analysis and completion read them like any
    other. Teachers must be enrolled; each gets the next attempt number. Other apps follow through
    `attempts_bulk_recorded`. Returns how many attempts were written."""
    if not attempts:
        return 0
    teacher_ids = [entry.teacher_id for entry in attempts]
    enrolled = set(
        Enrolment.objects.filter(
            programme_id=quiz.programme_id, teacher_id__in=teacher_ids, status=EnrolmentStatus.ENROLLED
        ).values_list("teacher_id", flat=True)
    )
    if missing := [pk for pk in teacher_ids if pk not in enrolled]:
        raise ValidationError(f"有 {len(missing)} 名教师没有报名该项目，不能记录成绩。")
    used = dict(
        Attempt.objects.filter(quiz=quiz, teacher_id__in=teacher_ids)
        .values("teacher_id")
        .annotate(n=Count("pk"))
        .values_list("teacher_id", "n")
    )
    kinds = dict(Question.objects.filter(is_active=True).values_list("pk", "kind"))
    correct: dict[int, set[int]] = {}
    for question_id, option_id in Option.objects.filter(is_correct=True).values_list("question_id", "pk"):
        correct.setdefault(question_id, set()).add(option_id)
    rows, items = [], []
    for entry in attempts:
        used[entry.teacher_id] = used.get(entry.teacher_id, 0) + 1
        drawn = _draw(quiz, rng)
        answers = []
        for position, (question_id, order) in enumerate(drawn, start=1):
            item = AttemptQuestion(
                question_id=question_id,
                position=position,
                option_order=order,
                selected=entry.choose(kinds[question_id], list(order), correct.get(question_id, set())),
                answered_at=entry.started_at + datetime.timedelta(minutes=entry.minutes * position / len(drawn)),
            )
            item.question = Question(pk=question_id, kind=kinds[question_id])
            item.points = _item_points(item, correct.get(question_id, set()), quiz.multiple_rule)
            answers.append(item)
        total = sum((item.points for item in answers), Decimal(0))
        score = (total / len(answers) * 100).quantize(Decimal("0.01")) if answers else Decimal(0)
        submitted = entry.started_at + datetime.timedelta(minutes=entry.minutes)
        rows.append(
            Attempt(
                quiz=quiz,
                teacher_id=entry.teacher_id,
                number=used[entry.teacher_id],
                started_at=entry.started_at,
                deadline=min(entry.started_at + datetime.timedelta(minutes=quiz.time_limit_minutes), quiz.closes_at),
                submitted_at=submitted,
                status=AttemptStatus.SUBMITTED,
                score=score,
                passed=score >= quiz.pass_mark,
            )  # fmt: skip
        )
        items.append(answers)
    for attempt in rows:
        attempt.full_clean(exclude=["quiz", "teacher"], validate_unique=False, validate_constraints=False)
    Attempt.objects.bulk_create(rows, batch_size=1000)
    # SQLite and PostgreSQL both return the new ids from bulk_create.
    for attempt, answers in zip(rows, items, strict=True):
        for item in answers:
            item.attempt = attempt
    AttemptQuestion.objects.bulk_create([item for answers in items for item in answers], batch_size=2000)
    attempts_bulk_recorded.send(sender=Attempt, quiz_id=quiz.pk, teacher_ids=sorted(set(teacher_ids)))
    return len(rows)
