"""Benchmark of the roster import against the openpyxl floor and a plain django-import-export baseline.

For each size (default 5,000 and 20,000 rows) the script generates a realistic roster
workbook (a merged title row above the Chinese headers 姓名/身份证号/手机号/学校/区县/学科/职称,
valid and unique 18-character ID numbers stored as text, unique mobiles, Xuchang schools and
districts) and measures:

  floor     openpyxl alone: load_workbook(read_only=True, data_only=True) + iterate every row
  baseline  plain django-import-export ModelResources with default options (import_data,
            dry_run=False) into an empty database, writing what the commit writes: the teachers'
            resource, then the enrolments' resource on the same loaded dataset (teacher by ID
            number, programme by a code column added to it); the only help they get is column
            names for the Chinese headers and skip_lines=1 for the title row. The teachers' part
            alone is reported too (it was the whole baseline until 2026-11-25)
  preview   courses.roster.roster_preview into an empty programme (writes nothing)
  commit    courses.roster.roster_commit into an empty programme, fresh database for every run

floor, preview and commit run --repeat times (default 3) and the median is reported; the
baseline runs once per size, and when its time at the largest size, extrapolated linearly from
the previous size, would exceed --baseline-limit seconds it is not run but extrapolated (the
output says so). Every step is timed in wall-clock seconds and in CPU seconds (this process plus,
for a PostgreSQL server on the same machine, its backend process, read from /proc): other work on
a shared machine inflates the first much more than the second. Peak memory of commit is
tracemalloc's peak of Python allocations, measured in a separate, untimed run (tracemalloc slows
Python code down). Results are in docs/BENCHMARKS.md.

A hostile-size section (issue 16) then dry-runs files of at most 10 MB that cost the old reader gigabytes
or seconds: a stray cell at XFD, declared A1:XFD… sizes, merges reaching XFD, formatted empty rows to row
1,048,576, 1.45 million unused shared strings, a header typed at XFD (built with tests/workbook_corpus.py).
For each it prints wall and CPU seconds and the process's peak resident memory during the run (VmHWM,
reset before each file), against the limits of 400 MB and 10 s.

Run it from the project folder:

    .venv/bin/python bench/roster_import.py                       # a temporary SQLite file
    DATABASE_URL=postgres://postgres@127.0.0.1:55499/bench .venv/bin/python bench/roster_import.py
    .venv/bin/python bench/roster_import.py --sizes 2000 --repeat 1 --profile   # quick look + cProfile
    .venv/bin/python bench/roster_import.py --baseline-without-facts   # + the baseline minus the dashboard receiver
    .venv/bin/python bench/roster_import.py --hostile-only             # only the hostile-size section

Without DATABASE_URL the database is a fresh SQLite file in a temporary folder (the project's
db.sqlite3 is never used). A DATABASE_URL must name a throwaway database: the script migrates
it, refuses to run if it already holds users, flushes it between runs and leaves it empty.
DEBUG is forced off (as in production) so that Django does not keep a log of every query.
The last line of the output is one JSON object with the figures of the largest size.
"""

import argparse
import contextlib
import cProfile
import gc
import io
import json
import os
import random
import shutil
import statistics
import sys
import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal

from harness import CLK_TCK, PROJECT, create_organiser, print_profile, setup_throwaway_django, stat_fields

HEADERS = ["姓名", "身份证号", "手机号", "学校", "区县", "学科", "职称"]
TITLE = "2026年许昌市中小学教师法治教育培训学员名单"
TARGET_RATIO_TO_FLOOR = 3.0
TARGET_SPEEDUP = 10.0
PROGRAMME_CODE = "BENCH-2026-1125"


# --------------------------------------------------------------------------- set-up


def reset_database():
    """An empty database with one organiser and one empty programme of that organiser's unit."""
    from django.core.management import call_command

    from courses.models import Kind, Level
    from courses.services import programme_create

    call_command("flush", interactive=False, verbosity=0)
    actor = create_organiser()
    programme = programme_create(
        actor=actor,
        code=PROGRAMME_CODE,
        title="2026年中小学教师法治教育专题培训",
        level=Level.MUNICIPAL,
        kind=Kind.INTENSIVE,
        start_date=date(2026, 11, 25),
        end_date=date(2026, 12, 25),
        credit_hours=Decimal("12"),
        audience="全市中小学教师",
    )
    return actor, programme


# --------------------------------------------------------------------------- data


def make_roster(rows: int, seed: int = 20261125) -> bytes:
    """A roster workbook as an organiser would upload it: title row, headers, one teacher a row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from accounts.identity import id_check_char
    from accounts.models import District
    from courses.demo import AFFILIATED_HEADS, DISTRICTS, GIVEN, SUBJECTS, SURNAMES, TITLES

    rng = random.Random(seed + rows)
    places = [(str(district), region, schools) for district, region, _share, schools in DISTRICTS]
    places.append((str(District.CITY), "411002", AFFILIATED_HEADS))
    weights = [share for _d, _r, share, _s in DISTRICTS] + [4]
    ids: set[str] = set()
    mobiles: set[int] = set()

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "学员名单"
    sheet.append([TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(HEADERS)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for _ in range(rows):
        district, region, schools = rng.choices(places, weights=weights)[0]
        while True:  # teachers born 1966-2003; 3-digit sequence, then the GB 11643 check character
            birth = date(1966, 1, 1) + timedelta(days=rng.randrange(365 * 38))
            first17 = f"{region}{birth:%Y%m%d}{rng.randrange(1000):03d}"
            id_number = first17 + id_check_char(first17)
            if id_number not in ids:
                ids.add(id_number)
                break
        while True:  # typed into Excel, so stored as a number, as in most real rosters
            mobile = int(f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}")
            if mobile not in mobiles:
                mobiles.add(mobile)
                break
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        sheet.append([name, id_number, mobile, rng.choice(schools), district, rng.choice(SUBJECTS), rng.choice(TITLES)])
    for (cell,) in sheet.iter_rows(min_row=3, min_col=2, max_col=2):
        cell.number_format = "@"  # the ID column is text
    sheet.column_dimensions["B"].width = 22
    sheet.column_dimensions["D"].width = 28
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- the measured things


def run_floor(data: bytes) -> int:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    count = sum(1 for _values in workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    return count


def check_floor(rows: int, count: int) -> None:
    if count != rows + 2:  # the title row and the header row
        raise RuntimeError(f"floor read {count} rows, expected {rows + 2}")


def baseline_resources():
    """What a developer writes with django-import-export unaided: a ModelResource per model, default options.

    The commit writes teachers and their enrolments in the programme, so the baseline does too: the
    teachers' resource, then the enrolments' resource on the same loaded file (teacher found by ID
    number, the programme by its code — a column added to the dataset).
    """
    from import_export import fields, resources, widgets

    from accounts.models import User
    from courses.models import Enrolment, EnrolmentSource, Programme

    class TeacherResource(resources.ModelResource):
        # The file's headers are Chinese; everything else is the library's default.
        name = fields.Field(attribute="name", column_name="姓名", widget=widgets.CharWidget())
        id_number = fields.Field(attribute="id_number", column_name="身份证号", widget=widgets.CharWidget())
        mobile = fields.Field(attribute="mobile", column_name="手机号", widget=widgets.CharWidget())
        school = fields.Field(attribute="school", column_name="学校", widget=widgets.CharWidget())
        district = fields.Field(attribute="district", column_name="区县", widget=widgets.CharWidget())
        subject = fields.Field(attribute="subject", column_name="学科", widget=widgets.CharWidget())
        title = fields.Field(attribute="title", column_name="职称", widget=widgets.CharWidget())

        class Meta:
            model = User
            fields = ("name", "id_number", "mobile", "school", "district", "subject", "title")
            import_id_fields = ["id_number"]

        def before_save_instance(self, instance, row, **kwargs):
            instance.role = "teacher"  # the model's default already; stated for clarity

    class EnrolmentResource(resources.ModelResource):
        programme = fields.Field(
            attribute="programme", column_name="项目代码", widget=widgets.ForeignKeyWidget(Programme, "code")
        )
        teacher = fields.Field(
            attribute="teacher", column_name="身份证号", widget=widgets.ForeignKeyWidget(User, "id_number")
        )

        class Meta:
            model = Enrolment
            fields = ("programme", "teacher")
            import_id_fields = ["programme", "teacher"]

        def before_save_instance(self, instance, row, **kwargs):
            instance.source = EnrolmentSource.IMPORT

    return TeacherResource(), EnrolmentResource()


BASELINE_PARTS: dict[str, float] = {}  # seconds of the last baseline run's teachers' part


def run_baseline(data: bytes):
    import tablib

    teachers, enrolments = baseline_resources()
    started = time.perf_counter()
    dataset = tablib.Dataset().load(io.BytesIO(data), format="xlsx", skip_lines=1)  # skip the title row
    teacher_result = teachers.import_data(dataset, dry_run=False)
    BASELINE_PARTS["teachers_s"] = time.perf_counter() - started
    dataset.append_col([PROGRAMME_CODE] * len(dataset), header="项目代码")
    return teacher_result, enrolments.import_data(dataset, dry_run=False)


def check_baseline(rows: int, results) -> None:
    from accounts.models import Role, User
    from courses.models import Enrolment

    for result in results:
        if result.has_errors() or result.has_validation_errors():
            raise RuntimeError(f"baseline import failed: {result.totals}")
    created = User.objects.filter(role=Role.TEACHER).count()
    enrolled = Enrolment.objects.filter(programme__code=PROGRAMME_CODE).count()
    if created != rows or enrolled != rows:
        raise RuntimeError(f"baseline created {created} teachers and {enrolled} enrolments, expected {rows}")


def run_preview(data: bytes, actor, programme):
    from courses.roster import roster_preview

    return roster_preview(actor=actor, programme=programme, data=data, filename="名单.xlsx")


def check_preview(rows: int, report) -> None:
    if report.errors or report.count("new") != rows:
        raise RuntimeError(f"preview: {report.count('new')} new, {len(report.errors)} errors")


def run_commit(data: bytes, actor, programme):
    from courses.roster import roster_commit

    return roster_commit(actor=actor, programme=programme, data=data, filename="名单.xlsx")


def check_commit(rows: int, report, programme) -> None:
    from courses.models import Enrolment

    if not report.committed or report.count("new") != rows:
        raise RuntimeError(f"commit: {report.count('new')} new, committed={report.committed}")
    enrolled = Enrolment.objects.filter(programme=programme).count()
    if enrolled != rows:
        raise RuntimeError(f"commit enrolled {enrolled}, expected {rows}")


def database_cpu_seconds() -> float:
    """CPU time used so far by this connection's PostgreSQL backend process, when the server is local.

    0.0 for SQLite (it runs inside this process, so process_time() already counts it) and for a
    server whose processes this machine cannot see.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / CLK_TCK if fields else 0.0  # utime + stime


def timed(function, *args) -> tuple[float, float, object]:
    """Wall seconds and CPU seconds (this process + the local database backend) of function(*args),
    and its result, which the caller checks outside the timing. CPU time is what other work on a
    shared machine does not inflate."""
    gc.collect()
    cpu_start = time.process_time() + database_cpu_seconds()
    start = time.perf_counter()
    result = function(*args)
    wall = time.perf_counter() - start
    cpu = time.process_time() + database_cpu_seconds() - cpu_start
    return wall, cpu, result


def traced_peak_mb(function, *args) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        function(*args)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 1048576


# --------------------------------------------------------------------------- the benchmark

STEPS = ("floor", "baseline", "preview", "commit")


@contextlib.contextmanager
def facts_receiver_disconnected():
    """The baseline without the project's per-enrolment dashboard receiver (the dashboard is then wrong)."""
    from django.db.models.signals import post_save

    from certificates.signals import facts_on_enrolment
    from courses.models import Enrolment

    post_save.disconnect(sender=Enrolment, dispatch_uid="facts.enrolment")
    try:
        yield
    finally:
        post_save.connect(facts_on_enrolment, sender=Enrolment, dispatch_uid="facts.enrolment")


def measure_size(
    rows: int, repeat: int, run_baseline_too: bool, previous: dict | None, limit: float, log, without_facts=False
) -> dict:
    data = make_roster(rows)
    log(f"[{rows}] workbook {len(data) / 1048576:.2f} MB")
    figures: dict = {"rows": rows, "file_mb": round(len(data) / 1048576, 3), "data": data}
    wall: dict[str, list[float]] = {step: [] for step in STEPS}
    cpu: dict[str, list[float]] = {step: [] for step in STEPS}

    def record(step: str, measured: tuple[float, float, object]) -> object:
        wall[step].append(measured[0])
        cpu[step].append(measured[1])
        return measured[2]

    for _ in range(repeat):
        check_floor(rows, record("floor", timed(run_floor, data)))

    figures["baseline_extrapolated"] = False
    figures["baseline_teachers_s"] = None
    if run_baseline_too:
        predicted = previous["baseline_s"] * rows / previous["rows"] if previous and previous["baseline_s"] else 0.0
        if predicted > limit:
            figures["baseline_extrapolated"] = True
            wall["baseline"].append(predicted)
            cpu["baseline"].append(previous["baseline_cpu_s"] * rows / previous["rows"])
            if previous["baseline_teachers_s"]:
                figures["baseline_teachers_s"] = previous["baseline_teachers_s"] * rows / previous["rows"]
            log(f"[{rows}] baseline not run: {predicted:.0f} s predicted (> {limit:.0f} s); extrapolated linearly")
        else:
            reset_database()
            check_baseline(rows, record("baseline", timed(run_baseline, data)))
            figures["baseline_teachers_s"] = BASELINE_PARTS["teachers_s"]
    figures["baseline_no_facts_s"] = None
    if run_baseline_too and without_facts and not figures["baseline_extrapolated"]:
        reset_database()
        with facts_receiver_disconnected():
            started = time.perf_counter()
            check_baseline(rows, run_baseline(data))
            figures["baseline_no_facts_s"] = time.perf_counter() - started
        log(f"[{rows}] baseline without the dashboard facts' receiver: {figures['baseline_no_facts_s']:.2f} s")

    actor, programme = reset_database()
    for _ in range(repeat):
        check_preview(rows, record("preview", timed(run_preview, data, actor, programme)))

    for _ in range(repeat):
        actor, programme = reset_database()
        check_commit(rows, record("commit", timed(run_commit, data, actor, programme)), programme)

    for step in STEPS:
        if wall[step]:
            runs = ", ".join(f"{w:.2f} s ({c:.2f} s CPU)" for w, c in zip(wall[step], cpu[step], strict=True))
            log(f"[{rows}] {step}: {runs}")
        figures[f"{step}_s"] = statistics.median(wall[step]) if wall[step] else None
        figures[f"{step}_cpu_s"] = statistics.median(cpu[step]) if cpu[step] else None
        figures[f"{step}_runs"] = wall[step]
        figures[f"{step}_cpu_runs"] = cpu[step]

    figures["floor_peak_mb"] = traced_peak_mb(run_floor, data)
    actor, programme = reset_database()
    figures["peak_mb"] = traced_peak_mb(run_commit, data, actor, programme)

    for suffix in ("", "_cpu"):
        commit = figures[f"commit{suffix}_s"]
        baseline = figures[f"baseline{suffix}_s"]
        figures[f"ratio_to_floor{suffix}"] = commit / figures[f"floor{suffix}_s"]
        figures[f"speedup_vs_baseline{suffix}"] = baseline / commit if baseline else None
    return figures


def profile_commit(data: bytes, rows: int, top: int) -> None:
    actor, programme = reset_database()
    profiler = cProfile.Profile()
    profiler.enable()
    report = run_commit(data, actor, programme)
    profiler.disable()
    check_commit(rows, report, programme)
    print_profile(profiler, f"roster_commit, {rows} rows", top)


# --------------------------------------------------------------------------- hostile sizes

HOSTILE_PEAK_LIMIT_MB = 400
HOSTILE_SECONDS_LIMIT = 10.0


def hostile_files() -> list[tuple[str, bytes, str]]:
    """Files of at most 10 MB whose declared or merged size, or stray cells, cost the old reader gigabytes or
    seconds (issue 16), each with what the dry run must answer: "N new" or a part of the refusal."""
    from tests.workbook_corpus import Sheet, package

    roster = _roster_rows(20_000)
    small = roster[:5]
    headers = [HEADERS[:5]]
    files = [
        (
            "LibreOffice: 20,000 rows, one stray cell at XFD, declares A1:XFD20002",
            package(
                [Sheet("学员名单", [[TITLE], *headers, *roster], dimension="A1:XFD20002", extra_cells=(("XFD9", "x"),))]
            ),
            "20000 new",
        ),
        (
            "3,000 one-cell rows at XFD below the header",
            package(
                [Sheet("学员名单", [*headers, *small], extra_cells=tuple((f"XFD{n}", "x") for n in range(7, 3007)))]
            ),
            "5 new",
        ),
        (
            "3,000-row roster declaring A1:XFD3001",
            package([Sheet("学员名单", [*headers, *roster[:3000]], dimension="A1:XFD3001")]),
            "3000 new",
        ),
        (
            "four merges reaching XFD",
            package(
                [
                    Sheet(
                        "学员名单",
                        [[TITLE], *headers, *small],
                        merges=("A1:XFD1", "F2:XFD2", "A8:XFD1048576", "XFA3:XFD1048576"),
                    )
                ]
            ),
            "5 new",
        ),
        (
            "Gnumeric: 5 rows declaring A1:XFD1048576",
            package([Sheet("学员名单", [*headers, *small], dimension="A1:XFD1048576")]),
            "5 new",
        ),
        (
            "WPS for Mac: 5 rows, formatted empty rows (3 cells each) to 1,048,576",
            package(
                [
                    Sheet(
                        "学员名单",
                        [*headers, *small],
                        dimension="A1:E1048576",
                        styled_empty_rows_to=1_048_576,
                        styled_empty_cells=3,
                    )
                ]
            ),
            "5 new",
        ),
        (
            "1.45 million unused shared strings",
            _with_unused_strings(package([Sheet("学员名单", [*headers, *small])])),
            "5 new",
        ),
        (
            "2.56 million numbers right of a 2-column header (256 columns × 10,000 rows)",
            _wide(columns=256, rows=10_000, last_header="备注"),
            "0 new, 10000 errors",
        ),
        (
            "a header spanning 256 columns, 10,000 rows of numbers under it",
            _wide(columns=256, rows=10_000, last_header="职称"),
            "万个单元格",
        ),
        (
            "header cell typed at XFD, 20,000 rows reaching it",
            package(
                [
                    Sheet(
                        "学员名单",
                        [["姓名"], *([row[0]] for row in roster)],
                        extra_cells=(("XFD1", "身份证号"), *((f"XFD{n}", "x") for n in range(2, 20_002))),
                    )
                ]
            ),
            "列应在前 256 列",
        ),
    ]
    return files


def _roster_rows(count: int) -> list[list[str]]:
    """The first five columns of make_roster's teachers (valid IDs, unique mobiles), from its workbook."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(make_roster(count)), read_only=True)
    rows = [list(row[:5]) for row in workbook.active.iter_rows(min_row=3, values_only=True)]
    workbook.close()
    return rows


def _wide(*, columns: int, rows: int, last_header: str) -> bytes:
    """A sheet of numbers `columns` wide under a header 姓名, 身份证号, 备注…, last_header (written directly:
    millions of cells)."""
    import zipfile

    from openpyxl.utils import get_column_letter

    from tests.workbook_corpus import Sheet, package

    letters = [get_column_letter(c) for c in range(1, columns + 1)]
    headers = ["姓名", "身份证号", *(f"备注{c}" for c in range(3, columns)), last_header]
    rng = random.Random(16)
    parts = ['<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">']
    parts += [f'<c r="{letter}1" t="s"><v>{index}</v></c>' for index, letter in enumerate(letters)]
    parts.append("</row>")
    for number in range(2, rows + 2):
        cells = "".join(f'<c r="{letter}{number}"><v>{rng.randint(0, 99)}</v></c>' for letter in letters)
        parts.append(f'<row r="{number}">{cells}</row>')
    parts.append("</sheetData></worksheet>")
    strings = "".join(f"<si><t>{text}</t></si>" for text in headers)
    source = zipfile.ZipFile(io.BytesIO(package([Sheet("学员名单", [["x"]])])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                part = "".join(parts).encode()
            elif info.filename == "xl/sharedStrings.xml":
                part = (
                    f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{strings}</sst>'.encode()
                )
            target.writestr(info.filename, part)
    return buffer.getvalue()


def _with_unused_strings(data: bytes, count: int = 1_450_000) -> bytes:
    import zipfile

    rng = random.Random(16)
    items = "".join(f"<si><t>{rng.getrandbits(40):x}</t></si>" for _ in range(count)).encode()
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info)
            if info.filename == "xl/sharedStrings.xml":
                part = part.replace(b"</sst>", items + b"</sst>")
            target.writestr(info.filename, part)
    return buffer.getvalue()


def _vm_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def run_hostile(log) -> list[dict]:
    """Each hostile file's dry run (roster_preview): wall and CPU seconds, and the process's peak resident
    memory during it (VmHWM, reset before the run through /proc/self/clear_refs)."""
    from common.excel import WorkbookRefused

    results = []
    for name, data, expected in hostile_files():
        actor, programme = reset_database()
        gc.collect()
        with open("/proc/self/clear_refs", "w") as clear:
            clear.write("5")  # resets VmHWM to the current resident size
        before = _vm_kb("VmRSS") / 1024
        cpu_start, start = time.process_time(), time.perf_counter()
        try:
            report = run_preview(data, actor, programme)
            answer = f"{report.count('new')} new" + (f", {len(report.errors)} errors" if report.errors else "")
        except WorkbookRefused as refused:
            answer = f"refused: {refused}"
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        peak = _vm_kb("VmHWM") / 1024
        if expected not in answer:
            sys.exit(f"hostile file {name!r}: expected {expected!r}, got {answer!r}")
        ok = peak < HOSTILE_PEAK_LIMIT_MB and wall < HOSTILE_SECONDS_LIMIT
        results.append(
            {
                "file": name,
                "file_mb": round(len(data) / 1048576, 3),
                "answer": answer[:60],
                "wall_s": round(wall, 2),
                "cpu_s": round(cpu, 2),
                "peak_rss_mb": round(peak, 1),
                "rss_before_mb": round(before, 1),
                "within_limits": ok,
            }
        )
        log(f"[hostile] {name}: {answer[:60]} — {wall:.2f} s ({cpu:.2f} s CPU), peak {peak:.0f} MB")
    return results


def print_hostile(results: list[dict]) -> None:
    print(
        f"\nHostile sizes (dry run, roster_preview): peak resident memory of the whole process and seconds; "
        f"limits {HOSTILE_PEAK_LIMIT_MB} MB and {HOSTILE_SECONDS_LIMIT:g} s"
    )
    header = f"{'file':<72} | {'MB':>5} | {'wall':>7} | {'cpu':>7} | {'peak RSS':>9} | ok"
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r['file']:<72} | {r['file_mb']:>5.2f} | {r['wall_s']:>5.2f} s | {r['cpu_s']:>5.2f} s | "
            f"{r['peak_rss_mb']:>6.0f} MB | {'yes' if r['within_limits'] else 'NO'}"
        )
    print(
        "peak RSS includes the process's own baseline (Python, Django, the bench's data): "
        + ", ".join(f"{r['rss_before_mb']:.0f}" for r in results[:1])
        + " MB before the first file"
    )


def seconds(value) -> str:
    return "—" if value is None else f"{value:.2f} s"


def times(value) -> str:
    return "—" if value is None else f"{value:.1f}×"


def print_table(vendor: str, results: list[dict], repeat: int) -> None:
    print(f"\nRoster import on {vendor}: medians of {repeat} runs (baseline: one run), wall clock and CPU")
    header = (
        f"{'rows':>6} | {'':4} | {'floor':>7} | {'baseline':>9} | {'preview':>7} | {'commit':>7} | "
        f"{'commit/floor':>12} | {'baseline/commit':>15} | {'commit peak':>11}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        for suffix, label in (("", "wall"), ("_cpu", "cpu")):
            baseline = seconds(r[f"baseline{suffix}_s"]) + ("*" if r["baseline_extrapolated"] else "")
            peak = f"{r['peak_mb']:.1f} MB" if not suffix else ""
            print(
                f"{r['rows']:>6} | {label:4} | {seconds(r[f'floor{suffix}_s']):>7} | {baseline:>9} | "
                f"{seconds(r[f'preview{suffix}_s']):>7} | {seconds(r[f'commit{suffix}_s']):>7} | "
                f"{times(r[f'ratio_to_floor{suffix}']):>12} | {times(r[f'speedup_vs_baseline{suffix}']):>15} | "
                f"{peak:>11}"
            )
    if any(r["baseline_extrapolated"] for r in results):
        print("* baseline extrapolated linearly from the previous size, not measured")
    print(
        "baseline: teachers' ModelResource + enrolments' ModelResource (as the commit writes both); of which teachers: "
        + ", ".join(f"{r['rows']} rows {seconds(r['baseline_teachers_s'])}" for r in results)
    )
    for r in results:
        if r["baseline_no_facts_s"]:
            print(
                f"baseline without the dashboard facts' receiver, {r['rows']} rows: {seconds(r['baseline_no_facts_s'])}"
                f" → {times(r['baseline_no_facts_s'] / r['commit_s'])} the commit"
            )
    print("cpu: this process's CPU time plus, on a local PostgreSQL, its backend process's CPU time")
    print("commit peak: tracemalloc peak of Python allocations during one untimed commit")
    largest = results[-1]
    ratio, speedup = largest["ratio_to_floor"], largest["speedup_vs_baseline"]
    print(
        f"targets at {largest['rows']} rows (wall): commit ≤ {TARGET_RATIO_TO_FLOOR:g}× floor: "
        f"{'met' if ratio <= TARGET_RATIO_TO_FLOOR else 'MISSED'} ({ratio:.2f}×); "
        f"≥ {TARGET_SPEEDUP:g}× faster than baseline: "
        + (
            "not measured"
            if speedup is None
            else f"{'met' if speedup >= TARGET_SPEEDUP else 'MISSED'} ({speedup:.1f}×)"
        )
    )


def summary(vendor: str, results: list[dict], load: list[float]) -> dict:
    def rounded(r: dict) -> dict:
        out = {"rows": r["rows"], "file_mb": r["file_mb"]}
        for key in [f"{step}{suffix}_s" for step in STEPS for suffix in ("", "_cpu")] + [
            "ratio_to_floor",
            "speedup_vs_baseline",
            "ratio_to_floor_cpu",
            "speedup_vs_baseline_cpu",
        ]:
            out[key] = None if r[key] is None else round(r[key], 3)
        out["baseline_extrapolated"] = r["baseline_extrapolated"]
        for key in ("baseline_teachers_s", "baseline_no_facts_s"):
            out[key] = None if r[key] is None else round(r[key], 3)
        out["peak_mb"] = round(r["peak_mb"], 1)
        out["floor_peak_mb"] = round(r["floor_peak_mb"], 1)
        for step in ("floor", "preview", "commit"):
            out[f"{step}_runs"] = [round(value, 3) for value in r[f"{step}_runs"]]
        return out

    largest = rounded(results[-1])
    speedup = largest["speedup_vs_baseline"]
    return {
        **largest,
        "db": vendor,
        "load_avg_start_end": load,
        "peak_method": "tracemalloc peak (Python allocations), separate untimed commit run",
        "targets": {
            "commit_le_3x_floor": largest["ratio_to_floor"] <= TARGET_RATIO_TO_FLOOR,
            "speedup_ge_10x": None if speedup is None else speedup >= TARGET_SPEEDUP,
        },
        "sizes": {str(r["rows"]): rounded(r) for r in results[:-1]},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5000,20000", help="comma-separated row counts (default 5000,20000)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of floor, preview and commit (default 3)")
    parser.add_argument(
        "--baseline-limit",
        type=float,
        default=600.0,
        help="extrapolate the baseline instead of running it when its predicted time exceeds this (seconds)",
    )
    parser.add_argument("--skip-baseline", action="store_true", help="do not run the django-import-export baseline")
    parser.add_argument(
        "--baseline-without-facts",
        action="store_true",
        help="also time the baseline once with the dashboard facts' per-enrolment receiver disconnected",
    )
    parser.add_argument("--skip-hostile", action="store_true", help="do not run the hostile-size section")
    parser.add_argument("--hostile-only", action="store_true", help="run only the hostile-size section")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of one commit at the largest size")
    parser.add_argument("--profile-top", type=int, default=30, help="lines per cProfile listing (default 30)")
    args = parser.parse_args()
    sizes = sorted({int(size) for size in args.sizes.split(",") if size.strip()})

    def log(message: str) -> None:
        print(message, flush=True)

    started = time.perf_counter()
    load = [round(os.getloadavg()[0], 2)]  # other work on the machine inflates every figure
    sys.path.insert(0, str(PROJECT))
    vendor, temp_dir = setup_throwaway_django("roster-bench-")
    try:
        log(
            f"database: {vendor}; sizes {sizes}; {args.repeat} runs each; Python {sys.version.split()[0]}; "
            f"{os.cpu_count()} CPUs; load average {load[0]}"
        )
        results = []
        for rows in [] if args.hostile_only else sizes:
            previous = results[-1] if results else None
            results.append(
                measure_size(
                    rows,
                    args.repeat,
                    not args.skip_baseline,
                    previous,
                    args.baseline_limit,
                    log,
                    without_facts=args.baseline_without_facts,
                )
            )
        hostile = [] if args.skip_hostile else run_hostile(log)
        if args.profile and results:
            profile_commit(results[-1]["data"], sizes[-1], args.profile_top)
        from django.core.management import call_command

        call_command("flush", interactive=False, verbosity=0)  # leave the throwaway database empty
    finally:
        from django.db import connections

        connections.close_all()
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)
    load.append(round(os.getloadavg()[0], 2))
    if results:
        print_table(vendor, results, args.repeat)
    if hostile:
        print_hostile(hostile)
    print(f"total benchmark time {time.perf_counter() - started:.0f} s; 1-minute load average {load[0]} → {load[1]}")
    figures = summary(vendor, results, load) if results else {"db": vendor, "load_avg_start_end": load}
    if hostile:
        figures["hostile"] = hostile
        figures["targets"] = {
            **figures.get("targets", {}),
            "hostile_within_400mb_10s": all(r["within_limits"] for r in hostile),
        }
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
