"""Reads of people, scoped by who is asking."""

from django.db.models import Q, QuerySet

from common.rows import Columns, instances, statement

from .identity import looks_like_id_number, looks_like_mobile, normalise_id_number, normalise_mobile
from .models import Role, User


def _user_by_pk_sql(connection) -> tuple[str, list[Columns]]:
    parts = [Columns.of(connection, User, "u")]
    qn = connection.ops.quote_name
    return f"SELECT {parts[0].sql} FROM {qn(User._meta.db_table)} u WHERE u.{qn(User._meta.pk.column)} = %s", parts


def user_by_pk(pk: int) -> User | None:
    """The account of a signed-in session's user id, or None: User.objects.filter(pk=pk).first() in one
    fixed statement (common.rows), since every signed-in request reads it and the ORM spent ~0.3 ms of
    CPU building the query for the user's many fields (bench/checkin_load.py)."""
    database, (sql, parts) = statement("user_by_pk", _user_by_pk_sql)
    with database.cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    return instances(database, parts, row)[0] if row else None


def user_by_identifier(*, identifier: str) -> User | None:
    """The account an ID number, mobile or username names, or None."""
    id_candidate = normalise_id_number(identifier)
    if looks_like_id_number(id_candidate):
        return User.objects.filter(id_number=id_candidate).first()
    mobile_candidate = normalise_mobile(identifier)
    if looks_like_mobile(mobile_candidate):
        return User.objects.filter(mobile=mobile_candidate).first()
    return User.objects.filter(username=identifier.strip()).first()


def teacher_by_id_number(*, id_number: str) -> User | None:
    """The teacher with this ID number as typed (full-width digits, lower-case x and spaces allowed)."""
    number = normalise_id_number(id_number or "")
    if not number:
        return None
    return User.objects.filter(id_number=number, role=Role.TEACHER).first()


def teachers_visible_to(*, user: User) -> QuerySet[User]:
    """Teachers a user may see: self; an organiser, those in the unit's programmes; the bureau, all."""
    teachers = User.objects.filter(role=Role.TEACHER)
    if user.is_superuser or user.is_bureau:
        return teachers
    if user.is_organiser:
        return teachers.filter(Q(enrolments__programme__unit_id=user.unit_id)).distinct()
    return teachers.filter(pk=user.pk)
