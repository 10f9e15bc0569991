"""Writes of the quiz system: the bank, quizzes, attempts, answers and grading.

Answers are saved one change at a time; submit is idempotent; an attempt left open past
its deadline is graded on what was saved, whoever touches it next (the teacher, the
organiser's results, the certificates, or `manage.py grade_expired_attempts`).
"""

import datetime
import random
import re
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
from courses.selectors import not_enrolled, programme_can_manage

from .draw import DrawRule, quiz_draw_rules
from .models import Attempt, AttemptQuestion, AttemptStatus, Law, MultipleRule, Option, Question, QuestionKind, Quiz
from .selectors import attempts_remaining, quiz_open_now
from .signals import attempts_bulk_recorded

ANSWER_GRACE = datetime.timedelta(seconds=30)
TRUE_FALSE = ("正确", "错误")
QUIZ_FIELDS = {
    "title", "single_count", "multiple_count", "truefalse_count", "laws", "time_limit_minutes", "pass_mark",
    "max_attempts", "score_policy", "opens_at", "closes_at", "shuffle_questions", "shuffle_options",
    "review_policy", "multiple_rule", "draw_rules", "avoid_seen",
}  # fmt: skip
QUESTION_FIELDS = ("law", "revision", "article", "kind", "difficulty", "stem", "explanation")


class QuizRefused(Exception):
    """A quiz action that cannot happen; the message says why, in Chinese."""

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.status = status


def question_problems(
    *,
    law: str,
    kind: str,
    options: list[tuple[str, bool]],
    stem: str = "",
    explanation: str = "",
    known_laws: set[str] | None = None,
) -> list[str]:
    """Every reason a question is not acceptable; empty when it is. Used by the admin, the import and the loader.

    known_laws: the names of exams.models.Law, when the caller has them already (one query for a whole file).
    """
    problems = []
    known = set(Law.objects.values_list("name", flat=True)) if known_laws is None else known_laws
    if law not in known:
        problems.append(f"未知的法律“{law}”，可选：{'、'.join(Law.objects.values_list('name', flat=True))}。")
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


CODE_PATTERN = re.compile(r"^[A-Z]{1,6}-\d{4}$")


def question_code_next(*, law: str, taken: set[str] = frozenset()) -> str:
    """The next free code of a law: its prefix and one more than the highest number used (JSF-0042 → JSF-0043)."""
    prefix = Law.objects.get(name=law).code
    numbers = [
        int(code.rsplit("-", 1)[1])
        for code in [*Question.objects.filter(code__startswith=f"{prefix}-").values_list("code", flat=True), *taken]
        if code.startswith(f"{prefix}-") and CODE_PATTERN.match(code)
    ]
    return f"{prefix}-{max(numbers, default=0) + 1:04d}"


def _write_options(question: Question, options: list[tuple[str, bool]]) -> None:
    Option.objects.bulk_create(
        [
            Option(question=question, text=text.strip(), is_correct=correct, position=i)
            for i, (text, correct) in enumerate(options)
        ]
    )


@transaction.atomic
def question_create(
    *, law, revision, article, kind, difficulty, stem, explanation, options: list[tuple[str, bool]],
    code: str = "", is_active: bool | None = True,
) -> Question:  # fmt: skip
    """A new question (version 1). Without a code it gets the law's next one; is_active None means switched on."""
    problems = question_problems(law=law, kind=kind, options=options, stem=stem, explanation=explanation)
    if code and not CODE_PATTERN.match(code):
        problems.append(f"编号“{code}”格式不对：应为大写字母前缀、短横线和四位数字，如 JSF-0001。")
    elif code and Question.objects.filter(code=code).exists():
        problems.append(f"编号“{code}”已被题库中的另一道题使用。")
    if problems:
        raise ValidationError(problems)
    question = Question(
        code=code or question_code_next(law=law), law_id=law, revision=revision, article=article or "", kind=kind,
        difficulty=difficulty, stem=stem.strip(), explanation=explanation.strip(), is_active=is_active is not False,
    )  # fmt: skip
    question.full_clean()
    question.save()
    _write_options(question, options)
    return question


def question_was_drawn(*, question: Question) -> bool:
    """Whether any attempt was given this version: then it must stay exactly as it is."""
    return AttemptQuestion.objects.filter(question=question).exists()


def question_differs(*, question: Question, fields: dict, options: list[tuple[str, bool]]) -> list[str]:
    """The labels of what an edit would change (empty: nothing)."""
    changed = [
        str(Question._meta.get_field(name).verbose_name)
        for name in QUESTION_FIELDS
        if name in fields
        and str(fields[name] or "").strip() != str(getattr(question, "law_id" if name == "law" else name) or "")
    ]
    current = [(option.text, option.is_correct) for option in question.options.all()]
    if [(text.strip(), bool(correct)) for text, correct in options] != current:
        changed.append("选项")
    return changed


@transaction.atomic
def question_revise(
    *, question: Question, options: list[tuple[str, bool]], is_active: bool | None = None, **fields
) -> Question:
    """Apply an edit to a question and return the version that now carries its code.

    A version some attempt was given is never changed: the edit becomes a new version (same code, version + 1)
    and the old one stops being current, so past attempts keep showing what the teacher saw and new attempts
    draw the new one. A version nobody was given is edited in place. An edit that changes nothing writes nothing.
    """
    unknown = set(fields) - set(QUESTION_FIELDS)
    if unknown:
        raise ValidationError(f"未知字段：{', '.join(sorted(unknown))}")
    question = Question.objects.select_for_update().get(pk=question.pk)
    if not question.is_current:
        raise ValidationError(f"{question.code} 的第{question.version}版已不是当前版本，请修改当前版本。")
    values = {name: getattr(question, "law_id" if name == "law" else name) for name in QUESTION_FIELDS}
    values.update(fields)
    problems = question_problems(
        law=values["law"], kind=values["kind"], options=options, stem=values["stem"], explanation=values["explanation"]
    )
    if problems:
        raise ValidationError(problems)
    active = question.is_active if is_active is None else is_active
    if not question_differs(question=question, fields=values, options=options):
        if active != question.is_active:
            question.is_active = active
            question.save(update_fields=["is_active"])
        return question
    row = {
        "law_id": values["law"], "revision": values["revision"], "article": values["article"] or "",
        "kind": values["kind"], "difficulty": values["difficulty"], "stem": values["stem"].strip(),
        "explanation": values["explanation"].strip(), "is_active": active,
    }  # fmt: skip
    if not question_was_drawn(question=question):
        for name, value in row.items():
            setattr(question, name, value)
        question.full_clean()
        question.save()
        question.options.all().delete()
        _write_options(question, options)
        return question
    Question.objects.filter(pk=question.pk).update(is_current=False)
    new = Question(code=question.code, version=question.version + 1, is_current=True, **row)
    new.full_clean()
    new.save()
    _write_options(new, options)
    return new


@transaction.atomic
def law_upsert(*, name: str, title: str, revision: str, effective_on, code: str, position: int = 100) -> Law:
    """Add a law to the bank's list, or bring its title, revision and date up to date (by name)."""
    law = Law.objects.filter(name=name).first() or Law(name=name)
    law.title, law.revision, law.effective_on, law.code, law.position = title, revision, effective_on, code, position
    law.full_clean()
    law.save()
    return law


def _fixture_options(item: dict) -> list[tuple[str, bool]]:
    return [(option["text"], bool(option["correct"])) for option in item["options"]]


@transaction.atomic
def question_bank_load(*, items: list[dict], laws: list[dict] = ()) -> dict:
    """Load laws and questions from the fixture format, by code: new codes are created, changed ones revised
    (a new version when teachers were given the old one), equal ones left alone. Items without a code are
    matched by law and stem, as before codes existed. Running it twice changes nothing."""
    for law in laws:
        law_upsert(**law)
    counts = {"new": 0, "updated": 0, "unchanged": 0}
    current = {q.code: q for q in Question.objects.filter(is_current=True).prefetch_related("options")}
    by_stem = {(q.law_id, q.stem): q for q in current.values()}
    for index, item in enumerate(items, start=1):
        fields = {name: item.get(name, "") for name in QUESTION_FIELDS}
        fields["difficulty"] = item.get("difficulty", 2)
        fields["stem"] = item["stem"].strip()
        options = _fixture_options(item)
        existing = current.get(item.get("code")) if item.get("code") else by_stem.get((item["law"], fields["stem"]))
        try:
            if existing is None:
                question_create(
                    **fields, options=options, code=item.get("code", ""), is_active=item.get("active", True)
                )
                counts["new"] += 1
            elif question_differs(question=existing, fields=fields, options=options) or existing.is_active != item.get(
                "active", True
            ):
                question_revise(question=existing, options=options, is_active=item.get("active", True), **fields)
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
        except ValidationError as error:
            label = item.get("code") or f"第{index}题"
            raise ValidationError(f"{label}（{item['stem'][:20]}…）：{'；'.join(error.messages)}") from error
    return counts


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


@transaction.atomic
def quiz_delete(*, actor: User, quiz: Quiz) -> None:
    """Delete a quiz nobody has attempted; one with attempts is withdrawn instead (its records stay)."""
    _require_manager(actor, quiz.programme)
    attempts = Attempt.objects.filter(quiz=quiz).count()
    if attempts:
        raise ValidationError(
            f"测试“{quiz.title}”已有 {attempts} 次作答记录，不能删除；如不再使用，请停用（停用后不计入结业要求）。"
        )
    quiz.delete()


@transaction.atomic
def quiz_withdraw(*, actor: User, quiz: Quiz) -> Quiz:
    """Withdraw (停用) a quiz: closed to teachers and no longer asked by completion; its attempts stay.
    The quiz's save refreshes the dashboard's facts of its programme (reports.receivers)."""
    _require_manager(actor, quiz.programme)
    if quiz.withdrawn_at is not None:
        raise ValidationError(f"测试“{quiz.title}”已停用。")
    quiz.withdrawn_at = timezone.now()
    quiz.save(update_fields=["withdrawn_at"])
    return quiz


@transaction.atomic
def quiz_reinstate(*, actor: User, quiz: Quiz) -> Quiz:
    _require_manager(actor, quiz.programme)
    quiz.withdrawn_at = None
    quiz.save(update_fields=["withdrawn_at"])
    return quiz


def _pool(rule: DrawRule):
    """The questions a rule may draw: current versions, switched on, of its kind, laws and difficulty."""
    questions = Question.objects.filter(is_active=True, is_current=True, kind=rule.kind)
    if rule.laws:
        questions = questions.filter(law__in=rule.laws)
    if rule.difficulty:
        questions = questions.filter(difficulty__in=rule.difficulty)
    return questions


def _rule_pools(quiz: Quiz) -> list[tuple[int, DrawRule, dict[int, str]]]:
    """Each rule with its place in the quiz and its pool (question id → code), narrowest pool first: rules may
    overlap (a rule on 教师法 and a rule on all laws), and filling the narrow one first leaves the wide one the
    most to choose from."""
    pools = [
        (position, rule, dict(_pool(rule).values_list("pk", "code")))
        for position, rule in enumerate(quiz_draw_rules(quiz))
    ]
    return sorted(pools, key=lambda entry: len(entry[2]))


def _pick(pools, index: int, taken: set[int], seen_codes, choose) -> list[int] | None:
    """The questions of pools[index]'s rule: not already taken; unseen before seen; within those, questions no
    later rule can use before shared ones. choose(tier, n) picks n of a tier (random for a draw, the first n for
    the check). None when the rule cannot be filled."""
    _position, rule, pool = pools[index]
    later = set().union(*(other.keys() for _p, _r, other in pools[index + 1 :]))
    candidates = [pk for pk in sorted(pool) if pk not in taken]
    if len(candidates) < rule.count:
        return None
    picked: list[int] = []
    for tier in ((False, False), (False, True), (True, False), (True, True)):
        members = [pk for pk in candidates if (pool[pk] in seen_codes, pk in later) == tier]
        picked += choose(members, min(rule.count - len(picked), len(members)))
    return picked


def _check_bank(quiz: Quiz) -> None:
    pools, taken = _rule_pools(quiz), set()
    for index, (_position, rule, pool) in enumerate(pools):
        picked = _pick(pools, index, taken, set(), lambda tier, n: tier[:n])
        if picked is None:
            field = "draw_rules" if quiz.draw_rules else "single_count"
            available = len(set(pool) - taken)
            raise ValidationError(
                {field: f"题库中符合“{rule.describe()}”的题目只有 {available} 道（已除去其他规则要抽的），不够抽取。"}
            )
        taken |= set(picked)


def _draw(quiz: Quiz, rng: random.Random, *, seen_codes: set[str] = frozenset()) -> list[tuple[int, list[int]]]:
    """Question ids with their option order, for one attempt: every rule filled, no question twice, in the
    quiz's order of rules (单选, 多选, 判断 by default) unless questions are shuffled.

    With seen_codes (the quiz's avoid_seen option), questions whose code the teacher was given before are
    drawn only when a rule has not enough others left.
    """
    pools = _rule_pools(quiz)
    picks: dict[int, list[int]] = {}
    taken: set[int] = set()
    for index, (position, _rule, _pool) in enumerate(pools):
        picked = _pick(pools, index, taken, seen_codes, rng.sample)
        if picked is None:
            raise QuizRefused("题库题目不足，暂时无法开始测试，请联系组织者。", status=409)
        picks[position] = picked
        taken |= set(picked)
    drawn = [pk for position in sorted(picks) for pk in picks[position]]
    if quiz.shuffle_questions:
        rng.shuffle(drawn)
    options: dict[int, list[int]] = {}
    fixed: set[int] = set()  # 判断题 keep 正确, 错误 (attempt_items shows them so)
    for question_id, option_id, kind in (
        Option.objects.filter(question_id__in=drawn)
        .order_by("position", "id")
        .values_list("question_id", "pk", "question__kind")
    ):
        options.setdefault(question_id, []).append(option_id)
        if kind == QuestionKind.TRUEFALSE:
            fixed.add(question_id)
    result = []
    for question_id in drawn:
        order = options[question_id]
        if quiz.shuffle_options and question_id not in fixed:
            rng.shuffle(order)
        result.append((question_id, order))
    return result


def _seen_codes(quiz: Quiz, teacher: User) -> set[str]:
    return set(
        AttemptQuestion.objects.filter(attempt__quiz=quiz, attempt__teacher=teacher).values_list(
            "question__code", flat=True
        )
    )


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
    if quiz.withdrawn_at is not None:
        raise QuizRefused("该测试已被组织者停用，无需作答。", status=403)
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
    seen_codes = _seen_codes(quiz, teacher) if quiz.avoid_seen else set()
    drawn = _draw(quiz, random.Random(secrets.randbits(64)), seen_codes=seen_codes)
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
    if missing := not_enrolled(programme_id=quiz.programme_id, teacher_ids=teacher_ids):
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
