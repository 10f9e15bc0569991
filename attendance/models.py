"""Check-in records, per-session attendance rules, and the audit of manual changes."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from courses.models import Session


class SameDeviceRule(models.TextChoices):
    OFF = "off", "不检查"
    FLAG = "flag", "标记可疑"
    REFUSE = "refuse", "拒绝签到"


class AttendanceRule(models.Model):
    """How a session takes attendance; a session without one uses the project defaults."""

    session = models.OneToOneField(
        Session, verbose_name="课次", on_delete=models.CASCADE, related_name="attendance_rule"
    )
    opens_before_minutes = models.PositiveIntegerField("开始前多少分钟开放签到", default=30)
    closes_after_start_minutes = models.PositiveIntegerField("开始后多少分钟停止签到", default=30)
    late_after_minutes = models.PositiveIntegerField("开始后多少分钟算迟到", default=10)
    requires_checkout = models.BooleanField("需要签退", default=False)
    same_device_rule = models.CharField(
        "同一手机代签检查", max_length=8, choices=SameDeviceRule.choices, default=SameDeviceRule.FLAG
    )
    same_device_minutes = models.PositiveIntegerField("同一手机间隔（分钟）", default=10)
    allowed_networks = models.TextField(
        "允许的网络地址段", blank=True, help_text="每行一个，如 10.20.0.0/16；留空表示不限。不在范围内的签到会被标记。"
    )

    class Meta:
        verbose_name = "签到规则"
        verbose_name_plural = "签到规则"
        constraints = [
            models.CheckConstraint(
                condition=Q(late_after_minutes__lte=models.F("closes_after_start_minutes")),
                name="late_within_window",
                violation_error_message="迟到时间不能晚于停止签到时间。",
            )
        ]

    def __str__(self) -> str:
        return f"{self.session} 的签到规则"


class Status(models.TextChoices):
    PRESENT = "present", "已签到"
    LATE = "late", "迟到"
    EXCUSED = "excused", "请假"
    ABSENT = "absent", "缺勤"


class Method(models.TextChoices):
    QR = "qr", "扫码"
    CODE = "code", "签到码"
    MANUAL = "manual", "组织者标记"
    STUDY = "study", "线上学习"


class CheckIn(models.Model):
    """One teacher's attendance at one session; the database allows only one."""

    session = models.ForeignKey(
        Session, verbose_name="课次", on_delete=models.CASCADE, related_name="checkins", db_index=False
    )  # indexed by the unique (session, teacher) constraint
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="教师", on_delete=models.PROTECT, related_name="checkins"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices)
    method = models.CharField("方式", max_length=10, choices=Method.choices)
    checked_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    checked_out_at = models.DateTimeField("签退时间", null=True, blank=True)
    ip_address = models.GenericIPAddressField("IP 地址", null=True, blank=True)
    user_agent = models.CharField("浏览器", max_length=300, blank=True)
    device_id = models.CharField("设备标识", max_length=64, blank=True)
    flag = models.CharField("可疑标记", max_length=200, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_at = models.DateTimeField("记录时间", auto_now_add=True)

    class Meta:
        verbose_name = "签到记录"
        verbose_name_plural = "签到记录"
        ordering = ["session_id", "checked_in_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "teacher"], name="one_checkin_per_teacher_and_session")
        ]
        # The same-device check on every check-in: one phone's records in this session. Without it
        # PostgreSQL read all of the session's records (3,000 in the year-cohort benchmark) each time.
        indexes = [models.Index(fields=["session", "device_id"])]

    def __str__(self) -> str:
        return f"{self.teacher} @ {self.session}"

    @property
    def attended(self) -> bool:
        return self.status in (Status.PRESENT, Status.LATE)


class AttendanceChange(models.Model):
    """Who changed a record by hand, when, from what to what, and why."""

    checkin = models.ForeignKey(CheckIn, verbose_name="签到记录", on_delete=models.CASCADE, related_name="changes")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField("操作时间")
    from_status = models.CharField("原状态", max_length=10, blank=True)
    to_status = models.CharField("新状态", max_length=10, choices=Status.choices)
    reason = models.CharField("原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "签到修改记录"
        verbose_name_plural = "签到修改记录"
        ordering = ["-changed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.checkin}: {self.from_status or '无'} → {self.to_status}"


class CodeAttempt(models.Model):
    """One entry of a printed sheet's 6-digit code, kept for the lockout window.

    The row is written (and committed) before the code is checked and the failures counted, so
    simultaneous wrong codes each see the others: at most the limit get through (see
    attendance.services.checkin_by_code). A correct code marks its own row, resetting nothing.
    """

    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="教师", on_delete=models.CASCADE, related_name="+"
    )
    address = models.CharField("客户端地址", max_length=45, blank=True)
    attempted_at = models.DateTimeField("时间")
    succeeded = models.BooleanField("正确", default=False)

    class Meta:
        verbose_name = "签到码输入记录"
        verbose_name_plural = "签到码输入记录"
        indexes = [
            models.Index(fields=["teacher", "attempted_at"], name="code_attempt_teacher"),
            models.Index(fields=["address", "attempted_at"], name="code_attempt_address"),
        ]

    def __str__(self) -> str:
        return f"{self.teacher} {self.attempted_at:%Y-%m-%d %H:%M}"


class MaterialOpening(models.Model):
    """A teacher opened an online session's study material: the condition for confirming the study."""

    session = models.ForeignKey(
        Session, verbose_name="课次", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="教师", on_delete=models.CASCADE, related_name="+"
    )
    opened_at = models.DateTimeField("首次打开时间")

    class Meta:
        verbose_name = "学习材料打开记录"
        verbose_name_plural = "学习材料打开记录"
        constraints = [
            models.UniqueConstraint(fields=["session", "teacher"], name="one_material_opening_per_teacher_and_session")
        ]

    def __str__(self) -> str:
        return f"{self.teacher} 打开 {self.session} 的学习材料"
