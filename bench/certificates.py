"""Benchmark of certificate issuing and PDF rendering for one programme of 3,000 teachers.

The script builds, through the project's own services and in bulk: an organising unit and an
organiser, a finished programme with one session (courses.services), 3,000 teachers with valid,
unique 18-character ID numbers and Chinese names (accounts.services.teachers_bulk_create), their
enrolments, a present check-in for each of them (attendance.models.CheckIn rows, as
attendance/demo.py writes them) and a CompletionRule (all sessions, auto_issue off). It then
measures, in this order:

  issue      certificates.services.certificates_issue_completed for the 3,000 (one transaction,
             completion evaluated by selectors.completed_teacher_ids, bulk insert)
  floor      raw reportlab, no Django and no database: the same page (frames, title, serial,
             body lines, signature block, QR of a verification URL of the real length) drawn
             with constant text and the QR drawn as certificates/pdf.py draws it (QrCodeWidget),
             --floor-pages times; the ceiling for one process. Two variants, for the breakdown:
             the QR encoded by the qrcode package and filled as one path, and no QR at all
  render     certificates.pdf.certificate_pdf on one in-memory Certificate (no database),
             --floor-pages times: what the project's drawing code costs above the floor
  single     one process, as a loop would do it: load the programme's valid certificates and
             certificate_pdf every k-th of them (--single in all, default 500)
  job        the batch as it really runs: certificates.services.job_create(kind="zip") with
             the immediate task backend, i.e. job_plan -> job_chunk_run (all 3,000 PDFs, deflated
             into a ZIP in memory, progress every 50, the file saved to MEDIA_ROOT), timed from
             the request to the finished job; the ZIP is then opened and checked (3,000 distinct
             entries, the text of the first and last PDF extracted with pdfminer when installed)
             and the PDF sizes (mean, max) are taken from its entries

Each step is timed in wall-clock and in this process's CPU time: on a shared machine the wall
clock also counts other work, PDFs per CPU second do not. "of floor" compares PDFs per CPU second.
Targets: >= 50 PDFs/s (single process and in the job) and < 100 KB per PDF.

Run it from the project folder:

    .venv/bin/python bench/certificates.py                     # temporary SQLite file, 3,000 teachers
    DATABASE_URL=postgres://postgres@127.0.0.1:55499/bench .venv/bin/python bench/certificates.py
    .venv/bin/python bench/certificates.py --teachers 500 --profile   # quick look + cProfile of the job

Without DATABASE_URL the database is a fresh SQLite file in a temporary folder (the project's
db.sqlite3 is never used). A DATABASE_URL must name a throwaway database: the script migrates it,
refuses to run if it already holds users, and flushes it at the end. MEDIA_ROOT is always a
temporary folder, removed at the end. DEBUG is forced off (as in production). SITE_URL (printed in
every QR) defaults to an https address of production length. About 2.5 minutes of CPU on this
machine (2 cores), most of it the ZIP job's 3,000 PDFs.
The last line of the output is one JSON object with the figures.
"""

import argparse
import cProfile
import gc
import io
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import zipfile
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from harness import PROJECT, create_organiser, create_teachers, make_people, print_profile, setup_throwaway_django

TARGET_PDFS_PER_S = 50.0
TARGET_MAX_KB = 100.0
PROGRAMME_TITLE = "2026年许昌市中小学教师法治教育能力提升专题培训"


# --------------------------------------------------------------------------- set-up


def setup_django() -> tuple[str, list[Path]]:
    """Point Django at a throwaway database and media folder, set it up and migrate."""
    here = Path(__file__).resolve().parent  # this file is bench/certificates.py: keep `certificates` the app
    sys.path[:] = [str(PROJECT), *(entry for entry in sys.path if Path(entry or ".").resolve() != here)]
    os.environ.setdefault("SITE_URL", "https://jspx.xuchang.gov.cn")
    media = Path(tempfile.mkdtemp(prefix="certificates-bench-media-"))
    os.environ["MEDIA_ROOT"] = str(media)
    vendor, database_dir = setup_throwaway_django("certificates-bench-db-")
    return vendor, [media, *([database_dir] if database_dir else [])]


# --------------------------------------------------------------------------- data


def build_data(teachers: int, seed: int):
    """Organiser, finished one-session programme, teachers, enrolments, check-ins, completion rule."""
    from django.db import transaction
    from django.utils import timezone

    from attendance.models import CheckIn, Method, Status
    from certificates.models import AttendanceMode, CompletionRule
    from courses.models import Enrolment, EnrolmentSource, Kind, Level
    from courses.services import programme_create, session_create

    people = make_people(teachers, seed)
    rng = random.Random(seed + 1)
    day = timezone.localdate() - timedelta(days=7)  # a programme that finished last week
    with transaction.atomic():
        organiser = create_organiser()
        programme = programme_create(
            actor=organiser,
            code=f"FZ{day:%Y-%m%d}",
            title=PROGRAMME_TITLE,
            level=Level.MUNICIPAL,
            kind=Kind.LECTURE,
            start_date=day,
            end_date=day,
            credit_hours=Decimal("6"),
            audience="全市中小学教师",
        )
        starts = timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=9))
        session = session_create(
            actor=organiser,
            programme=programme,
            title="法治政府建设与教师依法执教",
            starts_at=starts,
            ends_at=starts + timedelta(hours=3),
            venue="许昌市教育局五楼报告厅",
            lecturer="王永浩",
        )
        pks = create_teachers(people)
        Enrolment.objects.bulk_create(
            [Enrolment(programme=programme, teacher_id=pk, source=EnrolmentSource.IMPORT) for pk in pks],
            batch_size=1000,
        )
        CheckIn.objects.bulk_create(  # everyone came, on time (as attendance/demo.py writes check-ins)
            [
                CheckIn(
                    session=session,
                    teacher_id=pk,
                    status=Status.PRESENT,
                    method=Method.QR,
                    checked_in_at=starts - timedelta(minutes=rng.randint(0, 25)),
                )
                for pk in pks
            ],
            batch_size=2000,
        )
        CompletionRule.objects.update_or_create(  # a new programme may already have a default rule
            programme=programme,
            defaults={"attendance_mode": AttendanceMode.ALL, "quiz_required": True, "auto_issue": False},
        )
    return organiser, programme


# --------------------------------------------------------------------------- the measured things


class Clock:
    """Wall-clock and CPU time of this process (the machine may be shared: CPU time shows the work alone)."""

    def __enter__(self):
        gc.collect()
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *_exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def floor_pdf(text: dict, qr: str = "widget") -> bytes:
    """Raw reportlab: the certificate page with constant, pre-wrapped text; no Django, no database.

    qr="widget" draws the QR as certificates/pdf.py does (QrCodeWidget in a Drawing, renderPDF);
    qr="path" encodes it with the qrcode package (already a dependency) and fills one path of
    rectangles, one per run of dark modules; qr="none" leaves it out.
    """
    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.colors import HexColor, black
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfgen import canvas

    font, red, ink = "STSong-Light", HexColor("#b71c1c"), HexColor("#222222")
    width, height = landscape(A4)
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=landscape(A4))
    pdf.setTitle(text["title"])
    pdf.setAuthor(text["bureau"])
    pdf.setStrokeColor(red)
    pdf.setLineWidth(6)
    pdf.rect(24, 24, width - 48, height - 48)
    pdf.setLineWidth(1.2)
    pdf.rect(36, 36, width - 72, height - 72)
    pdf.setFillColor(red)
    pdf.setFont(font, 40)
    pdf.drawCentredString(width / 2, height - 120, "结 业 证 书")
    pdf.setFillColor(ink)
    pdf.setFont(font, 13)
    pdf.drawRightString(width - 70, height - 70, text["serial"])
    pdf.setFont(font, 22)
    y = height - 200
    for line in text["lines"]:
        pdf.drawString(110, y, line)
        y -= 40
    pdf.setFont(font, 18)
    pdf.drawRightString(width - 110, 150, text["bureau"])
    pdf.setFont(font, 13)
    pdf.drawRightString(width - 110, 126, text["unit"])
    pdf.drawRightString(width - 110, 104, text["issued"])
    size = 96
    if qr == "widget":
        widget = QrCodeWidget(text["url"], barLevel="M")
        left, bottom, right, top = widget.getBounds()
        drawing = Drawing(size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0])
        drawing.add(widget)
        renderPDF.draw(drawing, pdf, 70, 60)
    elif qr == "path":
        import qrcode

        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
        code.add_data(text["url"])
        code.make(fit=True)
        matrix = code.get_matrix()
        module = size / len(matrix)
        path = pdf.beginPath()
        for row, modules in enumerate(matrix):
            run = None
            for column, dark in enumerate([*modules, False]):
                if dark and run is None:
                    run = column
                elif not dark and run is not None:
                    path.rect(70 + run * module, 60 + (len(matrix) - 1 - row) * module, (column - run) * module, module)
                    run = None
        pdf.setFillColor(black)
        pdf.drawPath(path, stroke=0, fill=1)
        pdf.setFillColor(ink)
    pdf.setFont(font, 9)
    pdf.drawString(70, 50, "扫码验证证书真伪")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def floor_text(sample) -> dict:
    """The constant text of the floor page, taken once (untimed) from a real certificate."""
    from django.conf import settings

    from certificates.pdf import _date, _wrap, verification_url

    body = (
        f"{sample.trainee_name} 同志：于{_date(sample.start_date)}参加{sample.unit_name}组织的"
        f"“{sample.programme_title}”（{sample.level_display}），"
        f"完成培训 {sample.credit_hours.normalize():f} 学时，经考核合格，特发此证。"
    )
    return {
        "title": f"{sample.programme_title} 结业证书 {sample.serial}",
        "bureau": settings.TRAINING_BUREAU_NAME,
        "serial": f"编号：{sample.serial}",
        "lines": _wrap(body, 841.89 - 220, 22),
        "unit": f"组织单位：{sample.unit_name}",
        "issued": f"颁发日期：{_date(sample.issued_at.date())}",
        "url": verification_url(sample),
    }


def run_pages(function, count: int) -> tuple[Clock, int]:
    function()  # warm-up: fonts, QR tables, imports
    with Clock() as clock:
        for _ in range(count):
            size = len(function())
    return clock, size


def run_issue(programme, organiser) -> tuple[Clock, int]:
    from certificates.services import certificates_issue_completed

    with Clock() as clock:
        issued = certificates_issue_completed(programme=programme, actor=organiser)
    return clock, issued


def check_issue(programme, teachers: int, issued: int) -> None:
    from certificates.models import Certificate, SerialCounter

    numbers = list(
        Certificate.objects.filter(programme=programme)
        .order_by("serial_number")
        .values_list("serial_number", flat=True)
    )
    counter = SerialCounter.objects.get()
    if issued != teachers or numbers != list(range(1, teachers + 1)) or counter.last_number != teachers:
        sys.exit(f"issuing went wrong: issued {issued}, numbers {numbers[:3]}…, counter {counter.last_number}")


def run_single(programme, sample: int) -> tuple[Clock, list[int]]:
    """One process: load the valid certificates (as _run_zip does) and render every k-th, `sample` in all."""
    from certificates.models import Certificate, CertificateStatus
    from certificates.pdf import certificate_pdf

    with Clock() as clock:
        certificates = list(
            Certificate.objects.filter(programme=programme, status=CertificateStatus.VALID).order_by("serial_number")
        )
        step = max(1, -(-len(certificates) // sample))
        sizes = [len(certificate_pdf(certificate)) for certificate in certificates[::step]]
    return clock, sizes


def run_job(programme, organiser):
    """The ZIP batch as it runs for an organiser: job_create(kind="zip"), its tasks (plan, the one ZIP
    chunk) run at commit in this process by the immediate backend, as a worker would run them."""
    from django.test import override_settings

    from certificates.models import JobKind
    from certificates.selectors import jobs_with_progress
    from certificates.services import job_create

    immediate = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with override_settings(TASKS=immediate), Clock() as clock:
        job = job_create(programme=programme, actor=organiser, kind=JobKind.ZIP)
    return clock, jobs_with_progress().get(pk=job.pk)


def check_job(job, teachers: int) -> dict:
    """The job finished, its ZIP holds every certificate as a PDF; text of the first and last checked."""
    from certificates.models import Certificate, JobStatus

    if job.status != JobStatus.DONE or job.total != teachers or job.done != teachers:
        sys.exit(f"the ZIP job did not finish: {job.status} {job.done}/{job.total} {job.message}")
    with job.file.open("rb") as handle:
        data = handle.read()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        infos = archive.infolist()
        if len(infos) != teachers or len({info.filename for info in infos}) != teachers:
            sys.exit(f"the ZIP holds {len(infos)} entries, expected {teachers} distinct")
        first, last = archive.read(infos[0]), archive.read(infos[-1])
    if not (first.startswith(b"%PDF") and last.startswith(b"%PDF")):
        sys.exit("the ZIP entries are not PDFs")
    text_checked = False
    try:
        from pdfminer.high_level import extract_text
    except ImportError:
        pass
    else:
        certificates = Certificate.objects.filter(programme=job.programme).order_by("serial_number")
        for pdf, certificate in ((first, certificates.first()), (last, certificates.last())):
            text = extract_text(io.BytesIO(pdf)).replace(" ", "").replace("\n", "")
            if certificate.trainee_name not in text or certificate.serial not in text:
                sys.exit(f"{certificate.serial}: the PDF text lacks the name or the serial")
        text_checked = True
    return {"zip_bytes": len(data), "sizes": [info.file_size for info in infos], "text_checked": text_checked}


def profile_job(programme, organiser, top: int) -> None:
    """A second ZIP job under cProfile (after the timed one)."""
    profiler = cProfile.Profile()
    profiler.enable()
    run_job(programme, organiser)
    profiler.disable()
    print_profile(profiler, "the ZIP job", top)


# --------------------------------------------------------------------------- report


def print_table(r: dict) -> None:
    s = r["steps"]
    print(
        f"\nCertificates for {r['teachers']} teachers of one programme on {r['db']}, {r['cpus']} CPUs, "
        f"load average {r['load_avg_start_end'][0]} → {r['load_avg_start_end'][1]}"
    )
    header = (
        f"{'step':<44} | {'items':>5} | {'wall':>8} | {'per s (wall)':>12} | {'CPU':>8} | {'per CPU s':>9} | "
        f"{'of floor':>8}"
    )
    print(header)
    print("-" * len(header))
    floor_rate = s["floor"]["per_cpu_s"]
    for key, label in (
        ("issue", "issue: certificates_issue_completed"),
        ("floor", "floor: raw reportlab, constant text"),
        ("floor_qr_path", "  floor, QR as one path (qrcode package)"),
        ("floor_no_qr", "  floor without the QR"),
        ("render", "render: certificate_pdf, no database"),
        ("single", "single process: load + certificate_pdf"),
        ("job", "ZIP job: job_create + its tasks (immediate)"),
    ):
        step = s[key]
        share = "" if key == "issue" else f"{step['per_cpu_s'] / floor_rate:.0%}"
        print(
            f"{label:<44} | {step['items']:>5} | {step['wall_s']:>6.2f} s | {step['per_s']:>12.1f} | "
            f"{step['cpu_s']:>6.2f} s | {step['per_cpu_s']:>9.1f} | {share:>8}"
        )
    print(
        "of floor: PDFs per CPU second relative to the floor (CPU time, so that other work on the machine "
        "does not skew it); issue counts certificates, not PDFs"
    )
    print(
        f"PDF size over all {r['pdfs']} in the ZIP: mean {r['mean_kb']:.2f} KB, max {r['max_kb']:.2f} KB, "
        f"min {r['min_kb']:.2f} KB; floor page {r['floor_kb']:.2f} KB; ZIP {r['zip_mb']:.2f} MB"
        + ("; text of the first and last PDF checked (pdfminer)" if r["text_checked"] else "")
    )
    met = r["targets"]

    def word(ok: bool) -> str:
        return "met" if ok else "MISSED"

    print(
        f"targets: ≥ {TARGET_PDFS_PER_S:g} PDFs/s single process: {word(met['single_ge_50_per_s'])} "
        f"({r['pdfs_per_s']:.1f} wall, {s['single']['per_cpu_s']:.1f} per CPU s); in the ZIP job: "
        f"{word(met['job_ge_50_per_s'])} ({r['job_pdfs_per_s']:.1f} wall, {s['job']['per_cpu_s']:.1f} per CPU s); "
        f"< {TARGET_MAX_KB:g} KB per PDF: {word(met['max_lt_100_kb'])} (max {r['max_kb']:.2f} KB)"
    )


def step(clock: Clock, items: int) -> dict:
    return {
        "items": items,
        "wall_s": round(clock.wall, 3),
        "cpu_s": round(clock.cpu, 3),
        "per_s": round(items / clock.wall, 1),
        "per_cpu_s": round(items / clock.cpu, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teachers", type=int, default=3000, help="teachers enrolled and certified (default 3000)")
    parser.add_argument(
        "--single", type=int, default=500, help="certificates rendered in the single-process loop (default 500)"
    )
    parser.add_argument("--floor-pages", type=int, default=300, help="pages of each floor and of render (default 300)")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--profile", action="store_true", help="print a cProfile of a second ZIP job")
    parser.add_argument("--profile-top", type=int, default=25, help="lines per cProfile listing (default 25)")
    args = parser.parse_args()

    def log(message: str) -> None:
        print(message, flush=True)

    started = time.perf_counter()
    load = [round(os.getloadavg()[0], 2)]  # other work on the machine inflates the wall-clock figures
    vendor, temp_dirs = setup_django()
    try:
        import reportlab
        from django.conf import settings

        log(
            f"database: {vendor}; {args.teachers} teachers; Python {sys.version.split()[0]}; reportlab "
            f"{reportlab.Version}; {os.cpu_count()} CPUs; load average {load[0]}; SITE_URL {settings.SITE_URL}"
        )
        t0 = time.perf_counter()
        organiser, programme = build_data(args.teachers, args.seed)
        log(f"data built in {time.perf_counter() - t0:.1f} s")
        steps = {}

        clock, issued = run_issue(programme, organiser)
        check_issue(programme, args.teachers, issued)
        steps["issue"] = step(clock, issued)
        log(f"issue: {issued} certificates in {clock.wall:.2f} s")

        from certificates.models import Certificate
        from certificates.pdf import certificate_pdf

        sample = Certificate.objects.order_by("serial_number").first()
        text = floor_text(sample)
        pages = args.floor_pages
        for key, function in (
            ("floor", lambda: floor_pdf(text)),
            ("floor_qr_path", lambda: floor_pdf(text, qr="path")),
            ("floor_no_qr", lambda: floor_pdf(text, qr="none")),
            ("render", lambda: certificate_pdf(sample)),
        ):
            clock, size = run_pages(function, pages)
            steps[key] = step(clock, pages)
            steps[key]["kb"] = round(size / 1024, 2)
            log(f"{key}: {pages} pages in {clock.wall:.2f} s ({clock.cpu:.2f} s CPU), {size / 1024:.2f} KB each")

        clock, single_sizes = run_single(programme, args.single)
        steps["single"] = step(clock, len(single_sizes))
        log(f"single process: {len(single_sizes)} PDFs in {clock.wall:.2f} s ({clock.cpu:.2f} s CPU)")

        clock, job = run_job(programme, organiser)
        steps["job"] = step(clock, job.total)
        log(f"ZIP job: {job.total} PDFs in {clock.wall:.2f} s ({clock.cpu:.2f} s CPU)")
        checked = check_job(job, args.teachers)
        sizes = checked["sizes"]

        result = {
            "pdfs": len(sizes),
            "pdfs_per_s": steps["single"]["per_s"],
            "mean_kb": round(statistics.fmean(sizes) / 1024, 2),
            "max_kb": round(max(sizes) / 1024, 2),
            "min_kb": round(min(sizes) / 1024, 2),
            "zip_s": round(clock.wall, 2),
            "job_pdfs_per_s": steps["job"]["per_s"],
            "issue_s": steps["issue"]["wall_s"],
            "floor_pdfs_per_s": steps["floor"]["per_s"],
            "single_to_floor": round(steps["single"]["per_cpu_s"] / steps["floor"]["per_cpu_s"], 2),
            "job_to_floor": round(steps["job"]["per_cpu_s"] / steps["floor"]["per_cpu_s"], 2),
            "pdfs_per_cpu_s": steps["single"]["per_cpu_s"],
            "job_pdfs_per_cpu_s": steps["job"]["per_cpu_s"],
            "single_pdfs": len(single_sizes),
            "single_mean_kb": round(statistics.fmean(single_sizes) / 1024, 2),
            "floor_kb": steps["floor"]["kb"],
            "zip_mb": round(checked["zip_bytes"] / 1e6, 2),
            "text_checked": checked["text_checked"],
            "db": vendor,
            "teachers": args.teachers,
            "cpus": os.cpu_count(),
            "site_url": settings.SITE_URL,
            "steps": steps,
        }
        result["targets"] = {
            "single_ge_50_per_s": result["pdfs_per_s"] >= TARGET_PDFS_PER_S,
            "job_ge_50_per_s": result["job_pdfs_per_s"] >= TARGET_PDFS_PER_S,
            "max_lt_100_kb": result["max_kb"] < TARGET_MAX_KB,
        }
        if args.profile:
            profile_job(programme, organiser, args.profile_top)
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)  # leave a given database empty
    finally:
        from django.db import connections

        connections.close_all()
        for folder in temp_dirs:
            shutil.rmtree(folder, ignore_errors=True)
    load.append(round(os.getloadavg()[0], 2))
    result["load_avg_start_end"] = load
    result["total_s"] = round(time.perf_counter() - started, 1)
    print_table(result)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
