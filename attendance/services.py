"""Writes of attendance: QR and code check-in, check-out, manual marking with audit."""

import datetime
import hmac
import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from accounts.models import User
from courses.models import Enrolment, EnrolmentSource, EnrolmentStatus, Session
from courses.selectors import not_enrolled, programme_can_manage
from courses.services import enrolment_create

from . import tokens
from .models import (
    AttendanceChange,
    AttendanceRule,
    CheckIn,
    CodeAttempt,
    MaterialOpening,
    Method,
    SameDeviceRule,
    Status,
)  # fmt: skip
from .selectors import ATTENDED, checkout_window, open_sessions, rule_for, session_for_scan, window_for
from .signals import checkins_bulk_recorded


class CheckinRefused(Exception):
    """A check-in that cannot happen; the message tells the teacher why and what to do."""

    def __init__(self, message: str, *, status: int = 400, session: Session | None = None):
        super().__init__(message)
        self.status = status
        self.session = session


@dataclass
class CheckinResult:
    outcome: str  # checked_in / late / already / checked_out / already_out
    record: CheckIn
    walk_in: bool = False


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%m月%d日 %H:%M")


def token_session(*, token: str, moment) -> tuple[Session, str]:
    """The session and kind a scanned token stands for, or CheckinRefused."""
    try:
        parsed = tokens.read_token(token, moment=moment)
    except tokens.TokenInvalid as error:
        raise CheckinRefused(str(error), status=410 if error.expired else 400) from error
    session = session_for_scan(parsed.session_id)
    if session is None:
        raise CheckinRefused("这个签到二维码对应的课次已不存在。", status=404)
    return session, parsed.kind


@dataclass
class _ScanState:
    record_id: int | None  # the teacher's record of this session, if any
    enrolled: bool
    other_teacher_id: int | None  # another teacher who checked in from this phone within the rule's minutes


def _scan_state(*, session: Session, teacher: User, device_id: str, moment) -> _ScanState:
    """What a check-in must know before it writes, in one fixed statement: the rush's only read inside
    the transaction (the record, the enrolment and the same-phone check each as its own query cost two
    more round trips and ~0.7 ms of CPU per check-in in bench/checkin_load.py)."""
    rule = rule_for(session)
    checkins, enrolments = CheckIn._meta.db_table, Enrolment._meta.db_table
    sql = (
        f"SELECT (SELECT id FROM {checkins} WHERE session_id = %s AND teacher_id = %s), "
        f"EXISTS (SELECT 1 FROM {enrolments} WHERE programme_id = %s AND teacher_id = %s AND status = %s)"
    )
    params = [session.pk, teacher.pk, session.programme_id, teacher.pk, EnrolmentStatus.ENROLLED]
    if device_id and rule.same_device_rule != SameDeviceRule.OFF:
        since = moment - datetime.timedelta(minutes=rule.same_device_minutes)
        sql += (
            f", (SELECT teacher_id FROM {checkins} WHERE session_id = %s AND device_id = %s "
            "AND checked_in_at >= %s AND teacher_id <> %s ORDER BY id LIMIT 1)"
        )
        params += [session.pk, device_id, connection.ops.adapt_datetimefield_value(since), teacher.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        record_id, enrolled, *other = cursor.fetchone()
    return _ScanState(record_id, bool(enrolled), other[0] if other else None)


def _client_flags(*, session: Session, known: _ScanState, ip: str | None) -> str:
    rule = rule_for(session)
    flags = []
    if known.other_teacher_id is not None:
        if rule.same_device_rule == SameDeviceRule.REFUSE:
            raise CheckinRefused(
                f"这部手机在 {rule.same_device_minutes} 分钟内已为其他教师签到，不能代签。请用本人手机扫码，或请组织者现场登记。",
                status=403,
                session=session,
            )
        other = User.objects.filter(pk=known.other_teacher_id).values_list("name", flat=True).first()
        flags.append(f"同一手机{rule.same_device_minutes}分钟内已为{other}签到")
    networks = [line.strip() for line in rule.allowed_networks.splitlines() if line.strip()]
    if networks and ip:
        address = ipaddress.ip_address(ip)
        if not any(address in ipaddress.ip_network(net, strict=False) for net in networks):
            flags.append(f"不在会场网络范围（{ip}）")
    return "；".join(flags)


def checkin_record(
    *,
    session: Session,
    teacher: User,
    scanned_at,
    method: str = Method.QR,
    ip: str | None = None,
    user_agent: str = "",
    device_id: str = "",
) -> CheckinResult:
    """Record a teacher's check-in once.

    The window and lateness are judged at the scan time (so a sign-in detour does not
    make anyone late); the unique constraint makes double and simultaneous scans one record:
    the scan that loses the race has its transaction rolled back and is answered 已签到 (no
    savepoint around the INSERT, two statements fewer on every check-in).
    """
    try:
        return _checkin_record(
            session=session, teacher=teacher, scanned_at=scanned_at, method=method,
            ip=ip, user_agent=user_agent, device_id=device_id,
        )  # fmt: skip
    except IntegrityError:
        record = CheckIn.objects.filter(session=session, teacher=teacher).first()
        if record is None:
            raise
        return CheckinResult("already", record)


@transaction.atomic
def _checkin_record(
    *, session: Session, teacher: User, scanned_at, method: str, ip: str | None, user_agent: str, device_id: str
) -> CheckinResult:
    if not teacher.is_teacher or not teacher.is_active:
        raise CheckinRefused("只有启用的教师账号可以签到。", status=403, session=session)
    if session.is_online:
        raise CheckinRefused(
            "这是线上/自学课次，无需扫码签到：请在项目页面打开学习材料，学完后确认完成。", status=403, session=session
        )
    window = window_for(session)
    timing = window.state(scanned_at)
    known = _scan_state(session=session, teacher=teacher, device_id=device_id, moment=scanned_at)
    existing = CheckIn.objects.get(pk=known.record_id) if known.record_id else None
    if existing and existing.status in ATTENDED:
        return CheckinResult("already", existing)
    if timing == "not_open":
        raise CheckinRefused(f"签到尚未开始：{_local(window.opens)} 开放签到。", status=403, session=session)
    if timing == "closed":
        raise CheckinRefused(
            f"签到已于 {_local(window.closes)} 结束。如确实到场，请联系组织者补登记。", status=403, session=session
        )

    programme = session.programme
    walk_in = False
    if not known.enrolled:
        if not programme.allow_walk_in:
            raise CheckinRefused(
                f"您没有报名“{programme.title}”，不能签到。如需参加，请联系组织者。", status=403, session=session
            )
        try:
            enrolment_create(actor=teacher, programme=programme, teacher=teacher, source=EnrolmentSource.WALK_IN)
        except ValidationError as error:
            raise CheckinRefused("；".join(error.messages), status=403, session=session) from error
        walk_in = True

    flag = _client_flags(session=session, known=known, ip=ip)
    status = Status.LATE if timing == "late" else Status.PRESENT
    note = "现场签到报名" if walk_in else ""
    if existing:  # an earlier manual "absent" or "excused" becomes the real attendance
        existing.status, existing.method, existing.checked_in_at = status, method, scanned_at
        existing.ip_address, existing.user_agent, existing.device_id = ip, user_agent[:300], device_id
        existing.flag = flag
        existing.save()
        return CheckinResult("late" if status == Status.LATE else "checked_in", existing, walk_in)
    record = CheckIn.objects.create(
        session=session,
        teacher=teacher,
        status=status,
        method=method,
        checked_in_at=scanned_at,
        ip_address=ip,
        user_agent=user_agent[:300],
        device_id=device_id,
        flag=flag,
        note=note,
    )
    return CheckinResult("late" if status == Status.LATE else "checked_in", record, walk_in)


@transaction.atomic
def checkout_record(*, session: Session, teacher: User, scanned_at) -> CheckinResult:
    opens, closes = checkout_window(session)
    record = CheckIn.objects.select_for_update().filter(session=session, teacher=teacher).first()
    if record is None or record.status not in ATTENDED:
        raise CheckinRefused("您本节课还没有签到，不能签退。", status=403, session=session)
    if record.checked_out_at:
        return CheckinResult("already_out", record)
    if scanned_at < opens:
        raise CheckinRefused(f"签退尚未开始：{_local(opens)} 开放签退。", status=403, session=session)
    if scanned_at > closes:
        raise CheckinRefused("签退已结束。", status=403, session=session)
    record.checked_out_at = scanned_at
    record.save(update_fields=["checked_out_at"])
    return CheckinResult("checked_out", record)


def checkin_scan(*, token_session_kind: tuple[Session, str], teacher: User, scanned_at, **client) -> CheckinResult:
    session, kind = token_session_kind
    if kind == "out":
        return checkout_record(session=session, teacher=teacher, scanned_at=scanned_at)
    return checkin_record(session=session, teacher=teacher, scanned_at=scanned_at, method=Method.QR, **client)


def _code_failures(*, teacher: User, address: str, since) -> tuple[int, int]:
    """Failed entries in the window: this teacher's, and this client address's (any teacher)."""
    recent = CodeAttempt.objects.filter(attempted_at__gte=since, succeeded=False)
    by_teacher = recent.filter(teacher=teacher).count()
    by_address = recent.filter(address=address).count() if address else 0
    return by_teacher, by_address


def checkin_by_code(*, teacher: User, code: str, moment, **client) -> CheckinResult:
    """The printed sheet's 6-digit code: accepted only inside the session's window.

    Failures are counted per teacher and per client address over ATTENDANCE_CODE_WINDOW_SECONDS;
    a correct code does not reset them. Each entry is recorded and committed *before* it is checked
    and the failures counted, so of any number of simultaneous wrong codes each one counts the
    others that came before it: no more than the limit are ever checked. Entries made while locked
    count too. Must not run inside an outer transaction (the record has to be visible to others).
    """
    address = (client.get("ip") or "")[:45]
    since = moment - datetime.timedelta(seconds=settings.ATTENDANCE_CODE_WINDOW_SECONDS)
    CodeAttempt.objects.filter(teacher=teacher, attempted_at__lt=since).delete()
    attempt = CodeAttempt.objects.create(teacher=teacher, address=address, attempted_at=moment)
    by_teacher, by_address = _code_failures(teacher=teacher, address=address, since=since)
    per_address = settings.ATTENDANCE_CODE_MAX_FAILURES_PER_ADDRESS
    if by_teacher > settings.ATTENDANCE_CODE_MAX_FAILURES or by_address > per_address:
        minutes = settings.ATTENDANCE_CODE_WINDOW_SECONDS // 60
        raise CheckinRefused(f"签到码错误次数过多，请{minutes}分钟后再试，或请组织者现场登记。", status=429)
    code = (code or "").strip()
    for session in open_sessions(moment=moment):
        in_window = window_for(session).state(moment) in ("on_time", "late")
        if hmac.compare_digest(tokens.session_code(session.pk), code) and in_window:
            CodeAttempt.objects.filter(pk=attempt.pk).update(succeeded=True)
            return checkin_record(session=session, teacher=teacher, scanned_at=moment, method=Method.CODE, **client)
    raise CheckinRefused("签到码不正确，或该课次当前不在签到时间内。请核对打印签到单上的6位数字。", status=400)


@transaction.atomic
def attendance_mark(*, actor: User, session: Session, teacher: User, status: str, reason: str = "") -> CheckIn:
    """An organiser sets a teacher's status by hand; every change is kept with who, when and why.

    The moment of marking is the change's time (AttendanceChange.changed_at), never a check-in time:
    checked_in_at stays what a scan or code recorded, or empty for a teacher marked by hand."""
    if not programme_can_manage(user=actor, programme=session.programme):
        raise PermissionDenied("只有项目所属单位的组织者可以修改考勤。")
    if status not in Status.values:
        raise ValidationError({"status": "未知的考勤状态。"})
    reason = (reason or "").strip()
    if status == Status.EXCUSED and not reason:
        raise ValidationError({"reason": "标记请假时请填写原因。"})
    enrolled = Enrolment.objects.filter(programme_id=session.programme_id, teacher=teacher).exists()
    if not enrolled:
        raise ValidationError({"teacher": f"{teacher.name} 没有报名该项目，不能标记考勤。"})
    now = timezone.now()
    record, created = CheckIn.objects.select_for_update().get_or_create(
        session=session,
        teacher=teacher,
        defaults={"status": status, "method": Method.MANUAL, "checked_in_at": None},
    )
    previous = "" if created else record.status
    if not created:
        if previous == status and not reason:
            return record
        record.status = status
        record.method = Method.MANUAL if previous not in ATTENDED or status not in ATTENDED else record.method
        record.save()
    AttendanceChange.objects.create(
        checkin=record, changed_by=actor, changed_at=now, from_status=previous, to_status=status, reason=reason
    )
    return record


RULE_FIELDS = {
    "opens_before_minutes", "closes_after_start_minutes", "late_after_minutes", "requires_checkout",
    "same_device_rule", "same_device_minutes", "allowed_networks",
}  # fmt: skip


@transaction.atomic
def attendance_rule_set(*, actor: User, session: Session, **fields) -> AttendanceRule:
    """Create or change a session's check-in rule (window, lateness, check-out, same-phone check)."""
    if not programme_can_manage(user=actor, programme=session.programme):
        raise PermissionDenied("只有项目所属单位的组织者可以设置签到规则。")
    if unknown := set(fields) - RULE_FIELDS:
        raise ValidationError(f"未知字段：{', '.join(sorted(unknown))}")
    rule = rule_for(session)
    for key, value in fields.items():
        setattr(rule, key, value)
    rule.full_clean()
    rule.save()
    return rule


@dataclass(frozen=True)
class RecordedCheckin:
    teacher_id: int
    status: str
    checked_in_at: datetime.datetime | None
    method: str = Method.MANUAL  # QR or CODE for scans brought over from another system


@transaction.atomic
def checkins_bulk_record(*, actor: User, session: Session, records: list[RecordedCheckin]) -> int:
    """Record many teachers' attendance of a past session at once (a paper sign-in sheet typed in, or
    the demo), with the audit trail of a manual mark. Teachers must be enrolled and not yet recorded
    for the session. Other apps follow through `checkins_bulk_recorded`. Returns how many were written."""
    if not programme_can_manage(user=actor, programme=session.programme):
        raise PermissionDenied("只有项目所属单位的组织者可以登记考勤。")
    if not records:
        return 0
    teacher_ids = [record.teacher_id for record in records]
    if missing := not_enrolled(programme_id=session.programme_id, teacher_ids=teacher_ids):
        raise ValidationError(f"有 {len(missing)} 名教师没有报名该项目，不能登记考勤。")
    if CheckIn.objects.filter(session=session, teacher_id__in=teacher_ids).exists():
        raise ValidationError("其中有教师已有本课次的考勤记录，请逐个修改。")
    if bad := {record.status for record in records} - set(Status.values):
        raise ValidationError(f"未知的考勤状态：{'、'.join(sorted(bad))}")
    rows = [
        CheckIn(
            session=session,
            teacher_id=record.teacher_id,
            status=record.status,
            method=record.method,
            checked_in_at=record.checked_in_at,
            note="批量登记" if record.method == Method.MANUAL else "",
        )  # fmt: skip
        for record in records
    ]
    CheckIn.objects.bulk_create(rows, batch_size=2000)
    now = timezone.now()
    AttendanceChange.objects.bulk_create(
        [
            AttendanceChange(checkin=row, changed_by=actor, changed_at=now, to_status=row.status, reason="批量登记")
            for row in rows
            if row.method == Method.MANUAL
        ],
        batch_size=2000,
    )
    checkins_bulk_recorded.send(sender=CheckIn, session_id=session.pk, teacher_ids=sorted(set(teacher_ids)))
    return len(rows)


def _study_checks(*, session: Session, teacher: User, moment) -> None:
    """Who may study an online session, and when: an enrolled, active teacher inside its study period."""
    if not session.is_online:
        raise CheckinRefused("这个课次是线下课次，请在现场扫码签到。", status=400, session=session)
    if not teacher.is_teacher or not teacher.is_active:
        raise CheckinRefused("只有启用的教师账号可以参加线上学习。", status=403, session=session)
    enrolled = Enrolment.objects.filter(
        programme_id=session.programme_id, teacher=teacher, status=EnrolmentStatus.ENROLLED
    ).exists()
    if not enrolled:
        raise CheckinRefused(f"您没有报名“{session.programme.title}”，请先报名。", status=403, session=session)
    if moment < session.starts_at:
        raise CheckinRefused(f"学习尚未开始：{_local(session.starts_at)} 开放。", status=403, session=session)
    if moment > session.ends_at:
        raise CheckinRefused(
            f"学习已于 {_local(session.ends_at)} 结束。如确已学完，请联系组织者补登记。", status=403, session=session
        )


@transaction.atomic
def study_material_open(*, session: Session, teacher: User, moment) -> MaterialOpening:
    """Record (once) that the teacher opened the session's material; the first time is kept."""
    _study_checks(session=session, teacher=teacher, moment=moment)
    opening, _ = MaterialOpening.objects.get_or_create(session=session, teacher=teacher, defaults={"opened_at": moment})
    return opening


@transaction.atomic
def study_complete(*, session: Session, teacher: User, moment) -> CheckinResult:
    """The teacher confirms having studied an online session's material, after opening it.

    Recorded as the session's attendance — a CheckIn with method 线上学习 — so the completion rule,
    the 还差… line, the dashboard's facts and the credit hours count it like any check-in.
    """
    _study_checks(session=session, teacher=teacher, moment=moment)
    existing = CheckIn.objects.select_for_update().filter(session=session, teacher=teacher).first()
    if existing and existing.status in ATTENDED:
        return CheckinResult("already", existing)
    if not MaterialOpening.objects.filter(session=session, teacher=teacher).exists():
        raise CheckinRefused("请先打开学习材料并学习，再确认完成。", status=400, session=session)
    if existing:  # an earlier manual "absent" or "excused" becomes the study
        existing.status, existing.method, existing.checked_in_at = Status.PRESENT, Method.STUDY, moment
        existing.save()
        return CheckinResult("studied", existing)
    record = CheckIn.objects.create(
        session=session, teacher=teacher, status=Status.PRESENT, method=Method.STUDY, checked_in_at=moment
    )
    return CheckinResult("studied", record)
