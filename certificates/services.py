"""Writes of certificates: issuing (one at a time or in batches), revocation, re-issue, batch jobs."""

import io
import logging
import secrets
import threading
import zipfile

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.utils import timezone

from accounts.models import User
from courses.models import Enrolment, EnrolmentStatus, Programme
from courses.selectors import programme_can_manage

from . import selectors
from .facts import facts_refresh
from .models import Certificate, CertificateJob, CertificateStatus, CompletionRule, JobKind, JobStatus, SerialCounter
from .pdf import certificate_filename, certificate_pdf

logger = logging.getLogger("training.certificates")


def _serial(year: int, number: int) -> str:
    return f"{settings.CERTIFICATE_SERIAL_PREFIX}〔{year}〕第{number:04d}号"


def _next_number(year: int) -> int:
    """Take the next number of the year under a row lock: concurrent issues queue here, and a
    rolled-back issue gives its number back, so serials are unique and gap-free."""
    # One statement that takes the row lock and answers the number (SQLite ≥ 3.35 and PostgreSQL
    # both have RETURNING; the ORM's update() does not).
    sql = (
        f"UPDATE {SerialCounter._meta.db_table} SET last_number = last_number + 1 WHERE year = %s RETURNING last_number"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [year])
        row = cursor.fetchone()
        if row is None:  # the year's first certificate
            SerialCounter.objects.get_or_create(year=year)
            cursor.execute(sql, [year])
            row = cursor.fetchone()
    return row[0]


def _snapshot(certificate: Certificate, programme: Programme, teacher: User) -> None:
    certificate.trainee_name = teacher.name
    certificate.programme_title = programme.title
    certificate.level = programme.level
    certificate.unit_name = programme.unit.name
    certificate.start_date = programme.start_date
    certificate.end_date = programme.end_date
    certificate.credit_hours = programme.credit_hours


def _check_manager(actor: User | None, programme: Programme) -> None:
    if actor is not None and not programme_can_manage(user=actor, programme=programme):
        raise PermissionDenied("只有项目所属单位的组织者可以颁发或撤销证书。")


@transaction.atomic
def certificate_issue(
    *,
    programme: Programme,
    teacher: User,
    actor: User | None = None,
    rule: CompletionRule | None = None,
    completion: selectors.Completion | None = None,
) -> Certificate:
    """Issue once to a trainee who completed; actor None means the automatic issue on completion
    (which passes the rule and the completion it has just evaluated from the committed records)."""
    _check_manager(actor, programme)
    rule = rule or selectors.rule_for(programme)
    if rule is None:
        raise ValidationError("该项目尚未设置结业规则，不能颁发证书。请先在后台“结业规则”中设置。")
    if (
        not teacher.is_teacher
        or not Enrolment.objects.filter(programme=programme, teacher=teacher, status=EnrolmentStatus.ENROLLED).exists()
    ):
        raise ValidationError(f"{teacher.name} 不是该项目的学员，不能颁发证书（组织者和讲师不是学员）。")
    if Certificate.objects.filter(programme=programme, teacher=teacher).exists():
        raise ValidationError(f"{teacher.name} 已获得该项目的证书，不能重复颁发；如需更正请使用“重新颁发”。")
    completion = completion or selectors.teacher_completion(programme=programme, teacher=teacher, rule=rule)
    if not completion.done:
        raise ValidationError(f"{teacher.name} 尚未完成培训：还差 {'、'.join(completion.missing)}。")
    return _create(programme=programme, teacher=teacher, actor=actor)


def _create(
    *, programme: Programme, teacher: User, actor: User | None, serial_from: Certificate | None = None
) -> Certificate:
    now = timezone.now()
    if serial_from is None:
        year = timezone.localtime(now).year
        number, version = _next_number(year), 1
    else:
        year, number, version = serial_from.serial_year, serial_from.serial_number, serial_from.version + 1
    certificate = Certificate(
        programme=programme,
        teacher=teacher,
        serial=_serial(year, number),
        serial_year=year,
        serial_number=number,
        version=version,
        verification_code=secrets.token_hex(16),  # 128 random bits
        issued_at=now,
        issued_by=actor,
    )
    _snapshot(certificate, programme, teacher)
    try:
        with transaction.atomic():
            certificate.save()
    except IntegrityError as error:
        raise ValidationError(f"{teacher.name} 已获得该项目的证书，不能重复颁发。") from error
    return certificate


@transaction.atomic
def certificate_revoke(*, certificate: Certificate, actor: User, reason: str) -> Certificate:
    _check_manager(actor, certificate.programme)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写撤销原因。"})
    locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if locked.status == CertificateStatus.REVOKED:
        raise ValidationError("该证书已经撤销，不能重复撤销。")
    locked.status = CertificateStatus.REVOKED
    locked.revoked_at = timezone.now()
    locked.revoked_by = actor
    locked.revoke_reason = reason[:200]
    locked.save(update_fields=["status", "revoked_at", "revoked_by", "revoke_reason"])
    return locked


@transaction.atomic
def certificate_reissue(*, certificate: Certificate, actor: User, reason: str) -> Certificate:
    """After a correction (e.g. a misspelt name): the old version is revoked, a new version keeps the serial."""
    _check_manager(actor, certificate.programme)
    if Certificate.objects.filter(
        programme=certificate.programme, teacher=certificate.teacher, version__gt=certificate.version
    ).exists():
        raise ValidationError("该证书已有更新的版本，请对最新版本操作。")
    if certificate.status == CertificateStatus.VALID:
        certificate_revoke(certificate=certificate, actor=actor, reason=f"更正后重新颁发：{reason}".strip("："))
    teacher = User.objects.get(pk=certificate.teacher_id)
    return _create(programme=certificate.programme, teacher=teacher, actor=actor, serial_from=certificate)


def issue_if_completed(
    *, programme_id: int, teacher_id: int, teacher: User | None = None, programme: Programme | None = None
) -> Certificate | None:
    """The automatic issue after a check-in or a graded quiz; quiet when not (yet) due.

    Runs after every attended check-in, most of which do not complete anything yet (the first
    sessions of a programme): so the completion is judged first, outside any transaction, and only a
    teacher who completed goes on to certificate_issue (enrolment, existing certificate, serial)."""
    programme = programme or Programme.objects.select_related("unit").filter(pk=programme_id).first()
    teacher = teacher or User.objects.filter(pk=teacher_id).first()
    if programme is None or teacher is None:
        return None
    rule = selectors.rule_for(programme)
    if rule is None or not rule.auto_issue:
        return None
    completion = selectors.teacher_completion(programme=programme, teacher=teacher, rule=rule)
    if not completion.done:
        return None
    try:
        return certificate_issue(programme=programme, teacher=teacher, rule=rule, completion=completion)
    except ValidationError:
        return None


# ---- Batch jobs: issue to everyone who completed, or a ZIP of all PDFs, off the request.


@transaction.atomic
def job_create(*, programme: Programme, actor: User, kind: str) -> CertificateJob:
    _check_manager(actor, programme)
    if kind == JobKind.ISSUE and selectors.rule_for(programme) is None:
        raise ValidationError("该项目尚未设置结业规则，不能颁发证书。")
    job = CertificateJob.objects.create(programme=programme, kind=kind, requested_by=actor, created_at=timezone.now())
    mode = settings.CERTIFICATE_JOBS_MODE
    if mode == "inline":
        transaction.on_commit(lambda: job_run(job_id=job.pk))
    elif mode == "thread":
        transaction.on_commit(lambda: threading.Thread(target=_run_in_thread, args=(job.pk,), daemon=True).start())
    return job


def _run_in_thread(job_id: int) -> None:
    try:
        job_run(job_id=job_id)
    finally:
        close_old_connections()


def job_run(*, job_id: int) -> CertificateJob:
    job = CertificateJob.objects.select_related("programme", "programme__unit").get(pk=job_id)
    if job.status != JobStatus.PENDING:
        return job
    job.status = JobStatus.RUNNING
    job.save(update_fields=["status"])
    try:
        if job.kind == JobKind.ISSUE:
            _run_issue(job)
        else:
            _run_zip(job)
        job.status = JobStatus.DONE
    except Exception as error:
        logger.exception("certificate job %s failed", job.pk)
        job.status = JobStatus.FAILED
        job.message = f"处理失败：{error}"
    job.finished_at = timezone.now()
    job.save()
    return job


def _progress(job: CertificateJob, done: int) -> None:
    job.done = done
    CertificateJob.objects.filter(pk=job.pk).update(done=done, issued=job.issued)


@transaction.atomic
def certificates_issue_completed(
    *,
    programme: Programme,
    actor: User | None,
    teacher_ids: list[int] | None = None,
    limit: int | None = None,
    issued_at=None,
) -> int:
    """Issue to every trainee who completed and has no certificate yet (or the given ones), in bulk.

    The year's counter is locked once for the whole batch, so the numbers are consecutive.
    issued_at backdates a batch (loading past years' records); the serial year follows it.
    Returns how many were issued.
    """
    if selectors.rule_for(programme) is None:
        raise ValidationError("该项目尚未设置结业规则，不能颁发证书。")
    already = set(Certificate.objects.filter(programme=programme).values_list("teacher_id", flat=True))
    due = selectors.completed_teacher_ids(programme=programme) - already
    if teacher_ids is not None:
        due &= set(teacher_ids)
    due = sorted(due)[:limit] if limit else sorted(due)
    if not due:
        return 0
    now = issued_at or timezone.now()
    year = timezone.localtime(now).year
    SerialCounter.objects.get_or_create(year=year)
    counter = SerialCounter.objects.select_for_update().get(year=year)
    teachers = {t.pk: t for t in User.objects.filter(pk__in=due)}
    certificates = []
    for offset, teacher_id in enumerate(due, start=1):
        number = counter.last_number + offset
        certificate = Certificate(
            programme=programme, teacher_id=teacher_id, serial=_serial(year, number), serial_year=year,
            serial_number=number, verification_code=secrets.token_hex(16), issued_at=now, issued_by=actor,
        )  # fmt: skip
        _snapshot(certificate, programme, teachers[teacher_id])
        certificates.append(certificate)
    Certificate.objects.bulk_create(certificates, batch_size=500)
    counter.last_number += len(certificates)
    counter.save(update_fields=["last_number"])
    facts_refresh(programme_ids=[programme.pk])  # bulk_create sends no post_save
    return len(certificates)


def _run_issue(job: CertificateJob) -> None:
    programme = job.programme
    already = set(Certificate.objects.filter(programme=programme).values_list("teacher_id", flat=True))
    job.total = len(selectors.completed_teacher_ids(programme=programme) - already)
    CertificateJob.objects.filter(pk=job.pk).update(total=job.total)
    while True:
        issued = certificates_issue_completed(programme=programme, actor=job.requested_by, limit=200)
        if not issued:
            break
        job.issued += issued
        _progress(job, job.issued)
    job.done = job.total
    job.message = f"新颁发 {job.issued} 张证书（已完成培训且此前未颁发的学员）。"


def _run_zip(job: CertificateJob) -> None:
    certificates = list(
        Certificate.objects.filter(programme=job.programme, status=CertificateStatus.VALID).order_by("serial_number")
    )
    job.total = len(certificates)
    CertificateJob.objects.filter(pk=job.pk).update(total=job.total)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, certificate in enumerate(certificates, start=1):
            archive.writestr(certificate_filename(certificate), certificate_pdf(certificate))
            if index % 50 == 0 or index == len(certificates):
                _progress(job, index)
    job.file.save(f"{job.programme.code}-certificates-{job.pk}.zip", ContentFile(buffer.getvalue()), save=False)
    job.done = job.total
    job.message = f"已打包 {job.total} 张有效证书。"
