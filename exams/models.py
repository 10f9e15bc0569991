"""The law question bank, quizzes attached to programmes, and teachers' attempts."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q

from courses.models import Programme


class Law(models.Model):
    """A law or regulation the bank draws on: data, so adding one needs no code change."""

    name = models.CharField("简称", max_length=20, unique=True, help_text="如 教师法；题库、导入文件和测试都用这个名称")
    title = models.CharField("全称", max_length=60, help_text="如 中华人民共和国教师法")
    revision = models.CharField("现行版本", max_length=30, help_text="如 2009年修正")
    effective_on = models.DateField("施行日期", help_text="现行版本开始施行的日期")
    code = models.CharField(
        "编号前缀", max_length=6, unique=True, help_text="试题编号的前缀，大写字母，如 JSF（试题编号 JSF-0001）"
    )
    position = models.PositiveSmallIntegerField("排序", default=100)

    class Meta:
        verbose_name = "法律法规"
        verbose_name_plural = "法律法规"
        ordering = ["position", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[A-Z]{1,6}$"), name="law_code_upper_letters"),
        ]

    def __str__(self) -> str:
        return self.name


class QuestionKind(models.TextChoices):
    SINGLE = "single", "单选题"
    MULTIPLE = "multiple", "多选题"
    TRUEFALSE = "truefalse", "判断题"


class Question(models.Model):
    """One version of a question. A question answered by teachers is never edited in place: the edit is a new
    version with the same code (exams.services.question_revise), and attempts keep pointing at the version they
    were given."""

    code = models.CharField("编号", max_length=20, help_text="如 JSF-0001；导入时按编号更新试题")
    version = models.PositiveSmallIntegerField("版本号", default=1)
    is_current = models.BooleanField("当前版本", default=True, help_text="旧版本只在当时的作答中显示，不再抽题")
    law = models.ForeignKey(
        Law, verbose_name="法律", to_field="name", db_column="law", on_delete=models.PROTECT, related_name="questions"
    )
    revision = models.CharField("版本", max_length=30, help_text="如 2021年修订")
    article = models.CharField("条款", max_length=60, blank=True, help_text="不确定时留空，不要猜测条号")
    kind = models.CharField("题型", max_length=10, choices=QuestionKind.choices, db_index=True)
    difficulty = models.PositiveSmallIntegerField("难度", choices=[(1, "易"), (2, "中"), (3, "难")], default=2)
    stem = models.TextField("题干")
    explanation = models.TextField("解析")
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "试题"
        verbose_name_plural = "题库"
        ordering = ["law_id", "code", "version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="unique_question_code_version"),
            models.UniqueConstraint(fields=["code"], condition=Q(is_current=True), name="one_current_version_per_code"),
            models.UniqueConstraint(
                fields=["law", "stem"], condition=Q(is_current=True), name="unique_current_question_stem_per_law"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="question_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.code}（第{self.version}版）[{self.law_id}·{self.get_kind_display()}] {self.stem[:40]}"

    @property
    def legal_basis(self) -> str:
        article = self.article or ""
        return f"《{self.law.title}》（{self.revision}）{article}"


class Option(models.Model):
    question = models.ForeignKey(Question, verbose_name="试题", on_delete=models.CASCADE, related_name="options")
    text = models.CharField("选项", max_length=300)
    is_correct = models.BooleanField("正确", default=False)
    position = models.PositiveSmallIntegerField("顺序", default=0)

    class Meta:
        verbose_name = "选项"
        verbose_name_plural = "选项"
        ordering = ["question_id", "position", "id"]

    def __str__(self) -> str:
        return self.text


class ScorePolicy(models.TextChoices):
    BEST = "best", "取最高分"
    LAST = "last", "取最后一次"


class ReviewPolicy(models.TextChoices):
    AFTER_SUBMIT = "after_submit", "交卷后显示答案"
    AFTER_CLOSE = "after_close", "测试关闭后显示答案"
    NEVER = "never", "不显示答案"


class MultipleRule(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", "全对才得分"
    PARTIAL = "partial", "少选按比例得分，错选不得分"


class Quiz(models.Model):
    programme = models.ForeignKey(Programme, verbose_name="培训项目", on_delete=models.CASCADE, related_name="quizzes")
    title = models.CharField("测试名称", max_length=200)
    single_count = models.PositiveSmallIntegerField("单选题数", default=10)
    multiple_count = models.PositiveSmallIntegerField("多选题数", default=5)
    truefalse_count = models.PositiveSmallIntegerField("判断题数", default=5)
    laws = models.JSONField("限定法律", default=list, blank=True, help_text="留空表示全部法律；否则为法律名称列表")
    draw_rules = models.JSONField(
        "抽题规则",
        default=list,
        blank=True,
        help_text=(
            "留空时按上面的三个题数和限定法律抽题。否则为规则列表，每条规则如 "
            '{"kind": "single", "count": 5, "laws": ["民法典·侵权责任编"], "difficulty": [2, 3]}；'
            "laws、difficulty 可省略（不限）；各规则依次抽取，同一道题不会抽两次。"
        ),
    )
    avoid_seen = models.BooleanField(
        "避开已做过的题", default=False, help_text="再次作答时优先抽取该教师在本测试以前的作答中没有见过的题目"
    )
    time_limit_minutes = models.PositiveSmallIntegerField("限时（分钟）", default=30)
    pass_mark = models.PositiveSmallIntegerField("及格分（百分制）", default=60)
    max_attempts = models.PositiveSmallIntegerField("最多作答次数", default=3)
    score_policy = models.CharField("计分方式", max_length=8, choices=ScorePolicy.choices, default=ScorePolicy.BEST)
    opens_at = models.DateTimeField("开放时间")
    closes_at = models.DateTimeField("关闭时间")
    shuffle_questions = models.BooleanField("打乱题目顺序", default=True)
    shuffle_options = models.BooleanField("打乱选项顺序", default=True)
    review_policy = models.CharField(
        "答案显示", max_length=16, choices=ReviewPolicy.choices, default=ReviewPolicy.AFTER_SUBMIT
    )
    multiple_rule = models.CharField(
        "多选计分", max_length=16, choices=MultipleRule.choices, default=MultipleRule.ALL_OR_NOTHING
    )
    withdrawn_at = models.DateTimeField(
        "停用时间", null=True, blank=True, editable=False, help_text="停用的测试不再开放作答，也不计入结业要求。"
    )

    class Meta:
        verbose_name = "测试"
        verbose_name_plural = "测试"
        ordering = ["-opens_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(opens_at__lt=F("closes_at")), name="quiz_opens_before_close"),
            models.CheckConstraint(condition=Q(pass_mark__lte=100), name="quiz_pass_mark_percent"),
            models.CheckConstraint(condition=Q(max_attempts__gte=1), name="quiz_at_least_one_attempt"),
            models.CheckConstraint(condition=Q(time_limit_minutes__gte=1), name="quiz_time_limit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.programme.code}）"

    @property
    def question_count(self) -> int:
        from .draw import quiz_draw_rules

        return sum(rule.count for rule in quiz_draw_rules(self))

    @property
    def kind_counts(self) -> dict[str, int]:
        """Questions per kind over the quiz's draw rules, e.g. {"single": 10, "multiple": 5, "truefalse": 5}."""
        from .draw import quiz_draw_rules

        counts = dict.fromkeys(QuestionKind.values, 0)
        for rule in quiz_draw_rules(self):
            counts[rule.kind] += rule.count
        return counts

    def clean(self):
        from .draw import draw_rules_problems

        errors = {}
        if self.opens_at and self.closes_at and self.opens_at >= self.closes_at:
            errors["closes_at"] = "关闭时间必须晚于开放时间。"
        known = set(Law.objects.values_list("name", flat=True))
        if not isinstance(self.laws, list):
            errors["laws"] = '限定法律应为法律名称的列表，如 ["教师法", "未成年人保护法"]。'
        else:
            unknown = [str(law) for law in self.laws if law not in known]
            if unknown:
                errors["laws"] = (
                    f"未知的法律：{'、'.join(unknown)}。可选：{'、'.join(Law.objects.values_list('name', flat=True))}。"
                )
        rule_problems = draw_rules_problems(self.draw_rules, known_laws=known)
        if rule_problems:
            errors["draw_rules"] = rule_problems
        elif "laws" not in errors and self.question_count == 0:
            errors["single_count"] = "至少要抽取一道题。"
        if errors:
            raise ValidationError(errors)


class AttemptStatus(models.TextChoices):
    OPEN = "open", "作答中"
    SUBMITTED = "submitted", "已交卷"
    EXPIRED = "expired", "超时自动交卷"


class Attempt(models.Model):
    quiz = models.ForeignKey(Quiz, verbose_name="测试", on_delete=models.CASCADE, related_name="attempts")
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="教师", on_delete=models.PROTECT, related_name="attempts"
    )
    number = models.PositiveSmallIntegerField("第几次")
    started_at = models.DateTimeField("开始时间")
    deadline = models.DateTimeField("截止时间")
    submitted_at = models.DateTimeField("交卷时间", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=AttemptStatus.choices, default=AttemptStatus.OPEN)
    score = models.DecimalField("得分（百分制）", max_digits=5, decimal_places=2, null=True, blank=True)
    passed = models.BooleanField("及格", null=True, blank=True)

    class Meta:
        verbose_name = "作答"
        verbose_name_plural = "作答"
        ordering = ["quiz_id", "teacher_id", "number"]
        constraints = [
            # With number ≤ max_attempts checked on start, this makes the limit hold under concurrent starts.
            models.UniqueConstraint(fields=["quiz", "teacher", "number"], name="one_attempt_per_number"),
            models.UniqueConstraint(
                fields=["quiz", "teacher"], condition=Q(status="open"), name="one_open_attempt_per_teacher"
            ),
        ]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return f"{self.teacher} 第{self.number}次 {self.quiz}"

    @property
    def is_open(self) -> bool:
        return self.status == AttemptStatus.OPEN


class AttemptQuestion(models.Model):
    """A drawn question in an attempt: its position, its option order, and the saved answer."""

    attempt = models.ForeignKey(Attempt, verbose_name="作答", on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, verbose_name="试题", on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField("题号")
    option_order = models.JSONField("选项顺序")
    selected = models.JSONField("所选选项", default=list, blank=True)
    answered_at = models.DateTimeField("作答时间", null=True, blank=True)
    points = models.DecimalField("得分", max_digits=5, decimal_places=4, null=True, blank=True)

    class Meta:
        verbose_name = "作答题目"
        verbose_name_plural = "作答题目"
        ordering = ["attempt_id", "position"]
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="question_once_per_attempt")]

    def __str__(self) -> str:
        return f"{self.attempt} 第{self.position}题"
