"""Writes of certificates: issuing (one at a time or in batches), revocation, re-issue, batch jobs."""

import datetime
import io
import logging
import secrets
import threading
import time
import zipfile

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from courses.models import Enrolment, EnrolmentStatus, Programme
from courses.selectors import programme_can_manage

from . import selectors
from .models import (
    Certificate,
    CertificateJob,
    CertificateStatus,
    ChunkStatus,
    CompletionRule,
    JobChunk,
    JobKind,
    JobStatus,
    PendingIssue,
    SerialCounter,
)
from .pdf import certificate_filename, certificate_pdf
from .signals import certificates_bulk_issued

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


# ---- Batch jobs: issue to everyone who completed, or a ZIP of all PDFs, as tasks on a worker.
#
# job_create enqueues the plan on commit; the plan splits the batch into chunks and enqueues one task
# per chunk on commit; each chunk does its work and marks itself done in one transaction, and the last
# chunk finishes the job. Every step is idempotent, so a step run twice (the sweep taking up a chunk
# whose worker died, a backend delivering twice) does nothing the second time.


def _enqueue_on_commit(task_name: str, **kwargs) -> None:
    from . import tasks  # tasks.py calls these services; the import runs at commit, not at load

    transaction.on_commit(lambda: getattr(tasks, task_name).enqueue(**kwargs))


@transaction.atomic
def job_create(*, programme: Programme, actor: User, kind: str, site: str = "") -> CertificateJob:
    """Record the batch and enqueue its plan once the record is committed; `site` is the address its
    PDFs' QR codes print (the requesting page's, see training_site.site.site_url)."""
    _check_manager(actor, programme)
    job = CertificateJob.objects.create(
        programme=programme, kind=kind, requested_by=actor, created_at=timezone.now(), site_url=site
    )
    _enqueue_on_commit("certificate_job_plan", job_id=job.pk)
    return job


@transaction.atomic
def job_plan(*, job_id: int) -> None:
    """Split a pending job into chunks (the trainees due now, CERTIFICATE_CHUNK_SIZE each; a ZIP is one
    chunk) and enqueue them on commit. A job already planned is left alone."""
    job = CertificateJob.objects.select_for_update().select_related("programme").filter(pk=job_id).first()
    if job is None or job.status != JobStatus.PENDING:
        return
    now = timezone.now()
    if job.kind == JobKind.ISSUE:
        programme = job.programme
        already = set(Certificate.objects.filter(programme=programme).values_list("teacher_id", flat=True))
        due = sorted(selectors.completed_teacher_ids(programme=programme) - already)
        size = settings.CERTIFICATE_CHUNK_SIZE
        parts = [due[start : start + size] for start in range(0, len(due), size)]
        job.total = len(due)
    else:
        parts = [[]]
        job.total = Certificate.objects.filter(programme=job.programme, status=CertificateStatus.VALID).count()
    chunks = JobChunk.objects.bulk_create(
        JobChunk(job=job, index=index, teacher_ids=part, size=len(part) if job.kind == JobKind.ISSUE else job.total,
                 heartbeat_at=now)
        for index, part in enumerate(parts)
    )  # fmt: skip
    job.status = JobStatus.RUNNING
    job.save(update_fields=["status", "total"])
    if not chunks:
        _job_finish(job)
    for chunk in JobChunk.objects.filter(job=job).values_list("pk", flat=True):
        _enqueue_on_commit("certificate_job_chunk", chunk_id=chunk)


def job_chunk_run(*, chunk_id: int) -> None:
    """Do one chunk's work, once. The claim (attempts, heartbeat) is committed first so the sweep sees a
    live chunk; the work, the chunk's "done" and, for the last chunk, the job's end are one transaction:
    a worker killed in between leaves the chunk as it was, and its issued serials roll back with it."""
    claimed = JobChunk.objects.filter(pk=chunk_id, status__in=[ChunkStatus.PENDING, ChunkStatus.RUNNING]).update(
        status=ChunkStatus.RUNNING, attempts=F("attempts") + 1, heartbeat_at=timezone.now()
    )
    if not claimed:
        return
    job = CertificateJob.objects.select_related("programme", "programme__unit", "requested_by").get(chunks__pk=chunk_id)
    if job.kind == JobKind.ZIP:
        _run_zip_chunk(job, chunk_id)
        return
    try:
        with transaction.atomic():
            chunk = JobChunk.objects.select_for_update().get(pk=chunk_id)
            if chunk.status == ChunkStatus.DONE:  # a second delivery that waited for the first
                return
            issued = certificates_issue_completed(
                programme=job.programme, actor=job.requested_by, teacher_ids=chunk.teacher_ids
            )
            _chunk_done(chunk, done=chunk.size, issued=issued)
    except Exception as error:
        _job_fail(job, error)
        raise


def _chunk_done(chunk: JobChunk, *, done: int, issued: int = 0) -> None:
    now = timezone.now()
    chunk.status, chunk.done, chunk.issued, chunk.finished_at, chunk.heartbeat_at = (
        ChunkStatus.DONE, done, issued, now, now
    )  # fmt: skip
    chunk.save(update_fields=["status", "done", "issued", "finished_at", "heartbeat_at"])
    # The job row's lock orders the chunks finishing at once: the last one sees all the others done.
    job = CertificateJob.objects.select_for_update().get(pk=chunk.job_id)
    if job.status == JobStatus.RUNNING and not job.chunks.exclude(status=ChunkStatus.DONE).exists():
        _job_finish(job)


def _job_finish(job: CertificateJob) -> None:
    progress = selectors.jobs_with_progress(CertificateJob.objects.filter(pk=job.pk)).get()
    job.status = JobStatus.DONE
    job.finished_at = timezone.now()
    if job.kind == JobKind.ISSUE:
        job.message = f"新颁发 {progress.issued} 张证书（已完成培训且此前未颁发的学员）。"
    else:
        job.message = f"已打包 {job.total} 张有效证书。"
    job.save(update_fields=["status", "finished_at", "message", "file"])


def _job_fail(job: CertificateJob, error: Exception) -> None:
    logger.exception("certificate job %s failed", job.pk)
    CertificateJob.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED, finished_at=timezone.now(), message=f"处理失败：{error}"
    )


def _run_zip_chunk(job: CertificateJob, chunk_id: int) -> None:
    """The ZIP is built outside any transaction (a long write transaction would hold SQLite's lock),
    with a heartbeat every 50 PDFs; only its end is transactional. A duplicate that finishes second
    deletes its own file."""
    try:
        certificates = list(
            Certificate.objects.filter(programme=job.programme, status=CertificateStatus.VALID).order_by(
                "serial_number"
            )
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for index, certificate in enumerate(certificates, start=1):
                archive.writestr(
                    certificate_filename(certificate), certificate_pdf(certificate, site=job.site_url or None)
                )
                if index % 50 == 0:
                    JobChunk.objects.filter(pk=chunk_id).update(done=index, heartbeat_at=timezone.now())
        name = default_storage.save(
            f"certificate-jobs/{job.programme.code}-certificates-{job.pk}.zip", ContentFile(buffer.getvalue())
        )
        with transaction.atomic():
            chunk = JobChunk.objects.select_for_update().get(pk=chunk_id)
            if chunk.status == ChunkStatus.DONE:
                default_storage.delete(name)
                return
            CertificateJob.objects.filter(pk=job.pk).update(file=name, total=len(certificates))
            _chunk_done(chunk, done=len(certificates))
    except Exception as error:
        _job_fail(job, error)
        raise


def certificate_work_sweep(*, now=None) -> dict:
    """Take up work whose worker died: a job still pending after CERTIFICATE_CHUNK_STALE_SECONDS is
    planned again, a chunk not done with no sign of life for as long is enqueued again, and waiting
    automatic issues are handled. Returns what it did, for the scheduler's log."""
    now = now or timezone.now()
    stale = now - datetime.timedelta(seconds=settings.CERTIFICATE_CHUNK_STALE_SECONDS)
    jobs = list(
        CertificateJob.objects.filter(status=JobStatus.PENDING, created_at__lt=stale).values_list("pk", flat=True)
    )
    chunks = list(
        JobChunk.objects.filter(job__status=JobStatus.RUNNING, heartbeat_at__lt=stale)
        .exclude(status=ChunkStatus.DONE)
        .values_list("pk", flat=True)
    )
    from . import tasks

    with transaction.atomic():
        # The new heartbeat keeps the next sweep from enqueuing it again before a worker takes it.
        JobChunk.objects.filter(pk__in=chunks).update(heartbeat_at=now)
    for job_id in jobs:
        tasks.certificate_job_plan.enqueue(job_id=job_id)
    for chunk_id in chunks:
        tasks.certificate_job_chunk.enqueue(chunk_id=chunk_id)
    if chunks or jobs:
        logger.warning("sweep: %s jobs planned again, %s chunks enqueued again", len(jobs), len(chunks))
    issued = 0
    while drained := pending_issues_drain():
        issued += drained
    return {"jobs": len(jobs), "chunks": len(chunks), "pending_issues": issued}


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
    rule = selectors.rule_for(programme)
    certificates = Certificate.objects.filter(programme=programme)
    if teacher_ids is not None:
        certificates = certificates.filter(teacher_id__in=teacher_ids)
    already = set(certificates.values_list("teacher_id", flat=True))
    due = selectors.completed_teacher_ids(programme=programme, rule=rule, teacher_ids=teacher_ids) - already
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
    certificates_bulk_issued.send(sender=Certificate, programme_id=programme.pk, teacher_ids=due)
    return len(certificates)


# ---- The automatic issue, in batches: check-ins and passed quizzes leave a PendingIssue row.

_drain_enqueued = {"until": 0.0}
_drain_lock = threading.Lock()


def issue_request(*, programme_id: int, teacher_id: int) -> None:
    """Ask for the automatic issue of one trainee who may just have completed: one INSERT in the
    caller's transaction (a second request for the same trainee is a no-op), and after commit an
    automatic-issue task that runs CERTIFICATE_ISSUE_BATCH_SECONDS later on a worker."""
    with connection.cursor() as cursor:  # a fixed statement: it runs in every check-in request
        cursor.execute(
            f"INSERT INTO {PendingIssue._meta.db_table} (programme_id, teacher_id) VALUES (%s, %s) ON CONFLICT DO NOTHING",
            [programme_id, teacher_id],
        )
    transaction.on_commit(_issue_soon)


def _issue_soon() -> None:
    """Enqueue the automatic issue, deferred by the batch delay — unless this process enqueued one that
    has not started yet (it will see this row: the row is committed before it runs). So a hall's rush
    costs one task per process per batch delay, not one per check-in; a row a task missed all the same
    (clocks of two machines) is taken up by the periodic sweep."""
    from . import tasks

    backend = tasks.automatic_issue.get_backend()
    delay = settings.CERTIFICATE_ISSUE_BATCH_SECONDS
    if not backend.supports_defer or delay <= 0:
        tasks.automatic_issue.enqueue()
        return
    now = time.time()
    with _drain_lock:
        if now < _drain_enqueued["until"] - 0.5:
            return
        _drain_enqueued["until"] = now + delay
    tasks.automatic_issue.using(run_after=timezone.now() + datetime.timedelta(seconds=delay)).enqueue()


def pending_issues_drain(*, limit: int = 500) -> int:
    """Issue to the waiting trainees who completed, programme by programme in bulk; returns how many
    requests were handled. Concurrent drains (tasks on several workers) take different rows (SKIP
    LOCKED); the year's serial counter orders their issues."""
    with transaction.atomic():
        rows = list(
            PendingIssue.objects.select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", "programme_id", "teacher_id")[:limit]
        )
        if not rows:
            return 0
        waiting: dict[int, list[int]] = {}
        for _pk, programme_id, teacher_id in rows:
            waiting.setdefault(programme_id, []).append(teacher_id)
        for programme in Programme.objects.select_related("unit").filter(pk__in=waiting):
            rule = selectors.rule_for(programme)
            if not rule.auto_issue:
                continue
            try:
                with transaction.atomic():
                    certificates_issue_completed(programme=programme, actor=None, teacher_ids=waiting[programme.pk])
            except Exception:  # one programme's failure must not hold the others; the organiser can batch-issue
                logger.exception("automatic issue failed for programme %s", programme.pk)
        PendingIssue.objects.filter(pk__in=[row[0] for row in rows]).delete()
    return len(rows)


RULE_FIELDS = {"attendance_mode", "attendance_ratio", "minimum_minutes", "quiz_required", "auto_issue"}


@transaction.atomic
def completion_rule_set(*, actor: User | None, programme: Programme, **fields) -> CompletionRule:
    """Set what a trainee must do to complete the programme (saved; the usual rule until then)."""
    _check_manager(actor, programme)
    if unknown := set(fields) - RULE_FIELDS:
        raise ValidationError(f"未知字段：{', '.join(sorted(unknown))}")
    ratio = fields.get("attendance_ratio")
    if ratio is not None and not 0 < ratio <= 100:
        raise ValidationError({"attendance_ratio": f"出勤率应为 1 到 100 之间的百分数，现在是 {ratio}。"})
    rule = selectors.rule_for(programme)
    for key, value in fields.items():
        setattr(rule, key, value)
    rule.full_clean()
    rule.save()
    return rule


SEAL_MAX_BYTES = 512 * 1024
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@transaction.atomic
def certificate_style_set(
    *, actor: User, unit, issuer: str, signatory: str = "", seal_png: bytes | None = None, remove_seal: bool = False
):
    """Set the issuer wording, signatory and seal its certificates print, for the organiser's own unit
    (the superuser: any unit, or the bureau's default with unit None). The seal must be a PNG image."""
    from .models import CertificateStyle

    if not (actor.is_superuser or (actor.is_organiser and unit is not None and unit.pk == actor.unit_id)):
        raise PermissionDenied("只有本单位的组织者可以设置本单位的证书样式。")
    issuer = (issuer or "").strip()
    if not issuer:
        raise ValidationError({"issuer": "请填写颁发机关署名，如“许昌市教育局”。"})
    if seal_png is not None:
        if len(seal_png) > SEAL_MAX_BYTES:
            raise ValidationError({"seal": f"公章图片 {len(seal_png) // 1024} KB，超过 512 KB，请压缩后再上传。"})
        if not seal_png.startswith(PNG_SIGNATURE):
            raise ValidationError({"seal": "公章图片须为 PNG 格式（建议透明背景），请另存为 .png 后再上传。"})
        try:
            from PIL import Image

            Image.open(io.BytesIO(seal_png)).verify()
        except Exception as error:
            raise ValidationError({"seal": "公章图片无法读取，文件可能已损坏，请重新导出 PNG。"}) from error
    style, _ = CertificateStyle.objects.get_or_create(unit=unit, defaults={"issuer": issuer})
    style.issuer = issuer
    style.signatory = (signatory or "").strip()
    if remove_seal:
        style.seal_png = None
    elif seal_png is not None:
        style.seal_png = seal_png
    style.full_clean()
    style.save()
    return style
