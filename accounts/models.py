"""People: one user table for teachers, organisers, the bureau and superusers."""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .identity import mask_id_number, mask_mobile, validate_id_number, validate_mobile


class District(models.TextChoices):
    WEIDU = "魏都区", "魏都区"
    JIAN_AN = "建安区", "建安区"
    YUZHOU = "禹州市", "禹州市"
    CHANGGE = "长葛市", "长葛市"
    YANLING = "鄢陵县", "鄢陵县"
    XIANGCHENG = "襄城县", "襄城县"
    ECONOMIC_ZONE = "许昌经济技术开发区", "许昌经济技术开发区"
    DONGCHENG = "东城区", "东城区"
    DEMO_ZONE = "城乡一体化示范区", "城乡一体化示范区"
    CITY = "市直", "市直"


class Role(models.TextChoices):
    TEACHER = "teacher", "教师"
    ORGANISER = "organiser", "培训组织者"
    BUREAU = "bureau", "教育局（只读）"


class OrganisingUnit(models.Model):
    """A section of the bureau or a directly affiliated unit that runs programmes."""

    name = models.CharField("单位名称", max_length=100, unique=True)
    short_name = models.CharField("简称", max_length=30, blank=True)

    class Meta:
        verbose_name = "培训组织单位"
        verbose_name_plural = "培训组织单位"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, username=None, password=None, **extra):
        user = self.model(username=username or None, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, username, password=None, **extra):
        extra.setdefault("name", username)
        extra.update(is_staff=True, is_superuser=True, role=Role.BUREAU)
        return self.create_user(username, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Teachers are identified by ID number; staff accounts by a username."""

    username = models.CharField(
        "用户名",
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text="组织者、教育局账号使用；教师用身份证号或手机号登录。",
    )
    name = models.CharField("姓名", max_length=50)
    role = models.CharField("角色", max_length=16, choices=Role.choices, default=Role.TEACHER)
    id_number = models.CharField(
        "公民身份号码", max_length=18, unique=True, null=True, blank=True, validators=[validate_id_number]
    )
    mobile = models.CharField("手机号", max_length=11, unique=True, null=True, blank=True, validators=[validate_mobile])
    school = models.CharField("学校/单位", max_length=100, blank=True)
    district = models.CharField("区县", max_length=20, choices=District.choices, blank=True)
    subject = models.CharField("学科", max_length=30, blank=True)
    title = models.CharField("职称", max_length=30, blank=True)
    unit = models.ForeignKey(
        OrganisingUnit,
        verbose_name="所属组织单位",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    must_change_password = models.BooleanField("须修改密码", default=False)
    is_active = models.BooleanField("启用", default=True)
    is_staff = models.BooleanField("可进入后台", default=False)
    date_joined = models.DateTimeField("创建时间", default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["id"]
        permissions = [("export_full_id_number", "可导出完整身份证号")]
        # One index for district and school lists and filters; the role (three values) needs none.
        # Single-column db_index on these text fields also made PostgreSQL keep a second,
        # pattern-matching index each: six indexes to update on every imported teacher.
        indexes = [models.Index(fields=["district", "school"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(role=Role.TEACHER) | Q(id_number__isnull=False), name="teacher_has_id_number"
            ),
            models.CheckConstraint(
                condition=~Q(role=Role.ORGANISER) | Q(unit__isnull=False), name="organiser_has_unit"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.username or f"用户{self.pk}"

    @property
    def is_teacher(self) -> bool:
        return self.role == Role.TEACHER

    @property
    def is_organiser(self) -> bool:
        return self.role == Role.ORGANISER

    @property
    def is_bureau(self) -> bool:
        return self.role == Role.BUREAU

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_number)

    @property
    def masked_mobile(self) -> str:
        return mask_mobile(self.mobile)

    def get_full_name(self) -> str:
        return self.name

    def get_short_name(self) -> str:
        return self.name
