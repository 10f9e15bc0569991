"""Programmes, their sessions, and who is enrolled in them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import OrganisingUnit


class Level(models.TextChoices):
    NATIONAL = "national", "国家级"
    PROVINCIAL = "provincial", "省级"
    MUNICIPAL = "municipal", "市级"
    COUNTY = "county", "县级"
    SCHOOL = "school", "校级"


class Kind(models.TextChoices):
    LECTURE = "lecture", "专题讲座"
    INTENSIVE = "intensive", "集中培训"
    ONLINE = "online", "网络研修"
    BLENDED = "blended", "混合式"


# What a study material may be: documents, slides and media a phone opens; never a page or script that would run
# on the site's own address (HTML, SVG, JS), never an archive a phone cannot read.
MATERIAL_EXTENSIONS = ["pdf", "doc", "docx", "ppt", "pptx", "xls", "xlsx", "wps", "txt", "mp4", "mp3", "m4a"]
MATERIAL_MAX_MB = 200


_material_extensions = FileExtensionValidator(
    MATERIAL_EXTENSIONS,
    message="学习材料只能是 PDF、Word、PPT、Excel、WPS、文本、MP4、MP3 或 M4A 文件（不接受 .%(extension)s 文件）。",
)


def material_file_check(file) -> None:
    """A new upload's kind and size. A file already stored is not checked again: editing a session's title must
    not depend on the storage answering for its file, nor on rules newer than the file."""
    if getattr(file, "_committed", False):
        return
    _material_extensions(file)
    if file.size > MATERIAL_MAX_MB * 1024 * 1024:
        raise ValidationError(
            f"学习材料文件 {file.size / 1024 / 1024:.0f} MB，超过 {MATERIAL_MAX_MB} MB 的上限；"
            "较大的视频请上传到视频平台，再填写学习材料链接。"
        )


class Programme(models.Model):
    code = models.CharField("项目编号", max_length=32, unique=True, help_text="如 FZ2021-0914；字母、数字和连字符。")
    title = models.CharField("项目名称", max_length=200)
    level = models.CharField("培训级别", max_length=16, choices=Level.choices, db_index=True)
    kind = models.CharField("培训形式", max_length=16, choices=Kind.choices)
    unit = models.ForeignKey(
        OrganisingUnit, verbose_name="组织单位", on_delete=models.PROTECT, related_name="programmes"
    )
    year = models.PositiveSmallIntegerField("年度", db_index=True)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    credit_hours = models.DecimalField("学时", max_digits=5, decimal_places=1)
    capacity = models.PositiveIntegerField("名额", null=True, blank=True, help_text="留空表示不限。")
    self_enrol_open = models.BooleanField("开放自主报名", default=False)
    allow_walk_in = models.BooleanField("允许现场签到报名", default=False, help_text="未报名的教师扫码签到时自动报名。")
    audience = models.CharField("培训对象", max_length=200, blank=True)
    description = models.TextField("项目简介", blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now, editable=False)
    closed_at = models.DateTimeField(
        "关闭时间", null=True, blank=True, editable=False, help_text="关闭（归档）后不再接受报名，项目列表默认不显示。"
    )

    class Meta:
        verbose_name = "培训项目"
        verbose_name_plural = "培训项目"
        ordering = ["-start_date", "code"]
        constraints = [
            models.CheckConstraint(condition=Q(start_date__lte=F("end_date")), name="programme_dates_ordered"),
            models.CheckConstraint(condition=Q(credit_hours__gte=0), name="programme_hours_not_negative"),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__gt=0), name="programme_capacity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{self.code}）"

    def clean(self):
        self.code = (self.code or "").strip().upper()
        errors = {}
        if self.start_date and self.end_date and self.start_date > self.end_date:
            errors["end_date"] = "结束日期不能早于开始日期。"
        if self.start_date and self.year and self.start_date.year != self.year:
            errors["year"] = f"年度应与开始日期的年份一致（{self.start_date.year}）。"
        if self.credit_hours is not None and self.credit_hours < 0:
            errors["credit_hours"] = "学时不能为负数。"
        if errors:
            raise ValidationError(errors)


class Delivery(models.TextChoices):
    ONSITE = "onsite", "线下（扫码签到）"
    ONLINE = "online", "线上/自学"


class Session(models.Model):
    """One sitting of a programme: a lecture, a day of training, an online unit."""

    programme = models.ForeignKey(Programme, verbose_name="培训项目", on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField("课次名称", max_length=200)
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    venue = models.CharField("地点", max_length=200, blank=True)
    lecturer = models.CharField("主讲人", max_length=100, blank=True)
    lecturer_title = models.CharField("主讲人单位及职务", max_length=200, blank=True)
    # 线上/自学: no QR; the teacher studies the material between starts_at and ends_at and confirms it,
    # which attendance records as a check-in (attendance.services.study_complete).
    delivery = models.CharField(
        "上课方式",
        max_length=8,
        choices=Delivery.choices,
        default=Delivery.ONSITE,
        help_text="线上/自学：开始至结束时间为学习期，教师打开学习材料并确认学完即计为出勤，无需扫码。",
    )
    material_title = models.CharField("学习材料名称", max_length=200, blank=True)
    material_url = models.URLField("学习材料链接", max_length=500, blank=True)
    material_file = models.FileField(
        "学习材料文件",
        upload_to="materials/%Y/",
        blank=True,
        validators=[material_file_check],
        help_text=f"PDF、Word、PPT、MP4 等，不超过 {MATERIAL_MAX_MB} MB。",
    )

    class Meta:
        verbose_name = "课次"
        verbose_name_plural = "课次"
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="session_times_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.title}（{timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}）"

    @property
    def when(self) -> str:
        """2021-09-14 09:00–11:30, or both dates when a session spans days (online units)."""
        start, end = timezone.localtime(self.starts_at), timezone.localtime(self.ends_at)
        if start.date() == end.date():
            return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
        return f"{start:%Y-%m-%d %H:%M} 至 {end:%Y-%m-%d %H:%M}"

    @property
    def is_online(self) -> bool:
        return self.delivery == Delivery.ONLINE

    @property
    def has_material(self) -> bool:
        return bool(self.material_url or self.material_file)

    def clean(self):
        errors = {}
        if self.is_online and not self.has_material:
            errors["material_url"] = "线上/自学课次请上传学习材料文件或填写学习材料链接。"
        if self.starts_at and self.ends_at and self.starts_at >= self.ends_at:
            errors["ends_at"] = "结束时间必须晚于开始时间。"
        programme = self.programme if self.programme_id else None
        if programme and self.starts_at and self.ends_at:
            first, last = timezone.localtime(self.starts_at).date(), timezone.localtime(self.ends_at).date()
            if first < programme.start_date or last > programme.end_date:
                errors["starts_at"] = (
                    f"课次时间必须在项目日期 {programme.start_date:%Y-%m-%d} 至 {programme.end_date:%Y-%m-%d} 之内。"
                )
        if errors:
            raise ValidationError(errors)


class EnrolmentSource(models.TextChoices):
    SELF = "self", "自主报名"
    IMPORT = "import", "名单导入"
    ORGANISER = "organiser", "组织者添加"
    WALK_IN = "walk_in", "现场签到报名"


class EnrolmentStatus(models.TextChoices):
    ENROLLED = "enrolled", "已报名"
    CANCELLED = "cancelled", "已取消"


class Enrolment(models.Model):
    programme = models.ForeignKey(
        Programme, verbose_name="培训项目", on_delete=models.CASCADE, related_name="enrolments", db_index=False
    )  # indexed by the unique (programme, teacher) constraint
    teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="教师",
        on_delete=models.PROTECT,
        related_name="enrolments",
        db_index=False,
    )  # indexed by (teacher, status)
    source = models.CharField("来源", max_length=16, choices=EnrolmentSource.choices)
    status = models.CharField("状态", max_length=16, choices=EnrolmentStatus.choices, default=EnrolmentStatus.ENROLLED)
    enrolled_at = models.DateTimeField("报名时间", default=timezone.now)

    class Meta:
        verbose_name = "报名"
        verbose_name_plural = "报名"
        ordering = ["programme_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "teacher"], name="one_enrolment_per_teacher_and_programme"),
        ]
        indexes = [models.Index(fields=["teacher", "status"])]

    def __str__(self) -> str:
        return f"{self.teacher} - {self.programme}"
