"""Writes of people. Every account change goes through one of these functions."""

import hmac
import logging

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from common.bulk import allocate_ids, insert_rows

from .identity import normalise_id_number, normalise_mobile
from .models import District, Role, User

audit = logging.getLogger("accounts.audit")


def _integrity_to_validation(error: IntegrityError) -> ValidationError:
    text = str(error)
    if "id_number" in text:
        return ValidationError({"id_number": "该身份证号已有账号，请勿重复创建。"})
    if "mobile" in text:
        return ValidationError({"mobile": "该手机号已被其他账号使用。"})
    if "username" in text:
        return ValidationError({"username": "该用户名已被使用。"})
    return ValidationError("保存失败：数据与已有记录冲突。")


@transaction.atomic
def teacher_create(
    *,
    name: str,
    id_number: str,
    mobile: str = "",
    school: str = "",
    district: str = "",
    subject: str = "",
    title: str = "",
    password: str | None = None,
) -> User:
    """Create a teacher after full validation.

    Without a password the account gets an unusable one (no slow hashing): the
    teacher claims it through the first sign-in (ID number + mobile on record).
    """
    teacher = User(
        role=Role.TEACHER,
        name=(name or "").strip(),
        id_number=normalise_id_number(id_number) or None,
        mobile=normalise_mobile(mobile) or None,
        school=(school or "").strip(),
        district=(district or "").strip(),
        subject=(subject or "").strip(),
        title=(title or "").strip(),
    )
    if password:
        teacher.set_password(password)
    else:
        teacher.password = make_password(None)
    teacher.full_clean()
    try:
        with transaction.atomic():
            teacher.save()
    except IntegrityError as error:
        raise _integrity_to_validation(error) from error
    return teacher


@transaction.atomic
def teacher_update(*, teacher: User, **fields) -> User:
    """Change a teacher's record; identifiers are normalised the same way as on create."""
    allowed = {"name", "id_number", "mobile", "school", "district", "subject", "title", "is_active"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f"不能修改这些字段：{', '.join(sorted(unknown))}")
    if "id_number" in fields:
        fields["id_number"] = normalise_id_number(fields["id_number"]) or None
    if "mobile" in fields:
        fields["mobile"] = normalise_mobile(fields["mobile"]) or None
    for key, value in fields.items():
        setattr(teacher, key, value.strip() if isinstance(value, str) else value)
    # Uniqueness is left to the database, whose refusal becomes the friendly message below.
    teacher.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            teacher.save()
    except IntegrityError as error:
        raise _integrity_to_validation(error) from error
    return teacher


OWN_DETAIL_FIELDS = ("mobile", "school", "district", "subject", "title")


@transaction.atomic
def teacher_update_own_details(*, teacher: User, **fields) -> User:
    """The teacher changes their own contact and work details (我的信息). The name and the ID number
    stay as the bureau recorded them; an organiser's roster never changes any of these."""
    if not teacher.is_teacher:
        raise PermissionDenied("只有教师账号可以在这里修改个人信息。")
    unknown = set(fields) - set(OWN_DETAIL_FIELDS)
    if unknown:
        raise ValidationError(f"不能修改这些字段：{', '.join(sorted(unknown))}")
    return teacher_update(teacher=teacher, **fields)


def first_login_candidate(*, id_number: str, mobile: str) -> User | None:
    """The teacher who may claim an account with these details, or None.

    Only an account that has never had a password qualifies, and the mobile must
    match the one on the roster (compared in constant time).
    """
    teacher = User.objects.filter(id_number=normalise_id_number(id_number), role=Role.TEACHER).first()
    if teacher is None or not teacher.is_active or teacher.has_usable_password() or not teacher.mobile:
        return None
    if not hmac.compare_digest(teacher.mobile, normalise_mobile(mobile)):
        return None
    return teacher


@transaction.atomic
def user_set_password(*, user: User, password: str) -> User:
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    return user


@transaction.atomic
def teacher_reset_first_login(*, actor: User, teacher: User) -> User:
    """Back to the first sign-in state, e.g. when a teacher forgot the password.

    Only the superuser may: whoever resets an account can claim it with the ID number and the
    mobile on record, so no organiser does. Logged by primary keys (never an ID number).
    """
    if not (actor.is_active and actor.is_superuser):
        raise PermissionDenied("只有系统管理员可以把账号重置为首次登录。")
    teacher.password = make_password(None)
    teacher.must_change_password = False
    teacher.save(update_fields=["password", "must_change_password"])
    audit.info("account %s reset to first sign-in by user %s", teacher.pk, actor.pk)
    return teacher


def district_choices() -> list[str]:
    return [value for value, _label in District.choices]


def teachers_bulk_create(*, records: list[dict]) -> dict[str, int]:
    """Create many teachers at once (roster import); returns {id_number: pk}.

    Records must already be validated and normalised. All get the unusable password
    marker, so no hashing happens here: each teacher claims the account on first sign-in.
    Call inside the caller's transaction.
    """
    unusable = make_password(None)
    pks = allocate_ids(User, len(records))
    insert_rows(
        User,
        [
            {**record, "id": pk, "role": Role.TEACHER, "password": unusable}
            for pk, record in zip(pks, records, strict=True)
        ],
        with_pk=True,
    )
    return {record["id_number"]: pk for pk, record in zip(pks, records, strict=True)}


TEACHER_DETAIL_FIELDS = ("name", "mobile", "school", "district", "subject", "title")


def teachers_bulk_update(*, teachers: list[User]) -> None:
    """Write changed details of many teachers (roster import); never identity or password."""
    User.objects.bulk_update(teachers, TEACHER_DETAIL_FIELDS, batch_size=1000)
