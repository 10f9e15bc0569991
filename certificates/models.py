"""Completion rules, certificates with gap-free yearly serials, and batch jobs."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from courses.models import Programme


class AttendanceMode(models.TextChoices):
    ALL = "all", "全部课次签到"
    RATIO = "ratio", "出勤率达到比例"
    MINUTES = "minutes", "在场时长达到分钟数"


class CompletionRule(models.Model):
    """What a trainee must do to complete a programme; evaluated from the real records."""

    programme = models.OneToOneField(
        Programme, verbose_name="培训项目", on_delete=models.CASCADE, related_name="completion_rule"
    )
    attendance_mode = models.CharField(
        "出勤要求", max_length=10, choices=AttendanceMode.choices, default=AttendanceMode.ALL
    )
    attendance_ratio = models.PositiveSmallIntegerField("出勤率（%）", default=80, help_text="出勤要求为“比例”时使用")
    minimum_minutes = models.PositiveIntegerField(
        "最少在场分钟数", default=0, help_text="出勤要求为“时长”时使用，需要签退"
    )
    quiz_required = models.BooleanField("须通过项目的测试", default=True, help_text="项目有测试时，须通过全部测试")
    auto_issue = models.BooleanField("完成后自动颁发证书", default=True)

    class Meta:
        verbose_name = "结业规则"
        verbose_name_plural = "结业规则"
        constraints = [models.CheckConstraint(condition=Q(attendance_ratio__lte=100), name="ratio_is_percent")]

    def __str__(self) -> str:
        return f"{self.programme.code} 结业规则"

    def describe(self) -> str:
        if self.attendance_mode == AttendanceMode.RATIO:
            parts = [f"出勤率不低于{self.attendance_ratio}%"]
        elif self.attendance_mode == AttendanceMode.MINUTES:
            parts = [f"在场时长不少于{self.minimum_minutes}分钟"]
        else:
            parts = ["全部课次签到"]
        if self.quiz_required:
            parts.append("通过项目测试（如有）")
        return "；".join(parts)


class SerialCounter(models.Model):
    """The last serial number given in a year. Locked while a number is taken, so numbers have no gaps."""

    year = models.PositiveSmallIntegerField("年度", primary_key=True)
    last_number = models.PositiveIntegerField("已用到", default=0)

    class Meta:
        verbose_name = "证书编号计数"
        verbose_name_plural = "证书编号计数"

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class CertificateStatus(models.TextChoices):
    VALID = "valid", "有效"
    REVOKED = "revoked", "已撤销"


class Certificate(models.Model):
    """A certificate as issued: what it says is kept here, so an edited PDF is caught on verification."""

    programme = models.ForeignKey(
        Programme, verbose_name="培训项目", on_delete=models.PROTECT, related_name="certificates"
    )
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="学员", on_delete=models.PROTECT, related_name="certificates"
    )
    serial = models.CharField("证书编号", max_length=40, db_index=True)
    serial_year = models.PositiveSmallIntegerField("编号年度")
    serial_number = models.PositiveIntegerField("编号序号")
    version = models.PositiveSmallIntegerField("版本", default=1)
    verification_code = models.CharField("验证码", max_length=32, unique=True)
    status = models.CharField("状态", max_length=10, choices=CertificateStatus.choices, default=CertificateStatus.VALID)
    trainee_name = models.CharField("学员姓名", max_length=50)
    programme_title = models.CharField("项目名称", max_length=200)
    level = models.CharField("培训级别", max_length=16)
    unit_name = models.CharField("组织单位", max_length=100)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    credit_hours = models.DecimalField("学时", max_digits=5, decimal_places=1)
    issued_at = models.DateTimeField("颁发时间")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="颁发人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoked_at = models.DateTimeField("撤销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="撤销人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoke_reason = models.CharField("撤销原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "证书"
        verbose_name_plural = "证书"
        ordering = ["serial_year", "serial_number", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "teacher"],
                condition=Q(status="valid"),
                name="one_valid_certificate_per_teacher_and_programme",
            ),
            models.UniqueConstraint(fields=["serial_year", "serial_number", "version"], name="unique_serial_version"),
        ]
        indexes = [models.Index(fields=["teacher", "status"])]

    def __str__(self) -> str:
        return f"{self.serial} {self.trainee_name}"

    @property
    def is_valid(self) -> bool:
        return self.status == CertificateStatus.VALID

    @property
    def level_display(self) -> str:
        from courses.models import Level

        return Level(self.level).label if self.level in Level.values else self.level


class JobKind(models.TextChoices):
    ISSUE = "issue", "批量颁发"
    ZIP = "zip", "打包下载"


class JobStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "进行中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class CertificateJob(models.Model):
    """A batch over a programme's trainees, run off the request as tasks: planned into chunks, whose
    state is the job's progress (certificates.selectors.job_progress)."""

    programme = models.ForeignKey(
        Programme, verbose_name="培训项目", on_delete=models.CASCADE, related_name="certificate_jobs"
    )
    kind = models.CharField("类型", max_length=10, choices=JobKind.choices)
    status = models.CharField("状态", max_length=10, choices=JobStatus.choices, default=JobStatus.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发起人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("创建时间")
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    total = models.PositiveIntegerField("总数", default=0)
    message = models.TextField("结果说明", blank=True)
    file = models.FileField("文件", upload_to="certificate-jobs/", blank=True)
    site_url = models.CharField("站点地址", max_length=200, blank=True, help_text="创建时记录，证书二维码指向此地址。")

    class Meta:
        verbose_name = "证书批处理"
        verbose_name_plural = "证书批处理"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.programme.code} {self.get_kind_display()} {self.get_status_display()}"

    @property
    def percent(self) -> int:
        done = getattr(self, "done", 0) or 0  # annotated by selectors.jobs_with_progress
        return int(done * 100 / self.total) if self.total else (100 if self.status == JobStatus.DONE else 0)


class ChunkStatus(models.TextChoices):
    PENDING = "pending", "排队中"
    RUNNING = "running", "进行中"
    DONE = "done", "已完成"


class JobChunk(models.Model):
    """One task's share of a batch: up to CERTIFICATE_CHUNK_SIZE trainees (a ZIP is one chunk). Its work
    and its "done" are written in one transaction, so a chunk is done or not at all; one whose worker
    died shows no sign of life (heartbeat_at) and is enqueued again by the sweep."""

    job = models.ForeignKey(CertificateJob, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField("序号")
    teacher_ids = models.JSONField("学员", default=list, blank=True)
    size = models.PositiveIntegerField("数量")
    status = models.CharField("状态", max_length=10, choices=ChunkStatus.choices, default=ChunkStatus.PENDING)
    done = models.PositiveIntegerField("已处理", default=0)
    issued = models.PositiveIntegerField("新颁发", default=0)
    attempts = models.PositiveSmallIntegerField("运行次数", default=0)
    heartbeat_at = models.DateTimeField("最近活动")
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "批处理分块"
        verbose_name_plural = "批处理分块"
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="one_chunk_per_job_and_index")]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.job_id}#{self.index} {self.status}"


class PendingIssue(models.Model):
    """A trainee who may just have completed (an attended check-in, a passed quiz): the automatic
    issue task's own data. Written in the same transaction as the record, so it is never lost; the
    task (certificates.tasks.automatic_issue, enqueued on commit) issues in batches — during a
    lecture-hall rush one task issues to dozens of teachers at once — and the periodic sweep takes
    up any row a task did not see."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="+")
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = "待颁发检查"
        verbose_name_plural = "待颁发检查"
        constraints = [models.UniqueConstraint(fields=["programme", "teacher"], name="one_pending_issue")]

    def __str__(self) -> str:
        return f"{self.programme_id}/{self.teacher_id}"


class CertificateStyle(models.Model):
    """What a certificate says of its issuer, per organising unit; the row without a unit is the bureau's
    default. The seal is a PNG kept in the row (a few dozen KB), so no media storage is needed."""

    unit = models.OneToOneField(
        "accounts.OrganisingUnit",
        verbose_name="组织单位",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="certificate_style",
        help_text="留空为教育局的默认设置。",
    )
    issuer = models.CharField("颁发机关署名", max_length=100, help_text="证书右下方的署名，如“许昌市教育局”。")
    signatory = models.CharField("签发人", max_length=50, blank=True, help_text="如“局长 某某某”；留空不打印。")
    seal_png = models.BinaryField("公章图片（PNG）", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "证书样式"
        verbose_name_plural = "证书样式"
        constraints = [
            models.UniqueConstraint(
                fields=["unit"], condition=Q(unit__isnull=True), name="one_default_certificate_style"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit or '教育局默认'}：{self.issuer}"
