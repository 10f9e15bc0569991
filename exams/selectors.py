"""Reads of quizzes and results: what a teacher may take, what counts, and the organiser's analysis."""

from collections import Counter
from decimal import Decimal

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.models import User
from courses.models import Enrolment, EnrolmentStatus, Programme
from courses.selectors import programmes_visible_to

from .models import (
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    Option,
    Question,
    QuestionKind,
    Quiz,
    ReviewPolicy,
    ScorePolicy,
)

GRADED = (AttemptStatus.SUBMITTED, AttemptStatus.EXPIRED)


def quizzes_for_teacher(*, teacher: User) -> QuerySet[Quiz]:
    """Quizzes of the teacher's programmes, with attempts used and the best score."""
    programmes = Enrolment.objects.filter(teacher=teacher, status=EnrolmentStatus.ENROLLED).values("programme_id")
    mine = Q(attempts__teacher=teacher)
    return (
        counting_quizzes()
        .filter(programme_id__in=programmes)
        .select_related("programme")
        .annotate(
            used=Count("attempts", filter=mine),
            best=Max("attempts__score", filter=mine & Q(attempts__status__in=GRADED)),
        )
        .order_by("-opens_at")
    )


def quizzes_visible_to(*, user: User) -> QuerySet[Quiz]:
    if user.is_teacher:
        return quizzes_for_teacher(teacher=user)
    return Quiz.objects.filter(programme__in=programmes_visible_to(user=user).values("pk")).select_related("programme")


def attempts_visible_to(*, user: User) -> QuerySet[Attempt]:
    attempts = Attempt.objects.select_related("quiz", "quiz__programme", "teacher")
    if user.is_teacher:
        return attempts.filter(teacher=user)
    return attempts.filter(quiz__programme__in=programmes_visible_to(user=user).values("pk"))


def quiz_open_now(*, quiz: Quiz, now=None) -> bool:
    """Whether new attempts may start: from opens_at until (not including) closes_at."""
    now = now or timezone.now()
    return quiz.opens_at <= now < quiz.closes_at


def attempts_remaining(*, quiz: Quiz, used: int, now=None) -> int:
    """How many more attempts the teacher may start: none once the quiz has closed."""
    now = now or timezone.now()
    if now >= quiz.closes_at:
        return 0
    return max(0, quiz.max_attempts - used)


def review_allowed(*, attempt: Attempt, now=None) -> bool:
    """Whether answers and correctness may be shown for this attempt now."""
    now = now or timezone.now()
    policy = attempt.quiz.review_policy
    if attempt.is_open or policy == ReviewPolicy.NEVER:
        return False
    if policy == ReviewPolicy.AFTER_CLOSE:
        return now >= attempt.quiz.closes_at
    return True


def counting_attempts() -> QuerySet[Attempt]:
    """The one rule for which attempt counts, as a queryset every reader filters further: of a
    teacher's graded attempts at a quiz, the last one (取最后一次), or the best — the highest score,
    the earlier on a tie (取最高分). At most one per teacher and quiz. Results, completion, the
    teacher's page and the dashboard's facts all ask this, so they cannot disagree."""
    graded = Attempt.objects.filter(status__in=GRADED)
    same = {"quiz": OuterRef("quiz"), "teacher": OuterRef("teacher")}
    later = graded.filter(**same, number__gt=OuterRef("number"))
    better = graded.filter(**same).filter(
        Q(score__gt=OuterRef("score")) | Q(score=OuterRef("score"), number__lt=OuterRef("number"))
    )
    return graded.filter(
        Q(~Exists(later), quiz__score_policy=ScorePolicy.LAST) | Q(~Exists(better), quiz__score_policy=ScorePolicy.BEST)
    )


def counting_attempt(*, quiz: Quiz, teacher: User) -> Attempt | None:
    """The graded attempt that counts under the quiz's score policy."""
    return counting_attempts().filter(quiz=quiz, teacher=teacher).first()


def passed_teacher_ids(*, quiz: Quiz) -> set[int]:
    """Teachers whose counting attempt passed, in one query (input to completion rules)."""
    return set(counting_attempts().filter(quiz=quiz, passed=True).values_list("teacher_id", flat=True))


def quiz_passed(*, quiz: Quiz, teacher: User) -> bool:
    return counting_attempts().filter(quiz=quiz, teacher=teacher, passed=True).exists()


def counting_quizzes() -> QuerySet[Quiz]:
    """The quizzes that count — for teachers, completion and the dashboard: every quiz not withdrawn (停用).
    One rule: a withdrawn quiz keeps its attempts for the record and counts nowhere."""
    return Quiz.objects.filter(withdrawn_at__isnull=True)


def programme_quizzes_passed() -> ExpressionWrapper:
    """For a row with `programme` and `teacher` (an enrolment, a dashboard fact): whether the
    programme has quizzes and the teacher's counting attempt passed in every one of them — what
    completion asks of the quizzes, as one SQL expression."""
    quizzes = counting_quizzes().filter(programme=OuterRef("programme"))
    passed = counting_attempts().filter(quiz=OuterRef("pk"), teacher=OuterRef(OuterRef("teacher")), passed=True)
    return ExpressionWrapper(
        Q(Exists(quizzes)) & ~Q(Exists(quizzes.filter(~Exists(passed)))), output_field=BooleanField()
    )


def programme_quizzes(*, programme: Programme, include_withdrawn: bool = False) -> QuerySet[Quiz]:
    """The programme's quizzes that count (what completion asks); the organiser's list adds the withdrawn."""
    quizzes = Quiz.objects.all() if include_withdrawn else counting_quizzes()
    return quizzes.filter(programme=programme).order_by("opens_at", "id")


def results_table(*, quiz: Quiz) -> list[dict]:
    """One row per enrolled teacher: attempts used, the counting score and time taken, pass."""
    teachers = User.objects.filter(
        enrolments__programme_id=quiz.programme_id, enrolments__status=EnrolmentStatus.ENROLLED
    ).order_by("school", "name")
    used = dict(
        Attempt.objects.filter(quiz=quiz).values("teacher_id").annotate(n=Count("pk")).values_list("teacher_id", "n")
    )
    counting_by_teacher = {attempt.teacher_id: attempt for attempt in counting_attempts().filter(quiz=quiz)}
    rows = []
    for teacher in teachers:
        counting = counting_by_teacher.get(teacher.pk)
        rows.append(
            {
                "teacher": teacher,
                "attempts": used.get(teacher.pk, 0),
                "attempt": counting,
                "score": counting.score if counting else None,
                "passed": bool(counting and counting.passed),
                "minutes": round((counting.submitted_at - counting.started_at).total_seconds() / 60, 1)
                if counting
                else None,
            }
        )
    return rows


def quiz_statistics(*, quiz: Quiz, rows: list[dict]) -> dict:
    taken = [row for row in rows if row["attempt"] is not None]
    passed = sum(1 for row in taken if row["passed"])
    buckets = Counter()
    for row in taken:
        score = row["score"]
        bucket = (
            "90-100"
            if score >= 90
            else "0-59"
            if score < 60
            else f"{int(score // 10 * 10)}-{int(score // 10 * 10) + 9}"
        )
        buckets[bucket] += 1
    order = ["0-59", "60-69", "70-79", "80-89", "90-100"]
    return {
        "enrolled": len(rows),
        "taken": len(taken),
        "passed": passed,
        "pass_rate": round(passed / len(taken) * 100, 1) if taken else 0.0,
        "distribution": [(bucket, buckets.get(bucket, 0)) for bucket in order],
    }


def item_analysis(*, quiz: Quiz) -> list[dict]:
    """Per question code over graded attempts, whichever versions were given: how many saw it, percent fully
    correct, the most chosen wrong option; the stem shown is the latest version's."""
    items = AttemptQuestion.objects.filter(attempt__quiz=quiz, attempt__status__in=GRADED).values_list(
        "question__code", "question__version", "question__stem", "selected", "points", "question_id"
    )
    stats: dict[str, dict] = {}
    for code, version, stem, selected, points, question_id in items:
        entry = stats.setdefault(
            code,
            {
                "code": code,
                "stem": stem,
                "version": version,
                "versions": set(),
                "n": 0,
                "correct": 0,
                "chosen": Counter(),
                "missed": Counter(),
                "wrong_answers": [],
            },
        )
        if version > entry["version"]:
            entry["stem"], entry["version"] = stem, version
        entry["versions"].add(version)
        entry["n"] += 1
        if points is not None and points >= Decimal(1):
            entry["correct"] += 1
        else:
            entry["wrong_answers"].append((question_id, set(selected or [])))
        entry["chosen"].update(selected or [])
    options = Option.objects.filter(question__code__in=list(stats)).values_list(
        "pk", "text", "is_correct", "question_id"
    )
    wrong = {pk: text for pk, text, is_correct, _q in options if not is_correct}
    correct_of: dict[int, list[tuple[int, str]]] = {}
    for pk, text, is_correct, question_id in options:
        if is_correct:
            correct_of.setdefault(question_id, []).append((pk, text))
    result = []
    for entry in stats.values():
        wrong_counts: Counter = Counter()
        for pk, count in entry["chosen"].items():
            if pk in wrong:
                wrong_counts[f"错选“{wrong[pk]}”"] += count
        # A multiple-choice answer is wrong as often by leaving out a correct option as by ticking a
        # wrong one: the most common mistake is named either way (漏选 / 错选), for every kind of question.
        for question_id, selected in entry["wrong_answers"]:
            correct = correct_of.get(question_id, [])
            if len(correct) > 1 and selected:
                for pk, text in correct:
                    if pk not in selected:
                        wrong_counts[f"漏选“{text}”"] += 1
        top = wrong_counts.most_common(1)
        result.append(
            {
                "code": entry["code"],
                "stem": entry["stem"],
                "versions": sorted(entry["versions"]),
                "n": entry["n"],
                "percent_correct": round(entry["correct"] / entry["n"] * 100, 1),
                "top_wrong": top[0][0] if top else "",
                "top_wrong_count": top[0][1] if top else 0,
            }
        )
    return sorted(result, key=lambda row: (row["percent_correct"], row["code"]))


TRUE_FIRST = "正确"


def _display_order(kind: str, order: list[int], options: dict) -> list[int]:
    """判断题 always read 正确, 错误 (attempts drawn before the rule may have stored them shuffled)."""
    if kind != QuestionKind.TRUEFALSE:
        return order
    return sorted(order, key=lambda pk: options[pk].text.strip() != TRUE_FIRST)


def _verdict(points, selected: list) -> str:
    """The review's verdict on the teacher's answer, never to be read as the option 正确/错误."""
    if not selected:
        return "未作答"
    if points >= 1:
        return "答对"
    return "部分答对" if points > 0 else "答错"


def attempt_items(*, attempt: Attempt, with_key: bool = False) -> list[dict]:
    """The attempt's questions with options in the drawn order.

    Correctness and explanations are included only when with_key is set, which the
    callers do only when review_allowed() says so.
    """
    items = list(attempt.items.select_related("question", "question__law").order_by("position"))
    options = {o.pk: o for o in Option.objects.filter(question_id__in=[i.question_id for i in items])}
    result = []
    for item in items:
        question = item.question
        entry = {
            "id": question.pk,
            "position": item.position,
            "kind": question.kind,
            "kind_display": question.get_kind_display(),
            "stem": question.stem,
            "selected": list(item.selected or []),
            "options": [
                {"letter": letter, "id": pk, "text": options[pk].text}
                for letter, pk in zip(
                    "ABCDEFGH", _display_order(question.kind, item.option_order, options), strict=False
                )
            ],
        }
        if with_key:
            entry["points"] = item.points
            entry["verdict"] = _verdict(item.points, entry["selected"])
            entry["explanation"] = question.explanation
            entry["legal_basis"] = question.legal_basis
            for option in entry["options"]:
                option["correct"] = options[option["id"]].is_correct
        result.append(entry)
    return result


def bank_counts_by_law() -> dict[str, dict[str, int]]:
    """law name → kind → questions a draw may use (current, active versions), for the quiz set-up page to
    show beside each count what the ticked laws hold."""
    rows = (
        Question.objects.filter(is_active=True, is_current=True)
        .values("law", "kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    table: dict[str, dict[str, int]] = {}
    for row in rows:
        table.setdefault(row["law"], {})[row["kind"]] = row["n"]
    return table


def bank_questions(*, law: str = "", kind: str = "", word: str = "") -> QuerySet[Question]:
    """The bank's current versions for the 题库 page and its export: of one law, one kind, with a word in the
    stem or that code; active and switched-off questions alike (the page marks the latter)."""
    questions = Question.objects.filter(is_current=True)
    if law:
        questions = questions.filter(law_id=law)
    if kind:
        questions = questions.filter(kind=kind)
    if word:
        questions = questions.filter(Q(stem__contains=word) | Q(code__iexact=word))
    return questions.order_by("law__position", "code")
